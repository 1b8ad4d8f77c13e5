/// <reference lib="dom" />
// The dashboard in Debian's Chromium against the real main job: `manifold run --no-monitor` (the simulator playing the
// shipped SPX chain through the live pipeline, with the gateway) in a child process, as a user starts it. Every
// widget shows the gateway's own numbers (compared with the /api/v1 responses), the numbers move with the market,
// hovering the surface shows a tooltip that follows the refits, screenshots are saved to test-artifacts/, the 3D frame
// rate while orbiting is measured with the pipeline running, and Ctrl-C leaves the page in its disconnected state.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { repoRoot } from '../support/cli.js';
import { launchBrowser, type Browser } from './browser.js';
import { ensureWebBuilt, newest } from './build.js';
import { measureOrbitFps } from './fps.js';
import { money, num, pct } from '../../web/src/format.js';

const artifacts = join(repoRoot, 'test-artifacts');
let browser: Browser;
let child: ChildProcessWithoutNullStreams;
let exited: Promise<number | null>;
let dataDir: string;
let base: string;
let cli: string;
let stderr = '';

/**
 * `node bin/manifold.js run` when the compiled CLI is up to date with src/ (CI builds it on install); otherwise the
 * same command from source through tsx, so a working tree with edits is tested as it stands.
 * MANIFOLD_TEST_CLI=compiled|source forces one.
 */
function runCommand(): { args: string[]; what: string } {
  const compiled = join(repoRoot, 'dist', 'cli', 'bin.js');
  const force = process.env.MANIFOLD_TEST_CLI;
  if (force === 'compiled' || (force !== 'source' && existsSync(compiled) && statSync(compiled).mtimeMs >= newest(join(repoRoot, 'src')))) {
    return { args: [join(repoRoot, 'bin', 'manifold.js'), 'run', '--no-monitor'], what: 'compiled (bin/manifold.js)' };
  }
  return { args: ['--import', 'tsx', join(repoRoot, 'src', 'cli', 'bin.ts'), 'run', '--no-monitor'], what: 'from source (tsx; dist is older than src)' };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON bodies of many shapes
async function api<T = any>(path: string): Promise<T> {
  const r = await fetch(base + '/api/v1' + path);
  expect(r.status, `GET /api/v1${path}`).toBe(200);
  const body = (await r.json()) as { status: string; data: T };
  expect(body.status, `GET /api/v1${path}`).toBe('ok');
  return body.data;
}

/**
 * What the gateway served lately: every path of interest fetched every 100 ms in the background while the widgets
 * are checked. The live numbers move several times a second and the page, on a loaded machine, shows them a second
 * or two after the gateway does, so the page is compared with the gateway's responses of the last 15 s.
 */
class Served {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON bodies of many shapes
  private readonly seen = new Map<string, { at: number; data: any }[]>();
  private running = true;
  private readonly loop: Promise<void>;

  private error: Error | null = null;

  constructor(paths: string[]) {
    this.loop = (async () => {
      while (this.running) {
        for (const p of paths) {
          const list = this.seen.get(p) ?? [];
          list.push({ at: Date.now(), data: await api(p) });
          this.seen.set(p, list.filter((x) => x.at > Date.now() - 15_000));
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    })().catch((e: Error) => {
      this.error = e;
    });
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON bodies of many shapes
  async recent(path: string): Promise<any[]> {
    await expect.poll(() => (this.error ? 1 : (this.seen.get(path)?.length ?? 0)), { timeout: 10_000 }).toBeGreaterThan(0);
    if (this.error) throw this.error;
    return this.seen.get(path)!.map((x) => x.data);
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    if (this.error) throw this.error;
  }
}

/**
 * Poll until `check(page value, recent gateway responses)` passes (returns null); else fail with its last complaint.
 * Resolves with the page value that passed.
 */
async function matches<P>(
  read: () => Promise<P>,
  served: Served,
  path: string,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON bodies of many shapes
  check: (shown: P, recent: any[]) => string | null,
  timeout = 30_000,
): Promise<P> {
  const end = Date.now() + timeout;
  for (;;) {
    const shown = await read();
    const complaint = check(shown, await served.recent(path));
    if (complaint === null) return shown;
    if (Date.now() > end) throw new Error(`the page never showed what ${path} served within ${timeout / 1000} s: ${complaint}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

/** The page's text equals `expected` rendered from one of the gateway's recent responses. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON bodies of many shapes
function agrees(read: () => Promise<string>, served: Served, path: string, expected: (d: any) => string): Promise<string> {
  return matches(read, served, path, (shown, recent) => {
    const texts = recent.map(expected);
    if (texts.includes(shown)) return null;
    return `page ${JSON.stringify(shown)}, gateway (newest first) ${JSON.stringify([...new Set(texts.reverse())].slice(0, 3))}`;
  });
}

/**
 * How many slices the page flags (Surface3D's sliceFlags): butterfly arbitrage, a calendar violation against the
 * previous slice, or an RMSE above 2 vol points.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the surface JSON
function flaggedSlices(s: any): number {
  const later = new Set((Array.isArray(s.calendar_violations) ? s.calendar_violations : []).map((v: { later: string }) => v.later));
  return s.slices.filter(
    (x: { butterfly_free: boolean | null; rmse_vol: number | null; expiry: string; root: string | null; settlement: string }) =>
      x.butterfly_free === false || later.has(`${x.expiry} ${x.root ?? ''} ${x.settlement}`) || (x.rmse_vol !== null && x.rmse_vol > 2),
  ).length;
}

/** The value under a KPI label ("msg/s", "flip", ...) of a panel's KPI strip. */
function kpi(text: string, label: string): string {
  const lines = text.split('\n').map((l) => l.trim());
  const i = lines.indexOf(label);
  if (i < 0) throw new Error(`no KPI "${label}" in ${JSON.stringify(text)}`);
  return lines[i + 1];
}

beforeAll(async () => {
  mkdirSync(artifacts, { recursive: true });
  ensureWebBuilt();
  dataDir = mkdtempSync(join(tmpdir(), 'manifold-live-web-'));
  const cmd = runCommand();
  cli = cmd.what;
  const launching = launchBrowser();
  child = spawn(process.execPath, cmd.args, {
    cwd: repoRoot,
    env: {
      ...process.env,
      MANIFOLD_LOG_LEVEL: 'silent',
      MANIFOLD_API_PORT: '0', // a free port, printed in the Dashboard line
      MANIFOLD_API_TOKEN: '',
      MANIFOLD_DATA_DIR: dataDir,
      MANIFOLD_DATABASE_URL: '',
      MANIFOLD_REDIS_URL: '',
      MANIFOLD_BUS: 'inproc',
    },
  });
  exited = new Promise((resolve) => child.on('exit', (c) => resolve(c)));
  child.stderr.on('data', (d) => (stderr += d));
  let stdout = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no dashboard URL within 90 s; stderr: ${stderr}`)), 90_000);
    child.stdout.on('data', (d) => {
      stdout += d;
      const m = /Dashboard: (http:\/\/\S+?)\/? /.exec(stdout);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    void exited.then((code) => reject(new Error(`manifold run exited early with ${code}; stderr: ${stderr}`)));
  });
  base = url;
  browser = await launching;
}, 120_000);

afterAll(async () => {
  await browser?.close();
  if (child && child.exitCode === null && child.signalCode === null) {
    child.kill('SIGINT');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}, 30_000);

describe('dashboard against the live pipeline on the simulator (manifold run)', () => {
  let page: Page;
  const errors: string[] = [];
  const text = (id: string) => () => page.getByTestId(id).innerText();

  /** Every widget against the gateway; returns the page's numbers that move with the market. */
  async function checkWidgets(): Promise<Record<string, string>> {
    const served = new Served(['/chain', '/surface', '/gex', '/regime', '/health']);
    try {
      return await checkWidgetsAgainst(served);
    } finally {
      await served.stop();
    }
  }

  async function checkWidgetsAgainst(served: Served): Promise<Record<string, string>> {
    const moving: Record<string, string> = {};
    // Header: the simulator's chain.
    moving.chain = await agrees(
      text('chain-summary'),
      served,
      '/chain',
      (c) => `${c.underlying} ${num(c.spot, 2)} · ${c.as_of_date} · ${c.contracts} contracts · ${c.expiries.length} expiries · ${c.source}`,
    );
    expect(moving.chain).toMatch(/^SPX 4\d{3}\.\d{2} · 2023-04-14 · \d{4,} contracts · \d+ expiries · simulator:SPX$/);

    // 3D surface: its slice count, flagged slices and calendar check in the header, the canvas drawn.
    await agrees(
      async () => {
        const t = await page.getByTestId('surface-stats').innerText();
        const m = /^(\d+) slices · (\d+) flagged · (.*?) · updated /.exec(t);
        return m ? `${m[1]} slices · ${m[2]} flagged · ${/arbitrage-free/.test(m[3]) ? 'calendar-free' : 'calendar arbitrage'}` : t;
      },
      served,
      '/surface',
      (s) => `${s.slices.length} slices · ${flaggedSlices(s)} flagged · ${s.calendar_free ? 'calendar-free' : 'calendar arbitrage'}`,
    );
    await page.locator('.surface-box canvas').waitFor({ timeout: 20_000 });
    const legend = await page.locator('.surface-box .legend').innerText();
    expect(legend).toMatch(/0 – \d+% IV \(clipped above\) · mesh: \w+ surface/);

    // Smile: the selected expiry's ATM vol, RMSE, in-band share, quote count and forward; the quotes are plotted.
    const sel = Number(await page.getByTestId('smile-expiry').inputValue());
    moving.smile = await agrees(text('smile-stats'), served, '/surface', (s) => {
      const x = s.slices[sel];
      return `ATM ${num(x.atm_vol, 2)}% · RMSE ${num(x.rmse_vol, 2)} vol pts · in band ${pct(x.in_band, 0)} · ${x.quotes} quotes · F ${num(x.forward, 2)}`;
    });
    expect(await page.locator('[data-testid=panel-smile] .recharts-scatter-symbol').count()).toBeGreaterThan(10);
    // Term structure: one ATM-vol point per fitted slice.
    await agrees(
      async () => String(await page.locator('[data-testid=panel-smile] .recharts-line-dots').first().locator('circle').count()),
      served,
      '/surface',
      (s) => String(s.slices.filter((x: { t: number; svi: unknown }) => x.t > 0 && x.svi).length),
    );

    // GEX: total, spot, flip, walls; the bars by strike.
    moving.gex = await agrees(text('gex-kpis'), served, '/gex', (g) =>
      [
        'total GEX',
        money(g.total_gex),
        `per 1% move · ${g.model}`,
        'spot',
        num(g.spot, 2),
        'flip',
        num(g.flip, 0),
        g.flip !== null ? `${(((g.flip - g.spot) / g.spot) * 100).toFixed(2)}% from spot` : 'no sign change',
        'call wall',
        num(g.call_wall, 0),
        'put wall',
        num(g.put_wall, 0),
      ].join('\n'),
    ).catch(async (e: Error) => {
      throw new Error(`${e.message}\n(raw KPI text: ${JSON.stringify(await page.getByTestId('gex-kpis').innerText())})`);
    });
    expect(await page.locator('[data-testid=panel-gex] .recharts-bar-rectangle').count()).toBeGreaterThan(20);

    // Regime: the current state, its probability and date; the radar and the history are drawn.
    await agrees(text('regime-now'), served, '/regime', (r) => `${r.label} ${pct(r.probabilities[r.state], 0)} · as of ${r.as_of}`);
    expect(await page.locator('[data-testid=panel-regime] .recharts-radar-polygon').count()).toBeGreaterThan(0);
    const labels = (await api('/regime')).labels as string[];
    expect(await page.locator('[data-testid=panel-regime] .recharts-area').count()).toBe(labels.length);

    // Feed and pipeline health: the live feed, its message rate, and every stage's status, last run time and rate.
    const feed = await agrees(
      async () => (await page.getByTestId('feed-status').innerText()).split('\n').join(' '),
      served,
      '/health',
      (h) => `feed ${h.feed.status} ${h.feed.source}`,
    );
    expect(feed).toBe('feed live simulator:SPX');
    // Rates are windowed at the moment a health message is built (REST builds one per request, the stream one per
    // update): the page's rate is within 20% of one the gateway served lately. Stage names, statuses and last run
    // times are discrete: those are exact.
    const near = (a: number, b: number, rel: number, abs: number) => Math.abs(a - b) <= Math.max(abs, rel * Math.abs(b));
    moving.msgRate = await matches(
      async () => kpi(await page.getByTestId('panel-health').innerText(), 'msg/s'),
      served,
      '/health',
      (shown, recent) => {
        const rates = recent.map((h) => h.feed.msg_rate as number);
        return rates.some((r) => near(Number(shown), r, 0.2, 1)) ? null : `page msg/s ${shown}, gateway ${rates.map((r) => r.toFixed(0)).slice(-5).join(', ')}`;
      },
    );
    expect(Number(moving.msgRate)).toBeGreaterThan(0);
    const rows = async () => (await page.locator('[data-testid=pipeline-table] tbody tr').allInnerTexts()).map((r) => r.split('\t'));
    const stageRows = await matches(rows, served, '/health', (shown, recent) => {
      type Stage = { name: string; status: string; last_ms: number | null; rate: number };
      const names = (recent[recent.length - 1].pipeline as Stage[]).map((x) => x.name);
      if (shown.map((r) => r[0]).join() !== names.join()) return `page stages ${shown.map((r) => r[0]).join()}, gateway ${names.join()}`;
      for (const [name, status, lastRun, rate] of shown) {
        const ok = recent.some((h) =>
          (h.pipeline as Stage[]).some(
            (x) => x.name === name && x.status === status && (x.last_ms === null ? '–' : `${x.last_ms.toFixed(1)} ms`) === lastRun && near(Number(rate), x.rate, 0.2, 0.25),
          ),
        );
        if (!ok) return `page row ${JSON.stringify([name, status, lastRun, rate])} is not in the gateway's recent health`;
      }
      return null;
    });
    moving.stages = stageRows.map((r) => r.slice(0, 4).join(' ')).join(' | ');
    const stages = await api('/health');
    expect(stages.pipeline.map((s: { name: string }) => s.name)).toEqual(expect.arrayContaining(['iv', 'surface', 'gex', 'regime']));
    expect(stages.pipeline.every((s: { status: string }) => s.status === 'ok')).toBe(true);
    return moving;
  }

  let first: Record<string, string>;

  it('loads, and every widget shows the gateway numbers', async () => {
    console.log(`manifold run: ${cli}; dashboard ${base}/`);
    page = await browser.context.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(`console: ${m.text()}`);
    });
    await page.goto(base + '/');
    await expect.poll(text('connection'), { timeout: 20_000 }).toContain('live');
    first = await checkWidgets();
    expect(errors).toEqual([]);
  }, 90_000);

  it('the numbers update with the market, and still agree with the gateway', async () => {
    const surface0 = await api('/surface');
    const health0 = await api('/health');
    // Each of these moves within seconds on the simulator: spot (header, GEX strip), total GEX, the feed's message
    // rate and the stages' last run times and rates.
    for (const [key, id] of [
      ['chain', 'chain-summary'],
      ['gex', 'gex-kpis'],
    ] as const) {
      await expect.poll(text(id), { timeout: 20_000, message: `${id} never changed from ${first[key]}` }).not.toBe(first[key]);
    }
    await expect.poll(async () => kpi(await page.getByTestId('panel-health').innerText(), 'msg/s'), { timeout: 20_000 }).not.toBe(first.msgRate);
    await expect
      .poll(async () => (await page.locator('[data-testid=pipeline-table] tbody tr').allInnerTexts()).map((r) => r.split('\t').slice(0, 4).join(' ')).join(' | '), { timeout: 20_000 })
      .not.toBe(first.stages);
    // The gateway's surface was refitted meanwhile, and the page says how fresh its surface is.
    await expect.poll(async () => (await api('/surface')).refit_at, { timeout: 20_000 }).not.toBe(surface0.refit_at);
    expect((await api('/health')).feed.last_message_at).toBeGreaterThan(health0.feed.last_message_at);
    await expect.poll(async () => /updated (\d+) s ago/.exec(await page.getByTestId('surface-stats').innerText())?.[1], { timeout: 15_000 }).toMatch(/^\d$/);
    const second = await checkWidgets();
    expect(second.gex === first.gex && second.chain === first.chain).toBe(false);
    expect(errors).toEqual([]);
  }, 90_000);

  it('hovering the surface shows a tooltip with its numbers, which follow the refits', async () => {
    const box = (await page.locator('.surface-box canvas').boundingBox())!;
    const tip = page.getByTestId('surface-tooltip');
    let hit: { k: number; t: number; iv: number } | null = null;
    for (const [fx, fy] of [[0.5, 0.5], [0.45, 0.45], [0.55, 0.4], [0.4, 0.55], [0.6, 0.5], [0.35, 0.4]]) {
      await page.mouse.move(box.x + box.width * fx, box.y + box.height * fy, { steps: 4 });
      const shown = await expect
        .poll(() => tip.isVisible(), { timeout: 2_000 })
        .toBe(true)
        .then(() => true)
        .catch(() => false);
      if (shown) {
        const d = await tip.evaluate((el) => ({ ...(el as HTMLElement).dataset }));
        hit = { k: Number(d.k), t: Number(d.t), iv: Number(d.iv) };
        break;
      }
    }
    expect(hit, 'no tooltip at any of the probed points').not.toBeNull();
    const { k, t } = hit!;
    const tipText = await tip.innerText();
    expect(tipText).toMatch(/k -?\d\.\d{3} \(K ≈ \d+\)/);
    expect(tipText).toMatch(/T \d\.\d{3} y \(\d+ d\)/);
    expect(tipText).toMatch(/IV \d+\.\d{2}% \(surface\)/);
    expect(tipText).toMatch(/nearest slice \d{4}-\d{2}-\d{2} (AM|PM): SVI fit \d+\.\d{2}%/);
    // The tooltip's IV (bilinear on the page's grid) agrees with the gateway's surface at that (k, T).
    const gridAt = async () => (await api(`/surface/grid?nk=2&nt=2&kmin=${k}&kmax=${k + 1e-6}&tmin=${t}&tmax=${t + 1e-6}`)).iv[0][0] as number;
    expect(Math.abs((await gridAt()) - hit!.iv)).toBeLessThan(0.005);
    // The pointer stays put while the pipeline refits the surface: the tooltip shows the new surface's value at the
    // same (k, T).
    await expect.poll(async () => Number(await tip.getAttribute('data-iv')), { timeout: 20_000 }).not.toBe(hit!.iv);
    expect(await tip.isVisible()).toBe(true);
    expect(Number(await tip.getAttribute('data-k'))).toBe(k);
    expect(Math.abs((await gridAt()) - Number(await tip.getAttribute('data-iv')))).toBeLessThan(0.005);
    // The viewport screenshot keeps the tooltip (a full-page capture resizes the page and the pointer leaves the mesh).
    await page.screenshot({ path: join(artifacts, 'live-dashboard.png') });
    await page.screenshot({ path: join(artifacts, 'live-dashboard-full.png'), fullPage: true });
    if (process.env.MANIFOLD_README_SCREENSHOT) {
      mkdirSync(join(repoRoot, 'docs', 'img'), { recursive: true });
      await page.screenshot({ path: join(repoRoot, 'docs', 'img', 'dashboard.png') });
    }
    expect(errors).toEqual([]);
  }, 60_000);

  it('measures the 3D surface frame rate while orbiting, with the pipeline running', async () => {
    await page.mouse.move(5, 5); // off the canvas: no tooltip work during the measurement
    const m = await measureOrbitFps(page);
    const quotes = ((await api('/surface/quotes')) as { k: number[] }[]).reduce((n, s) => n + s.k.length, 0);
    const record = { ...m, mesh: '61x40 grid', quotes, viewport: '1600x1000', pipeline: `manifold run --no-monitor (simulator, ${cli})` };
    writeFileSync(join(artifacts, 'live-surface-fps.json'), JSON.stringify(record, null, 2));
    console.log(`live surface frame rate while orbiting: ${JSON.stringify(record)}`);
    expect(m.surface_fps).toBeGreaterThan(0); // it renders; the figure itself is reported, not asserted
    expect(errors).toEqual([]);
  }, 60_000);

  it('Ctrl-C stops the main job cleanly and the page shows it is disconnected, keeping the last numbers', async () => {
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(stderr).not.toMatch(/internal error|Error:/);
    await expect.poll(() => page.getByTestId('disconnected').isVisible(), { timeout: 15_000 }).toBe(true);
    expect(await page.getByTestId('connection').innerText()).not.toContain('live');
    // The last numbers stay on screen.
    expect(await page.getByTestId('gex-total').innerText()).toMatch(/^−?\$\d+\.\d{2}bn$/);
    expect(await page.getByTestId('chain-summary').innerText()).toMatch(/^SPX 4\d{3}\.\d{2} · /);
  }, 30_000);
});
