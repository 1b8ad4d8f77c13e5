// The 3D volatility surface: the fitted SVI surface as a mesh coloured by IV (from the gateway's grid), the market's
// bid/ask IVs as whiskers with the mid as a point, each slice's fit as a line, and slices flagged for arbitrage or
// large residuals in red. Orbit and zoom with the mouse; hovering the mesh shows the numbers under the cursor.
import { memo, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Canvas, useFrame, useThree } from '@react-three/fiber';
import { AdaptiveDpr, OrbitControls } from '@react-three/drei';
import * as THREE from 'three';
import { sviW } from '../../src/quant/svi/raw';
import type { Grid } from './api';
import type { SliceQuotes, SurfaceJson } from './types';
import { num, pct, ramp } from './format';

// Plot box in scene units: x = log-moneyness, z = √T (short expiries at the front), y = IV.
const W = 10;
const D = 8;
const H = 4.5;

export interface SliceFlag {
  flagged: boolean;
  why: string[];
}

/** A calendar violation as listed in `manifold surface --json` (total variance decreasing from one slice to the next). */
interface CalendarViolation {
  earlier: string;
  later: string;
  k: number;
  dw: number;
}

/** Residuals above this RMSE (vol points) are "large": several times a typical SPX bid/ask half-spread in vol. */
export const RMSE_FLAG_VP = 2;

/**
 * Why a slice is highlighted: static arbitrage in its fit (butterfly, or total variance falling materially below the
 * previous slice's anywhere on the check grid, however little), or residuals the fit does not explain (RMSE above RMSE_FLAG_VP vol points).
 */
export function sliceFlags(surface: SurfaceJson): SliceFlag[] {
  const violations = (Array.isArray(surface.calendar_violations) ? surface.calendar_violations : []) as CalendarViolation[];
  return surface.slices.map((s) => {
    const why: string[] = [];
    if (s.butterfly_free === false) why.push(`butterfly arbitrage (min g ${num(s.min_g, 4)})`);
    const label = `${s.expiry} ${s.root ?? ''} ${s.settlement}`;
    const cal = violations.filter((v) => v.later === label);
    if (cal.length) why.push(`calendar arbitrage vs ${cal[0].earlier} (Δw ${cal[0].dw.toExponential(1)} at k ${cal[0].k.toFixed(2)})`);
    if (s.rmse_vol !== null && s.rmse_vol > RMSE_FLAG_VP) why.push(`RMSE ${num(s.rmse_vol, 2)} vol pts`);
    return { flagged: why.length > 0, why };
  });
}

interface Mapping {
  kmin: number;
  kmax: number;
  r0: number;
  r1: number;
  ivMax: number;
  x(k: number): number;
  z(t: number): number;
  y(iv: number): number;
}

function makeMapping(grid: Grid): Mapping {
  const kmin = grid.k[0];
  const kmax = grid.k[grid.k.length - 1];
  const r0 = Math.sqrt(grid.t[0]);
  const r1 = Math.sqrt(grid.t[grid.t.length - 1]);
  // The short-dated wings reach several hundred percent; scale the axis to the 97th percentile so the body of the
  // surface is readable, and clip (flatten) what lies above it. The legend says where the clip is.
  const vals = grid.iv.flat().filter((v): v is number => v !== null && Number.isFinite(v)).sort((a, b) => a - b);
  const p97 = vals.length ? vals[Math.floor(0.97 * (vals.length - 1))] : 1;
  const ivMax = Math.max(0.05, Math.ceil(p97 * 1.1 * 20) / 20);
  return {
    kmin,
    kmax,
    r0,
    r1,
    ivMax,
    x: (k) => ((k - kmin) / (kmax - kmin) - 0.5) * W,
    z: (t) => (0.5 - (Math.sqrt(t) - r0) / (r1 - r0)) * D,
    y: (iv) => (Math.min(iv, ivMax) / ivMax) * H,
  };
}

/** Grid value at (k, t) by bilinear interpolation in (k, √t), the coordinates the mesh is drawn in. */
function gridAt(grid: Grid, k: number, t: number): number {
  const { k: ks, t: ts } = grid;
  const fi = ((k - ks[0]) / (ks[ks.length - 1] - ks[0])) * (ks.length - 1);
  const r = Math.sqrt(t);
  const r0 = Math.sqrt(ts[0]);
  const r1 = Math.sqrt(ts[ts.length - 1]);
  const fj = ((r - r0) / (r1 - r0)) * (ts.length - 1);
  const i = Math.max(0, Math.min(ks.length - 2, Math.floor(fi)));
  const j = Math.max(0, Math.min(ts.length - 2, Math.floor(fj)));
  const a = fi - i;
  const b = fj - j;
  const v = (jj: number, ii: number) => grid.iv[jj][ii] ?? NaN;
  return (1 - b) * ((1 - a) * v(j, i) + a * v(j, i + 1)) + b * ((1 - a) * v(j + 1, i) + a * v(j + 1, i + 1));
}

/** A text label as a sprite with a canvas texture (no font download, rendered in WebGL with the scene). */
function Label(props: { text: string; position: [number, number, number]; color?: string; size?: number }) {
  const { texture, aspect } = useMemo(() => {
    const canvas = document.createElement('canvas');
    const ctx = canvas.getContext('2d')!;
    const font = '600 44px system-ui, sans-serif';
    ctx.font = font;
    const w = Math.ceil(ctx.measureText(props.text).width) + 16;
    canvas.width = w;
    canvas.height = 60;
    ctx.font = font;
    ctx.fillStyle = props.color ?? '#c9d1d9';
    ctx.textBaseline = 'middle';
    ctx.fillText(props.text, 8, 30);
    const tex = new THREE.CanvasTexture(canvas);
    tex.colorSpace = THREE.SRGBColorSpace;
    return { texture: tex, aspect: w / 60 };
  }, [props.text, props.color]);
  useEffect(() => () => texture.dispose(), [texture]);
  const s = props.size ?? 0.32;
  return (
    <sprite position={props.position} scale={[s * aspect, s, 1]}>
      <spriteMaterial map={texture} transparent depthWrite={false} />
    </sprite>
  );
}

/** Many line segments in one draw call (drei's fat lines cost a draw call and a heavy shader each). */
function Segments({ points, color, opacity = 1 }: { points: number[]; color: string; opacity?: number }) {
  const geo = useMemo(() => {
    const g = new THREE.BufferGeometry();
    g.setAttribute('position', new THREE.Float32BufferAttribute(points, 3));
    return g;
  }, [points]);
  useEffect(() => () => geo.dispose(), [geo]);
  return (
    <lineSegments geometry={geo}>
      <lineBasicMaterial color={color} transparent={opacity < 1} opacity={opacity} />
    </lineSegments>
  );
}

function niceStep(range: number, target: number): number {
  const raw = range / target;
  const p = 10 ** Math.floor(Math.log10(raw));
  const m = raw / p;
  return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

function Axes({ map, tmin, tmax }: { map: Mapping; tmin: number; tmax: number }) {
  const kStep = niceStep(map.kmax - map.kmin, 6);
  const kTicks: number[] = [];
  for (let k = Math.ceil(map.kmin / kStep) * kStep; k <= map.kmax + 1e-9; k += kStep) kTicks.push(Math.round(k * 1e6) / 1e6);
  const tCandidates: [number, string][] = [
    [1 / 365, '1d'],
    [7 / 365, '1w'],
    [30 / 365, '1m'],
    [91 / 365, '3m'],
    [0.5, '6m'],
    [1, '1y'],
    [2, '2y'],
    [3, '3y'],
    [5, '5y'],
  ];
  const tTicks = tCandidates.filter(([t]) => t >= tmin * 0.999 && t <= tmax * 1.001);
  const ivStep = niceStep(map.ivMax, 5);
  const ivTicks: number[] = [];
  for (let v = 0; v <= map.ivMax + 1e-9; v += ivStep) ivTicks.push(v);
  const front = D / 2;
  const left = -W / 2;
  const back = -D / 2;
  const { axis, faint } = useMemo(() => {
    const a: number[] = [left, 0, front, W / 2, 0, front, W / 2, 0, front, W / 2, 0, back, left, 0, back, left, H, back];
    const f: number[] = [left, 0, back, W / 2, 0, back, left, 0, front, left, 0, back];
    for (const k of kTicks) a.push(map.x(k), 0, front, map.x(k), 0, front + 0.15);
    for (const [t] of tTicks) a.push(W / 2, 0, map.z(t), W / 2 + 0.15, 0, map.z(t));
    for (const v of ivTicks) {
      a.push(left, map.y(v), back, left - 0.15, map.y(v), back);
      f.push(left, map.y(v), back, W / 2, map.y(v), back);
    }
    return { axis: a, faint: f };
  }, [map, tmin, tmax]);
  return (
    <group>
      <Segments points={axis} color="#8b949e" />
      <Segments points={faint} color="#30363d" />
      {kTicks.map((k) => (
        <Label key={`k${k}`} text={k.toFixed(2)} position={[map.x(k), -0.05, front + 0.5]} />
      ))}
      <Label text="log-moneyness ln(K/F)" position={[0, -0.1, front + 1.1]} size={0.36} color="#e6edf3" />
      {tTicks.map(([t, name]) => (
        <Label key={`t${name}`} text={name} position={[W / 2 + 0.5, -0.05, map.z(t)]} />
      ))}
      <Label text="time to expiry" position={[W / 2 + 1.3, -0.1, back - 0.4]} size={0.36} color="#e6edf3" />
      {ivTicks.map((v) => (
        <Label key={`v${v}`} text={`${Math.round(v * 100)}%`} position={[left - 0.55, map.y(v), back]} />
      ))}
      <Label text="implied vol" position={[left - 0.4, H + 0.45, back]} size={0.36} color="#e6edf3" />
    </group>
  );
}

function SurfaceMesh({ grid, map, onHover }: { grid: Grid; map: Mapping; onHover: (e: HoverEvent | null) => void }) {
  const geometry = useMemo(() => {
    const nk = grid.k.length;
    const nt = grid.t.length;
    const pos = new Float32Array(nk * nt * 3);
    const col = new Float32Array(nk * nt * 3);
    for (let j = 0; j < nt; j++) {
      for (let i = 0; i < nk; i++) {
        const v = grid.iv[j][i];
        const iv = v === null || !Number.isFinite(v) ? 0 : v;
        const o = (j * nk + i) * 3;
        pos[o] = map.x(grid.k[i]);
        pos[o + 1] = map.y(iv);
        pos[o + 2] = map.z(grid.t[j]);
        const [r, g, b] = ramp(iv / map.ivMax);
        col[o] = r;
        col[o + 1] = g;
        col[o + 2] = b;
      }
    }
    const idx: number[] = [];
    for (let j = 0; j < nt - 1; j++) {
      for (let i = 0; i < nk - 1; i++) {
        const a = j * nk + i;
        const b = a + 1;
        const c = a + nk;
        const d = c + 1;
        // Skip cells with a missing value rather than drawing them at zero vol.
        if ([a, b, c, d].some((n) => grid.iv[Math.floor(n / nk)][n % nk] === null)) continue;
        idx.push(a, c, b, b, c, d);
      }
    }
    const geo = new THREE.BufferGeometry();
    geo.setAttribute('position', new THREE.BufferAttribute(pos, 3));
    geo.setAttribute('color', new THREE.BufferAttribute(col, 3));
    geo.setIndex(idx);
    geo.computeVertexNormals();
    return geo;
  }, [grid, map]);
  useEffect(() => () => geometry.dispose(), [geometry]);
  // Every fourth grid line in k and in T, drawn on the mesh: enough to read the shape, a fraction of a full
  // wireframe's cost on a software renderer.
  const lines = useMemo(() => {
    const pos = geometry.getAttribute('position') as THREE.BufferAttribute;
    const nk = grid.k.length;
    const nt = grid.t.length;
    const out: number[] = [];
    const at = (j: number, i: number) => [pos.getX(j * nk + i), pos.getY(j * nk + i) + 0.005, pos.getZ(j * nk + i)];
    for (let j = 0; j < nt; j += 4) for (let i = 0; i + 1 < nk; i++) out.push(...at(j, i), ...at(j, i + 1));
    for (let i = 0; i < nk; i += 4) for (let j = 0; j + 1 < nt; j++) out.push(...at(j, i), ...at(j + 1, i));
    return out;
  }, [geometry, grid]);
  return (
    <group>
      <mesh
        geometry={geometry}
        onPointerMove={(e) => {
          e.stopPropagation();
          onHover({ point: e.point.clone(), clientX: e.nativeEvent.clientX, clientY: e.nativeEvent.clientY });
        }}
        onPointerOut={() => onHover(null)}
      >
        <meshLambertMaterial vertexColors side={THREE.DoubleSide} />
      </mesh>
      <Segments points={lines} color="#0d1117" opacity={0.35} />
    </group>
  );
}

function Quotes({ surface, quotes, map, tmin, tmax, flags }: { surface: SurfaceJson; quotes: SliceQuotes[]; map: Mapping; tmin: number; tmax: number; flags: SliceFlag[] }) {
  const { whiskers, points } = useMemo(() => {
    const seg: number[] = [];
    const segCol: number[] = [];
    const pts: number[] = [];
    const ptCol: number[] = [];
    quotes.forEach((q, si) => {
      if (q.t < tmin || q.t > tmax) return;
      const bad = flags[si]?.flagged ?? false;
      const c = bad ? [1, 0.27, 0.23] : [0.92, 0.94, 0.96];
      const z = map.z(q.t);
      for (let i = 0; i < q.k.length; i++) {
        const k = q.k[i];
        if (k < map.kmin || k > map.kmax) continue;
        const bid = q.bid_iv[i];
        const ask = q.ask_iv[i];
        const mid = q.mid_iv[i];
        if (bid !== null && ask !== null && bid <= map.ivMax) {
          seg.push(map.x(k), map.y(bid), z, map.x(k), map.y(ask), z);
          segCol.push(...c, ...c);
        }
        if (mid !== null && mid <= map.ivMax) {
          pts.push(map.x(k), map.y(mid), z);
          ptCol.push(...c);
        }
      }
    });
    const w = new THREE.BufferGeometry();
    w.setAttribute('position', new THREE.Float32BufferAttribute(seg, 3));
    w.setAttribute('color', new THREE.Float32BufferAttribute(segCol, 3));
    const p = new THREE.BufferGeometry();
    p.setAttribute('position', new THREE.Float32BufferAttribute(pts, 3));
    p.setAttribute('color', new THREE.Float32BufferAttribute(ptCol, 3));
    return { whiskers: w, points: p };
  }, [quotes, map, tmin, tmax, flags]);
  useEffect(
    () => () => {
      whiskers.dispose();
      points.dispose();
    },
    [whiskers, points],
  );
  const fits = useMemo(
    () => {
      const lines = surface.slices
        .map((s, si) => ({ s, si, q: quotes[si] }))
        .filter(({ s }) => s.svi !== null && s.t >= tmin && s.t <= tmax)
        .map(({ s, si, q }) => {
          // Each slice's own fit, drawn over the strikes it was fitted on (its wings beyond are the mesh's business).
          const lo = Math.max(map.kmin, q && q.k.length ? Math.min(...q.k) : map.kmin);
          const hi = Math.min(map.kmax, q && q.k.length ? Math.max(...q.k) : map.kmax);
          const pts: number[] = [];
          let prev: [number, number, number] | null = null;
          for (let i = 0; i <= 48 && hi > lo; i++) {
            const k = lo + ((hi - lo) * i) / 48;
            const w = sviW(s.svi!, k);
            const iv = w > 0 ? Math.sqrt(w / s.t) : NaN;
            if (!Number.isFinite(iv)) {
              prev = null;
              continue;
            }
            const p: [number, number, number] = [map.x(k), map.y(iv) + 0.01, map.z(s.t)];
            if (prev) pts.push(...prev, ...p);
            prev = p;
          }
          return { pts, bad: flags[si]?.flagged ?? false };
        });
      // WebGL lines are one pixel wide; a flagged slice is drawn three times, slightly offset, to stand out.
      const bad = lines.filter((l) => l.bad).flatMap((l) => l.pts);
      const thick: number[] = [];
      for (const dy of [0, 0.02, -0.02]) for (let i = 0; i < bad.length; i += 3) thick.push(bad[i], bad[i + 1] + dy, bad[i + 2] + dy);
      return { ok: lines.filter((l) => !l.bad).flatMap((l) => l.pts), bad: thick };
    },
    [surface, quotes, map, tmin, tmax, flags],
  );
  return (
    <group>
      <lineSegments geometry={whiskers}>
        <lineBasicMaterial vertexColors />
      </lineSegments>
      <points geometry={points}>
        <pointsMaterial vertexColors size={0.07} sizeAttenuation />
      </points>
      <Segments points={fits.ok} color="#f0f6fc" opacity={0.45} />
      <Segments points={fits.bad} color="#ff453a" />
    </group>
  );
}

interface HoverEvent {
  point: THREE.Vector3;
  clientX: number;
  clientY: number;
}

declare global {
  interface Window {
    /** Frames rendered by the 3D surface (for the browser test's frame-rate measurement). */
    __manifoldSurfaceFrames?: number;
  }
}

function FrameCounter() {
  useFrame(() => {
    window.__manifoldSurfaceFrames = (window.__manifoldSurfaceFrames ?? 0) + 1;
  });
  return null;
}

/** Re-render on demand when the data changes (frameloop is 'demand' unless auto-rotating). */
function Invalidate({ dep }: { dep: unknown }) {
  const invalidate = useThree((s) => s.invalidate);
  useEffect(() => invalidate(), [dep, invalidate]);
  return null;
}

export interface Surface3DProps {
  surface: SurfaceJson;
  /** What the grid samples (e.g. eSSVI), for the legend. */
  gridModel: string;
  grid: Grid;
  quotes: SliceQuotes[];
  spinning: boolean;
}

/**
 * True when WebGL runs on a software rasteriser (SwiftShader, llvmpipe): there, multisampling and high-DPI buffers
 * cost more than the whole scene, so the surface is drawn at device pixel ratio 1 without antialiasing.
 */
function softwareRenderer(): boolean {
  try {
    const gl = document.createElement('canvas').getContext('webgl2') ?? document.createElement('canvas').getContext('webgl');
    const ext = gl?.getExtension('WEBGL_debug_renderer_info');
    const name = ext && gl ? String(gl.getParameter(ext.UNMASKED_RENDERER_WEBGL)) : '';
    return /swiftshader|llvmpipe|software/i.test(name);
  } catch {
    return false;
  }
}

export const Surface3D = memo(function Surface3D({ surface, gridModel, grid, quotes, spinning }: Surface3DProps) {
  const [software] = useState(softwareRenderer);
  const map = useMemo(() => makeMapping(grid), [grid]);
  const tmin = grid.t[0];
  const tmax = grid.t[grid.t.length - 1];
  const flags = useMemo(() => sliceFlags(surface), [surface]);
  const tipRef = useRef<HTMLDivElement>(null);
  const boxRef = useRef<HTMLDivElement>(null);

  // The tooltip is written straight into the DOM: hovering must not re-render the scene.
  const showTip = useMemo(
    () => (e: HoverEvent | null) => {
      const tip = tipRef.current;
      const box = boxRef.current;
      if (!tip || !box) return;
      if (!e) {
        tip.style.display = 'none';
        return;
      }
      const k = map.kmin + (e.point.x / W + 0.5) * (map.kmax - map.kmin);
      const r = map.r0 + (0.5 - e.point.z / D) * (map.r1 - map.r0);
      const t = r * r;
      const iv = gridAt(grid, k, t);
      let best = -1;
      for (let i = 0; i < surface.slices.length; i++) {
        if (!surface.slices[i].svi) continue;
        if (best < 0 || Math.abs(surface.slices[i].t - t) < Math.abs(surface.slices[best].t - t)) best = i;
      }
      const s = best >= 0 ? surface.slices[best] : null;
      const fitIv = s?.svi ? Math.sqrt(Math.max(0, sviW(s.svi, k)) / s.t) : NaN;
      const q = best >= 0 ? quotes[best] : undefined;
      let qi = -1;
      if (q) for (let i = 0; i < q.k.length; i++) if (qi < 0 || Math.abs(q.k[i] - k) < Math.abs(q.k[qi] - k)) qi = i;
      const strike = s ? s.forward * Math.exp(k) : NaN;
      const rows = [
        `<b>k</b> ${k.toFixed(3)} <span class="dim">(K ≈ ${strike.toFixed(0)})</span>`,
        `<b>T</b> ${t.toFixed(3)} y <span class="dim">(${Math.round(t * 365)} d)</span>`,
        `<b>IV</b> ${pct(iv, 2)} <span class="dim">(surface)</span>`,
      ];
      if (s) rows.push(`<span class="dim">nearest slice ${s.expiry} ${s.settlement}: SVI fit ${pct(fitIv, 2)}, RMSE ${num(s.rmse_vol, 2)} vol pts${flags[best]?.flagged ? ' ⚠ ' + flags[best].why.join(', ') : ''}</span>`);
      if (q && qi >= 0) rows.push(`<span class="dim">quote K ${q.strike[qi]}: bid ${pct(q.bid_iv[qi], 2)} / ask ${pct(q.ask_iv[qi], 2)}</span>`);
      tip.innerHTML = rows.join('<br/>');
      const rect = box.getBoundingClientRect();
      tip.style.left = `${Math.min(rect.width - 240, e.clientX - rect.left + 14)}px`;
      tip.style.top = `${Math.max(0, e.clientY - rect.top - 10)}px`;
      tip.style.display = 'block';
      tip.dataset.k = String(k);
      tip.dataset.t = String(t);
      tip.dataset.iv = String(iv);
    },
    [map, grid, surface, quotes, flags],
  );
  // The live surface refits about once a second: a tooltip under a still pointer follows it (same k and T, the new
  // surface's numbers) instead of showing the values of the surface it was first drawn on.
  const lastHover = useRef<HoverEvent | null>(null);
  const onHover = useCallback(
    (e: HoverEvent | null) => {
      lastHover.current = e;
      showTip(e);
    },
    [showTip],
  );
  useEffect(() => {
    if (lastHover.current) showTip(lastHover.current);
  }, [showTip]);

  return (
    <div className="surface-box" ref={boxRef}>
      <Canvas
        frameloop={spinning ? 'always' : 'demand'}
        camera={{ position: [10.5, 8, 12.5], fov: 42, near: 0.1, far: 200 }}
        dpr={software ? 1 : [1, 1.5]}
        gl={{ antialias: !software }}
        // While the view moves (orbit, zoom, auto-rotate) the scene renders at half resolution and snaps back to full
        // resolution 200 ms after it stops: motion stays fluid on a software renderer, still frames stay sharp.
        performance={{ min: 0.5, debounce: 200 }}
        onPointerMissed={() => onHover(null)}
      >
        <color attach="background" args={['#0d1117']} />
        <ambientLight intensity={1.6} />
        <directionalLight position={[5, 10, 7]} intensity={1.4} />
        <group position={[0, -H / 2 + 0.3, 0]}>
          <Axes map={map} tmin={tmin} tmax={tmax} />
          <SurfaceMesh grid={grid} map={map} onHover={onHover} />
          <Quotes surface={surface} quotes={quotes} map={map} tmin={tmin} tmax={tmax} flags={flags} />
        </group>
        <OrbitControls makeDefault regress enableDamping={false} autoRotate={spinning} autoRotateSpeed={2} minDistance={6} maxDistance={40} />
        <AdaptiveDpr />
        <FrameCounter />
        <Invalidate dep={geometryKey(grid, quotes)} />
      </Canvas>
      <div className="tooltip" ref={tipRef} data-testid="surface-tooltip" style={{ display: 'none' }} />
      <div className="legend">
        <span className="ramp" /> 0 – {pct(map.ivMax, 0)} IV (clipped above) · mesh: {gridModel} surface · lines: each slice's SVI fit · white: bid/ask whiskers and mid · red: flagged slices
      </div>
    </div>
  );
});

function geometryKey(grid: Grid, quotes: SliceQuotes[]): string {
  return `${grid.k.length}x${grid.t.length}:${grid.iv[0]?.[0]}:${quotes.length}`;
}
