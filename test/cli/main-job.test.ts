// The README's main job (`npm start` = `manifold run`) on embedded defaults: the simulator plays the shipped chain
// through the live pipeline; it prints the first analytics, serves the dashboard and API, prints one monitor summary
// line per interval (stdout is not a TTY here), and stops cleanly on Ctrl-C (SIGINT).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../support/cli.js';

describe('main job: manifold run (all-in-one, embedded defaults)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'manifold-run-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('prints the live analytics, serves the dashboard, prints monitor lines, and exits 0 on SIGINT', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'src/cli/bin.ts'), 'run'], {
      cwd: repoRoot,
      env: {
        ...process.env,
        MANIFOLD_LOG_LEVEL: 'silent',
        MANIFOLD_API_PORT: '0',
        MANIFOLD_DATA_DIR: dataDir,
        MANIFOLD_DATABASE_URL: '',
        MANIFOLD_REDIS_URL: '',
        MANIFOLD_BUS: 'inproc',
      },
    });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no dashboard URL within 90 s; stderr: ${stderr}`)), 90_000);
      child.stdout.on('data', (d) => {
        stdout += d;
        const m = /Dashboard: (http:\/\/\S+)/.exec(stdout);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
      child.on('exit', (code) => reject(new Error(`exited early with ${code}; stderr: ${stderr}`)));
    });

    expect(stdout).toMatch(/^SPX 4\d{3}\.\d+ +as of 2023-04-14T/m);
    expect(stdout).toMatch(/^GEX\s+total [+-]\$[\d.]+bn per 1% move \(naive\)/m);
    expect(stdout).toMatch(/^Surface \d+\/\d+ slices fitted/m);
    expect(stdout).toMatch(/^Regime\s+\w+ as of \d{4}-\d{2}-\d{2}/m);

    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/<div id="root">/);
    const gex = await fetch(`${url}api/v1/gex`);
    expect(gex.status).toBe(200);
    const body = (await gex.json()) as { data?: { total_gex?: number }; total_gex?: number };
    const total = body.data?.total_gex ?? body.total_gex;
    expect(Number.isFinite(total)).toBe(true);

    // The non-TTY monitor: summary lines with the live numbers, and they move.
    const lines = () => stdout.split('\n').filter((l) => /\| SPX \d+\.\d+ \| GEX [+-]\$/.test(l));
    const t0 = Date.now();
    while (lines().length < 3 && Date.now() - t0 < 30_000) await new Promise((r) => setTimeout(r, 250));
    const ls = lines();
    expect(ls.length).toBeGreaterThanOrEqual(3);
    expect(ls[ls.length - 1]).toMatch(/feed live \d+ msg\/s/);
    const strip = (l: string) => l.replace(/^\S+ \| /, '').replace(/refit \S+ ago/, '');
    expect(new Set(ls.map(strip)).size).toBeGreaterThan(1);

    const code = await new Promise<number | null>((resolve) => {
      child.on('exit', (c) => resolve(c));
      child.kill('SIGINT');
    });
    expect(code).toBe(0);
    expect(stderr).not.toMatch(/internal error|Error:/);
  }, 150_000);
});
