// `manifold serve` as a user runs it: prints the URL, serves the API and the dashboard, stops cleanly on SIGTERM;
// bad flags and missing files are one-line errors.
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot, runCli } from '../support/cli.js';

describe('manifold serve', () => {
  it('prints the URL, serves, and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'src/cli/bin.ts'), 'serve', '--port', '0'], {
      cwd: repoRoot,
      env: { ...process.env, MANIFOLD_LOG_LEVEL: 'silent', MANIFOLD_API_TOKEN: 'cli-token' },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    try {
      const deadline = Date.now() + 90_000;
      while (!/Manifold dashboard: (http:\/\/\S+)/.test(out) && Date.now() < deadline) {
        if (child.exitCode !== null) throw new Error(`serve exited early: ${err}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const url = /Manifold dashboard: (http:\/\/\S+)/.exec(out)?.[1];
      expect(url, out + err).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      expect(out).toContain(`docs: ${url}docs`);
      const health = (await (await fetch(`${url}api/v1/health`)).json()) as { data: { feed: { source: string } } };
      expect(health.data.feed.source).toBe('file:SPX_2023-04-14_eod.csv');
      const gex = (await (await fetch(`${url}api/v1/gex/summary`)).json()) as { status: string; data: { underlying: string } };
      expect(gex.status).toBe('ok');
      expect(gex.data.underlying).toBe('SPX');
      const reload = await fetch(`${url}api/v1/admin/reload`, { method: 'POST', headers: { authorization: 'Bearer cli-token', 'content-type': 'application/json' }, body: '{"gex_model":"all-short"}' });
      expect(reload.status).toBe(200);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  }, 120_000);

  it('explains bad input in one line', async () => {
    const missing = await runCli(['serve', '--chain', 'no/such/file.csv', '--port', '0']);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim().split("\n").filter((l) => l.startsWith("manifold:"))).toHaveLength(1);
    expect(missing.stderr).toMatch(/does not exist/);
    const port = await runCli(['serve', '--port', 'eighty']);
    expect(port.code).toBe(2);
    expect(port.stderr).toMatch(/--port/);
    const model = await runCli(['serve', '--gex-model', 'flow', '--port', '0']);
    expect(model.code).toBe(2);
    expect(model.stderr).toMatch(/unknown GEX model/);
    const help = await runCli(['serve', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--chain <file>/);
  }, 120_000);
});
