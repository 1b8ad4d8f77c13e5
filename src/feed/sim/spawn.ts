/**
 * Run `manifold simulate` in a child process (benchmarks, soak, tests): a simulator in another process is what
 * "end to end over loopback" means. Works from source (tsx) and from the compiled dist/.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

export interface SimulatorInfo {
  ws_url: string;
  rest_url: string;
  port: number;
  contracts: number;
  quotable: number;
}

export interface SimulatorProcess {
  child: ChildProcess;
  info: SimulatorInfo;
  /** SIGTERM, then the final stats line the simulator prints on exit. */
  stop(): Promise<Record<string, unknown> | undefined>;
}

/** Command and leading arguments that run the manifold CLI in a fresh Node process. */
export function cliCommand(): { cmd: string; args: string[] } {
  const here = dirname(fileURLToPath(import.meta.url));
  const js = resolve(here, '../../cli/bin.js');
  if (existsSync(js)) return { cmd: process.execPath, args: [js] };
  return { cmd: process.execPath, args: ['--import', 'tsx', resolve(here, '../../cli/bin.ts')] };
}

export function spawnSimulator(args: string[], env: Record<string, string> = {}): Promise<SimulatorProcess> {
  const { cmd, args: pre } = cliCommand();
  const child = spawn(cmd, [...pre, 'simulate', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, MANIFOLD_LOG_LEVEL: process.env.MANIFOLD_LOG_LEVEL ?? 'warn', ...env },
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (stderr.length > 20_000) stderr = stderr.slice(-10_000);
  });
  const lines = createInterface({ input: child.stdout! });
  const queue: string[] = [];
  let waiter: ((l: string | undefined) => void) | undefined;
  lines.on('line', (l) => {
    if (waiter) {
      const w = waiter;
      waiter = undefined;
      w(l);
    } else queue.push(l);
  });
  lines.on('close', () => waiter?.(undefined));
  const nextLine = (timeoutMs: number) =>
    new Promise<string | undefined>((res) => {
      if (queue.length) return res(queue.shift());
      const t = setTimeout(() => {
        waiter = undefined;
        res(undefined);
      }, timeoutMs);
      waiter = (l) => {
        clearTimeout(t);
        res(l);
      };
    });
  return nextLine(60_000).then((first) => {
    if (!first) {
      child.kill('SIGKILL');
      throw new Error(`simulator did not start: ${stderr.trim().slice(-500)}`);
    }
    const info = JSON.parse(first) as SimulatorInfo;
    return {
      child,
      info,
      async stop() {
        if (child.exitCode !== null) return undefined;
        const exited = new Promise<void>((r) => child.once('exit', () => r()));
        child.kill('SIGTERM');
        const last = await nextLine(10_000);
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
        try {
          return last ? (JSON.parse(last) as Record<string, unknown>) : undefined;
        } catch {
          return undefined;
        }
      },
    };
  });
}
