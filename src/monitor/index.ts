/**
 * Start the console monitor over an `AnalyticsState`: the ink UI on a terminal, one summary line per interval
 * otherwise (logs, pipes, CI).
 */
import type { AnalyticsState } from '../api/state.js';
import { monitorModel, summaryLine } from './model.js';

export interface MonitorOptions {
  /** Force the mode; default: the UI when stdout is a TTY. */
  tty?: boolean;
  /** UI refresh period, ms (default 250). */
  refreshMs?: number;
  /** Summary line period in non-TTY mode, ms (default 2000). */
  lineEveryMs?: number;
  footer?: string;
  out?: NodeJS.WriteStream;
}

export interface RunningMonitor {
  stop(): Promise<void>;
}

export async function startMonitor(state: AnalyticsState, opts: MonitorOptions = {}): Promise<RunningMonitor> {
  const out = opts.out ?? process.stdout;
  const tty = opts.tty ?? Boolean(out.isTTY);
  if (!tty) {
    const t = setInterval(() => out.write(summaryLine(monitorModel(state)) + '\n'), opts.lineEveryMs ?? 2000);
    return {
      async stop() {
        clearInterval(t);
      },
    };
  }
  const { render } = await import('ink');
  const { createElement } = await import('react');
  const { MonitorApp } = await import('./app.js');
  // Ctrl-C stays with the caller's SIGINT handler (it flushes the store); ink must not exit the process itself.
  const inst = render(createElement(MonitorApp, { state, refreshMs: opts.refreshMs, footer: opts.footer }), { stdout: out, exitOnCtrlC: false, patchConsole: false });
  return {
    async stop() {
      inst.unmount();
      await inst.waitUntilExit().catch(() => undefined);
    },
  };
}
