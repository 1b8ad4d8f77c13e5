/**
 * The all-in-one live job behind `manifold run --source ...`: feed source → live pipeline on the topology's bus
 * (the store role persists what it publishes) → gateway over the live state → console monitor. Returns a stop
 * function that tears everything down in reverse order (the topology's stop flushes the store).
 */
import type { ManifoldConfig } from '../config/index.js';
import type { Bus } from '../bus/types.js';
import { createLogger } from '../util/log.js';
import { LivePipeline } from './live.js';
import { openSource, type SourceSpec } from './live-source.js';

const log = createLogger('pipeline.live-main');

export interface LiveMainOptions {
  spec: SourceSpec;
  bus: Bus;
  serve: boolean;
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

export async function startLiveMain(cfg: ManifoldConfig, o: LiveMainOptions): Promise<RunningLive> {
  const out = o.out ?? process.stdout;
  const source = await openSource(o.spec, cfg);
  const pipeline = new LivePipeline({ source, bus: o.bus, dataDir: cfg.dataDir });
  pipeline.start();
  const cleanups: Array<() => Promise<void>> = [
    async () => {
      await pipeline.stop();
      await source.stop();
    },
  ];
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
    let url: string | undefined;
    if (o.serve) {
      const { startGateway } = await import('../api/index.js');
      const gw = await startGateway(pipeline.provider, cfg.api);
      cleanups.push(() => gw.close());
      url = gw.url;
      out.write(`Dashboard: ${gw.url}  ·  API: ${gw.url}api/v1  ·  OpenAPI: ${gw.url}docs  ·  Ctrl-C stops\n`);
    }
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
