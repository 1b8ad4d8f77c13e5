// Acceptance: `manifold run --source sim` in a real terminal (tmux) shows the live monitor with changing numbers and
// no error, and Ctrl-C stops it with exit 0. tmux is a system dependency of this test (.ci/run installs it).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { repoRoot } from '../support/cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'manifold-tty-'));
const sock = `manifold-tty-${process.pid}`;
const tmux = (...args: string[]) => execFileSync('tmux', ['-L', sock, ...args], { encoding: 'utf8' });
afterAll(() => {
  try {
    tmux('kill-server');
  } catch {
    /* already gone */
  }
  rmSync(tmp, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const screen = () => tmux('capture-pane', '-p', '-t', 'm');
/** The monitor's numbers: GEX total, spot, refit age, msg/s (whatever moves). */
const numbers = (s: string) => (s.match(/-?\d+(\.\d+)?/g) ?? []).join(' ');

it('shows the live monitor in a terminal: numbers change, no error, Ctrl-C exits 0', async () => {
  const exitFile = join(tmp, 'exit');
  const env = `MANIFOLD_API_PORT=0 MANIFOLD_DATA_DIR=${tmp} MANIFOLD_DATABASE_URL= MANIFOLD_REDIS_URL= MANIFOLD_BUS=inproc MANIFOLD_LOG_LEVEL=warn`;
  // A user's terminal: ink renders only the final frame when it detects CI (CI=true), so the variable is cleared
  // for the program under test.
  const cmd = `cd ${repoRoot} && env -u CI ${env} ${process.execPath} --import tsx src/cli/bin.ts run --source sim; echo $? > ${exitFile}; sleep 60`;
  tmux('new-session', '-d', '-s', 'm', '-x', '160', '-y', '50', cmd);

  // Alone this takes ~12 s; the budget allows for the other worker running process-heavy tests on the same 2 cores.
  // The 30 s figure of the acceptance is the README command on an idle machine, measured in docs/BENCHMARKS.md.
  const t0 = Date.now();
  let first = '';
  while (Date.now() - t0 < 90_000) {
    first = screen();
    if (/Feed LIVE/.test(first) && /SVI \d+\/\d+ slices fitted/.test(first) && /GEX [+-]\$/.test(first)) break;
    await sleep(500);
  }
  expect(first, 'the monitor within 90 s under the full suite (about 12 s alone)').toMatch(/Feed LIVE/);
  expect(first).toMatch(/GEX [+-]\$[\d.]+(bn|m|k)? per 1% move/);
  expect(first).toMatch(/Regime \w+ as of \d{4}-\d{2}-\d{2}|Regime computing/);
  await sleep(3000);
  const second = screen();
  const monitorPart = (s: string) => s.slice(s.indexOf('Manifold ·'));
  expect(monitorPart(second)).toMatch(/GEX [+-]\$/);
  expect(numbers(monitorPart(second))).not.toBe(numbers(monitorPart(first)));
  for (const s of [first, second]) expect(s).not.toMatch(/Error|error:|internal error|ERR_/);

  tmux('send-keys', '-t', 'm', 'C-c');
  const t1 = Date.now();
  while (!existsSync(exitFile) && Date.now() - t1 < 20_000) await sleep(200);
  expect(readFileSync(exitFile, 'utf8').trim()).toBe('0');
}, 150_000);
