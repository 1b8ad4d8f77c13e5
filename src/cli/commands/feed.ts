import type { Command } from 'commander';
import { UserError } from '../errors.js';
import { parseNumberOption } from '../output.js';

export interface LiveFeedOpts {
  underlying: string;
  simulator?: string;
  interval: string;
  duration?: string;
  json?: boolean;
  maxContracts?: string;
}

const num = (name: string, raw: string, min = 0, max = Infinity) => parseNumberOption(name, raw, min, max);

/** Shared by `feed` and `record`: run a live session, print stats every interval, stop on signal or duration. */
export async function runLiveFeed(o: LiveFeedOpts, record?: string): Promise<void> {
  const { loadConfig } = await import('../../config/index.js');
  const { startSession } = await import('../../feed/session.js');
  const cfg = loadConfig();
  const m = cfg.massive;
  if (!/^[A-Za-z][A-Za-z0-9.]{0,9}$/.test(o.underlying)) throw new UserError(`invalid underlying '${o.underlying}'`);
  let wsUrl = m.wsUrl;
  let restUrl = m.restUrl;
  let apiKey = m.apiKey;
  if (o.simulator) {
    let u: URL;
    try {
      u = new URL(o.simulator);
    } catch {
      throw new UserError(`--simulator must be a ws:// URL, got '${o.simulator}'`);
    }
    if (u.protocol !== 'ws:' && u.protocol !== 'wss:') throw new UserError(`--simulator must be a ws:// URL, got '${o.simulator}'`);
    wsUrl = u.href;
    restUrl = `${u.protocol === 'wss:' ? 'https' : 'http'}://${u.host}`;
    apiKey ??= 'simulator';
  }
  if (!apiKey) throw new UserError('no Massive API key: set MASSIVE_API_KEY (or massive.apiKey in manifold.config.json), or use --simulator');
  const maxContracts = o.maxContracts === undefined ? m.maxContracts : num('--max-contracts', o.maxContracts, 1, 1000);
  const interval = num('--interval', o.interval, 0.1) * 1000;
  let session;
  try {
    session = await startSession({
      wsUrl,
      restUrl,
      apiKey,
      underlying: o.underlying.toUpperCase(),
      maxContracts,
      underlyingOnSocket: Boolean(o.simulator),
      resync: m.resync,
      record,
      reconnectInitialMs: m.reconnectInitialMs,
      reconnectMaxMs: m.reconnectMaxMs,
    });
  } catch (e) {
    throw new UserError(`cannot start the feed: ${(e as Error).message}`);
  }
  const { pipeline, chain, client, plan } = session;
  const line = () => {
    const r = pipeline.metrics.rates();
    const mm = pipeline.metrics;
    const c = chain.counters;
    const stats = {
      t: new Date().toISOString(),
      state: client.state,
      msgs_per_sec: Math.round(r.msgsPerSec),
      bytes_per_sec: Math.round(r.bytesPerSec),
      messages: mm.messages,
      decode_errors: mm.decodeErrorTotal,
      reconnects: mm.reconnects,
      gaps: mm.gapSummary().count,
      late: c.late,
      duplicates: c.duplicates,
      spot: chain.spotPrice(),
      exch_to_recv_p50_ms: mm.exchangeToReceiveUs.quantile(0.5) / 1000,
      recv_to_applied_p99_us: mm.receiveToAppliedUs.quantile(0.99),
    };
    if (o.json) process.stdout.write(JSON.stringify(stats, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v)) + '\n');
    else
      process.stdout.write(
        `${stats.t} ${stats.state} ${stats.msgs_per_sec} msg/s ${(stats.bytes_per_sec / 1e6).toFixed(2)} MB/s total ${stats.messages} ` +
          `errors ${stats.decode_errors} reconnects ${stats.reconnects} late ${stats.late} dup ${stats.duplicates} spot ${stats.spot.toFixed(2)} ` +
          `p99 ${stats.recv_to_applied_p99_us}us\n`,
      );
  };
  process.stderr.write(`subscribed ${plan.rows.length} contracts of ${chain.size} around spot (${plan.skipped} left out)\n`);
  const timer = setInterval(line, interval);
  const reason = await new Promise<string>((resolve) => {
    process.once('SIGINT', () => resolve('interrupted'));
    process.once('SIGTERM', () => resolve('terminated'));
    client.once('failed', (why: string) => resolve(`failed: ${why}`));
    if (o.duration !== undefined) setTimeout(() => resolve('duration reached'), num('--duration', o.duration, 0) * 1000);
  });
  clearInterval(timer);
  await session.stop();
  line();
  const summary = { reason, ...pipeline.metrics.summary(), chain: chain.counters, recording: session.recorder?.stats };
  process.stderr.write(JSON.stringify(summary, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v)) + '\n');
  if (client.failure) throw new UserError(`feed stopped: ${client.failure}`, 3);
}

export function register(program: Command): void {
  program
    .command('feed')
    .description('connect to Massive (or the simulator), keep the live chain and print feed stats')
    .requiredOption('--underlying <symbol>', 'underlying, e.g. SPY or SPX')
    .option('--simulator <url>', 'connect to a `manifold simulate` server (ws://host:port/...) instead of Massive')
    .option('--interval <s>', 'seconds between stats lines', '1')
    .option('--duration <s>', 'stop after this many seconds')
    .option('--max-contracts <n>', 'option quote contracts to subscribe around spot (≤ 1000)')
    .option('--json', 'stats as JSON lines')
    .action(async (o: LiveFeedOpts) => runLiveFeed(o));
}
