/**
 * The front end of the all-in-one live job (`manifold run --source ...`): the topology already runs every role in
 * this process (feed → bus → analytics → store, gateway over the analytics' state; see roles.ts); this waits for the
 * first GEX and surface, prints the snapshot report and the dashboard address, and starts the console monitor.
 * `stop()` stops the monitor; the topology's stop stops the components and flushes the store.
 */
import { createLogger } from '../util/log.js';
import { GatewayComponent, LIVE_PIPELINE_SERVICE } from './analytics-role.js';
import type { LivePipeline } from './live.js';
import type { RunningTopology } from './topology.js';

const log = createLogger('pipeline.live-main');

export interface LiveFrontOptions {
  monitor: boolean;
  /** Force the monitor's TTY mode (default: stdout.isTTY). */
  tty?: boolean;
  /** How long to wait for the first GEX before printing the report anyway, ms. */
  firstStateTimeoutMs?: number;
  out?: NodeJS.WriteStream;
}

export interface RunningLive {
  pipeline: LivePipeline;
  url?: string;
  stop(): Promise<void>;
}

/** Wait until the pipeline has served a good GEX and surface (or the timeout passes). */
export async function waitForFirstState(p: LivePipeline, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (p.provider.gex().status === 'ok' && p.provider.surface().status === 'ok') return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

/** The live pipeline that the analytics role runs in this process, if it does. */
export function localPipeline(running: RunningTopology): LivePipeline | undefined {
  return running.services.get(LIVE_PIPELINE_SERVICE) as LivePipeline | undefined;
}

/** The gateway's address, if the api role runs in this process. */
export function localGatewayUrl(running: RunningTopology): string | undefined {
  for (const { component } of running.components) if (component instanceof GatewayComponent) return component.url;
  return undefined;
}

export async function startLiveFront(running: RunningTopology, o: LiveFrontOptions): Promise<RunningLive> {
  const out = o.out ?? process.stdout;
  const pipeline = localPipeline(running);
  if (!pipeline) throw new Error('no live pipeline in this process (the analytics role is not running here)');
  const cleanups: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const c of cleanups.reverse()) {
      try {
        await c();
      } catch (err) {
        log.error({ err: (err as Error).message }, 'live job did not stop cleanly');
      }
    }
  };
  try {
    const ok = await waitForFirstState(pipeline, o.firstStateTimeoutMs ?? 120_000);
    if (!ok) log.warn('no GEX and surface within the first-state timeout; starting anyway');
    const { formatSnapshotReport } = await import('../monitor/snapshot-report.js');
    out.write(formatSnapshotReport(pipeline.provider) + '\n');
    const url = localGatewayUrl(running);
    if (url) out.write(`Dashboard: ${url}  ·  API: ${url}api/v1  ·  OpenAPI: ${url}docs  ·  Ctrl-C stops\n`);
    if (o.monitor) {
      const { startMonitor } = await import('../monitor/index.js');
      const mon = await startMonitor(pipeline.provider, { tty: o.tty, out, footer: url ? `dashboard ${url} · Ctrl-C stops` : 'Ctrl-C stops' });
      cleanups.push(() => mon.stop());
    }
    return { pipeline, url, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
