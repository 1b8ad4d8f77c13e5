// `manifold run ...` child processes for the multi-process tests: output captured, stopped with SIGTERM (as a
// supervisor would), and any left running killed when the test file ends.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { repoRoot } from './cli.js';

export interface Proc {
  p: ChildProcess;
  out: () => string;
  err: () => string;
  exited: Promise<number | null>;
}

export class Procs {
  private readonly all: ChildProcess[] = [];

  /** `manifold run <args>` from source with `env` added to this process's environment. */
  run(args: string[], env: Record<string, string>): Proc {
    const p = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'src/cli/bin.ts'), 'run', ...args], { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.all.push(p);
    let out = '';
    let err = '';
    p.stdout!.on('data', (d) => (out += d));
    p.stderr!.on('data', (d) => (err += d));
    const exited = new Promise<number | null>((r) => p.once('exit', (c) => r(c)));
    return { p, out: () => out, err: () => err, exited };
  }

  /** SIGKILL every process still running (afterAll). */
  killAll(): void {
    for (const p of this.all) if (p.exitCode === null) p.kill('SIGKILL');
  }
}

/** SIGTERM, then its exit code. */
export async function stopProc(x: Proc): Promise<number | null> {
  if (x.p.exitCode !== null) return x.p.exitCode;
  x.p.kill('SIGTERM');
  return x.exited;
}

/**
 * Poll `cond` until it holds; fails early, with its stderr, when a watched process exits, and with the watched
 * processes' stderr on the timeout.
 */
export async function until(cond: () => boolean | Promise<boolean>, ms: number, what: string, watch: Proc[] = []): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    for (const x of watch) if (x.p.exitCode !== null) throw new Error(`${what}: a process exited (${x.p.exitCode}): ${x.err().slice(-2000)}`);
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; stderr: ${watch.map((x) => x.err().slice(-1000)).join(' | ')}`);
    await sleep(50);
  }
}
