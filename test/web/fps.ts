/// <reference lib="dom" />
// Frame rate of the 3D surface while it orbits (auto-rotate): requestAnimationFrame timing in the page, and the frames
// the surface itself rendered (Surface3D counts them in window.__manifoldSurfaceFrames).
import { cpus, loadavg } from 'node:os';
import type { Page } from 'playwright-core';

declare global {
  interface Window {
    __manifoldSurfaceFrames?: number;
  }
}

export interface OrbitFps {
  seconds: number;
  raf_fps: number;
  surface_fps: number;
  frame_ms_p50: number;
  frame_ms_p95: number;
  renderer: string;
  load_avg_1m: number;
  cores: number;
  when: string;
}

/** Turn on the surface's auto-rotate, time `ms` of frames, turn it off again. */
export async function measureOrbitFps(page: Page, ms = 5000): Promise<OrbitFps> {
  await page.getByTestId('surface-rotate').check();
  await page.waitForTimeout(500); // let the frame loop switch from 'demand' to 'always'
  const m = await page.evaluate(async (duration) => {
    const f0 = window.__manifoldSurfaceFrames ?? 0;
    const times: number[] = [];
    const t0 = performance.now();
    await new Promise<void>((resolve) => {
      const step = (t: number) => {
        times.push(t);
        if (t - t0 < duration) requestAnimationFrame(step);
        else resolve();
      };
      requestAnimationFrame(step);
    });
    const elapsed = (times[times.length - 1] - times[0]) / 1000;
    const dts = times
      .slice(1)
      .map((t, i) => t - times[i])
      .sort((a, b) => a - b);
    return {
      seconds: elapsed,
      raf_fps: (times.length - 1) / elapsed,
      surface_fps: ((window.__manifoldSurfaceFrames ?? 0) - f0) / elapsed,
      frame_ms_p50: dts[Math.floor(dts.length / 2)],
      frame_ms_p95: dts[Math.floor(dts.length * 0.95)],
      renderer: (() => {
        const c = document.createElement('canvas').getContext('webgl2') as WebGL2RenderingContext | null;
        const ext = c?.getExtension('WEBGL_debug_renderer_info');
        return ext && c ? String(c.getParameter(ext.UNMASKED_RENDERER_WEBGL)) : 'unknown';
      })(),
    };
  }, ms);
  await page.getByTestId('surface-rotate').uncheck();
  return { ...m, load_avg_1m: loadavg()[0], cores: cpus().length, when: new Date().toISOString() };
}
