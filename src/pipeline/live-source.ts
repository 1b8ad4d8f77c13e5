/**
 * Where the live pipeline's chain state comes from: the protocol simulator playing a shipped chain (default, no
 * key, no network), the real Massive feed (needs a key), or a recording replayed through the same feed pipeline.
 * Every source gives the same thing: a `LiveChain` updated in place, the feed's metrics, its connection state,
 * and the valuation clock (the simulator's market runs on the chain's own date, so "now" for T is its clock).
 */
import { fileURLToPath } from 'node:url';
import type { ManifoldConfig } from '../config/index.js';
import type { LiveChain } from '../feed/live-chain.js';
import type { FeedMetrics } from '../feed/metrics.js';
import type { FeedSession } from '../feed/session.js';
import type { SimServer } from '../feed/sim/server.js';

export const DEFAULT_LIVE_CHAIN = fileURLToPath(new URL('../../data/chains/SPX_2023-04-14_eod.csv', import.meta.url));

export type SourceSpec =
  | { kind: 'sim'; chain?: string; rate?: number; port?: number; /** Connect to a simulator already running there (ws://host:port/...) playing `underlying` (default SPX). */ url?: string; underlying?: string } | { kind: 'massive'; underlying: string } | { kind: 'replay'; file: string; speed?: number | 'max' };

export class SourceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SourceError';
  }
}

/** `sim`, `massive`, `replay:<file>` → a source spec (a user mistake throws SourceError with a one-line reason). */
export function parseSource(raw: string, opts: { underlying?: string; rate?: number; chain?: string; speed?: number | 'max' } = {}): SourceSpec {
  if (raw === 'sim' || raw === 'simulator') return { kind: 'sim', chain: opts.chain, rate: opts.rate };
  if (raw === 'massive') return { kind: 'massive', underlying: (opts.underlying ?? 'SPY').toUpperCase() };
  if (raw.startsWith('replay:') && raw.length > 'replay:'.length) {
    const spec: SourceSpec = { kind: 'replay', file: raw.slice('replay:'.length) };
    if (opts.speed !== undefined) spec.speed = opts.speed;
    return spec;
  }
  throw new SourceError(`unknown source '${raw}' (expected sim, massive or replay:<file>)`);
}

export type ConnState = 'live' | 'connecting' | 'down' | 'static' | 'ended';

export interface FeedSource {
  readonly name: string;
  /** null until the first state arrives (a replay creates its chain from the recording's header). */
  chain(): LiveChain | null;
  metrics(): FeedMetrics | null;
  state(): ConnState;
  /** Valuation time for T: the feed's market clock. */
  clockMs(): number;
  /** Times the connection went from live to down. */
  outages(): number;
  /** The in-process simulator, when the source is one (tests kill and restart it). */
  readonly sim?: SimHandle;
  stop(): Promise<void>;
}

export interface SimHandle {
  server(): SimServer | null;
  /** Stop the simulator (its connections drop): the feed reconnects with backoff until `restart()`. */
  kill(): Promise<void>;
  restart(): Promise<void>;
}

export async function openSource(spec: SourceSpec, cfg: ManifoldConfig): Promise<FeedSource> {
  if (spec.kind === 'sim') return openSimSource(spec, cfg);
  if (spec.kind === 'massive') return openMassiveSource(spec, cfg);
  return openReplaySource(spec);
}

function sessionSource(name: string, session: FeedSession, clockOffsetMs: number, extra: { sim?: SimHandle; onStop?: () => Promise<void> } = {}): FeedSource {
  let state: ConnState = 'live';
  let outages = 0;
  const down = () => {
    if (state === 'live') outages++;
    state = 'down';
  };
  session.client.on('live', () => (state = 'live'));
  session.client.on('down', down);
  session.client.on('reconnecting', () => state === 'live' && down());
  session.client.on('failed', () => (state = 'ended'));
  return {
    name,
    chain: () => session.chain,
    metrics: () => session.pipeline.metrics,
    state: () => state,
    clockMs: () => Date.now() + clockOffsetMs,
    outages: () => outages,
    sim: extra.sim,
    async stop() {
      await session.stop();
      await extra.onStop?.();
    },
  };
}

async function openSimSource(spec: Extract<SourceSpec, { kind: 'sim' }>, cfg: ManifoldConfig): Promise<FeedSource> {
  if (spec.url !== undefined) return openRemoteSim(spec.url, spec.underlying ?? 'SPX', cfg);
  const { loadChainFile } = await import('../feed/chain-file.js');
  const { SimServer } = await import('../feed/sim/server.js');
  const { startSession } = await import('../feed/session.js');
  const { MassiveRest } = await import('../feed/rest.js');
  const path = spec.chain ?? DEFAULT_LIVE_CHAIN;
  let chain;
  try {
    chain = (await loadChainFile(path)).chain;
  } catch (e) {
    throw new SourceError(`cannot load the simulator's chain ${path}: ${(e as Error).message}`);
  }
  // One simulator market for the whole run: a restart after a kill resumes the same market on the same port.
  const make = (port: number) => new SimServer({ chain, port, rate: spec.rate ?? 2000, eventsPerFrame: 50 });
  let server: SimServer | null = make(spec.port ?? 0);
  await server.start();
  const port = server.port;
  const rest = new MassiveRest({ baseUrl: server.restUrl, apiKey: 'simulator' });
  const offset = (await rest.serverTimeMs()) - Date.now();
  const session = await startSession({
    wsUrl: server.url,
    restUrl: server.restUrl,
    apiKey: 'simulator',
    underlying: chain.underlying,
    maxContracts: cfg.massive.maxContracts,
    underlyingOnSocket: true,
    resync: true,
    reconnectInitialMs: 200,
    reconnectMaxMs: 2000,
  });
  let market = server.market;
  const sim: SimHandle = {
    server: () => server,
    async kill() {
      const s = server;
      server = null;
      await s?.stop();
    },
    async restart() {
      if (server) return;
      const s = new SimServer({ chain, port, rate: spec.rate ?? 2000, eventsPerFrame: 50 });
      // The restarted process keeps the market where it was (as a real exchange would after our outage).
      (s as unknown as { market: typeof market }).market = market;
      await s.start();
      server = s;
      market = s.market;
    },
  };
  return sessionSource(`simulator:${chain.underlying}`, session, offset, { sim, onStop: async () => void (await server?.stop()) });
}

/** A simulator in another process (benchmarks, soak): the feed is the same client over loopback. */
async function openRemoteSim(url: string, underlying: string, cfg: ManifoldConfig): Promise<FeedSource> {
  const { startSession } = await import('../feed/session.js');
  const { MassiveRest } = await import('../feed/rest.js');
  const u = new URL(url);
  const restUrl = `${u.protocol === 'wss:' ? 'https' : 'http'}://${u.host}`;
  const rest = new MassiveRest({ baseUrl: restUrl, apiKey: 'simulator' });
  const offset = (await rest.serverTimeMs()) - Date.now();
  const session = await startSession({
    wsUrl: url,
    restUrl,
    apiKey: 'simulator',
    underlying,
    maxContracts: cfg.massive.maxContracts,
    underlyingOnSocket: true,
    resync: true,
    reconnectInitialMs: 200,
    reconnectMaxMs: 2000,
  });
  return sessionSource(`simulator:${underlying}@${u.host}`, session, offset);
}

async function openMassiveSource(spec: Extract<SourceSpec, { kind: 'massive' }>, cfg: ManifoldConfig): Promise<FeedSource> {
  const m = cfg.massive;
  if (!m.apiKey) throw new SourceError('no Massive API key: set MASSIVE_API_KEY (or massive.apiKey in manifold.config.json), or use --source sim');
  const { startSession } = await import('../feed/session.js');
  let session;
  try {
    session = await startSession({
      wsUrl: m.wsUrl,
      restUrl: m.restUrl,
      apiKey: m.apiKey,
      underlying: spec.underlying,
      maxContracts: m.maxContracts,
      resync: m.resync,
      reconnectInitialMs: m.reconnectInitialMs,
      reconnectMaxMs: m.reconnectMaxMs,
    });
  } catch (e) {
    throw new SourceError(`cannot start the Massive feed: ${(e as Error).message}`);
  }
  return sessionSource(`massive:${spec.underlying}`, session, 0);
}

async function openReplaySource(spec: Extract<SourceSpec, { kind: 'replay' }>): Promise<FeedSource> {
  const { existsSync } = await import('node:fs');
  if (!existsSync(spec.file)) throw new SourceError(`recording ${spec.file} does not exist`);
  const { replayRecording } = await import('../feed/replay.js');
  let chain: LiveChain | null = null;
  let metrics: FeedMetrics | null = null;
  let state: ConnState = 'connecting';
  let stopped = false;
  const done = replayRecording(spec.file, {
    speed: spec.speed ?? 1,
    onProgress: (p) => {
      if (stopped) throw new Error('replay stopped');
      if (!chain) p.chain.trackUpdates();
      chain = p.chain;
      metrics = p.metrics;
      state = 'live';
    },
  }).then(
    () => void (state = 'ended'),
    (e: Error) => {
      state = 'ended';
      if (!stopped) throw new SourceError(`replay of ${spec.file} failed: ${e.message}`);
    },
  );
  done.catch(() => undefined);
  return {
    name: `replay:${spec.file}`,
    chain: () => chain,
    metrics: () => metrics,
    state: () => state,
    // The recording's own clock: the latest exchange time it applied.
    clockMs: () => {
      const c = chain as LiveChain | null;
      return c && Number.isFinite(c.asOfMs) ? c.asOfMs : Date.now();
    },
    outages: () => 0,
    async stop() {
      stopped = true;
      await done.catch(() => undefined);
    },
  };
}
