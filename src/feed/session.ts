/**
 * A live feed session: REST snapshot → contract universe and initial state → subscription plan around spot →
 * WebSocket client feeding the pipeline (optionally recorded). Used by `manifold feed` / `manifold record`, the
 * benchmark and the tests, so all of them run the same path.
 */
import { createLogger } from '../util/log.js';
import { MassiveClient } from './client.js';
import { LiveChain } from './live-chain.js';
import { FeedPipeline } from './pipeline.js';
import { Recorder, type RecorderOptions } from './recorder.js';
import { MassiveRest, universeFromContracts } from './rest.js';
import { planSubscriptions, resyncQueries, type SubscriptionPlan } from './subscriptions.js';

const log = createLogger('feed.session');

export interface SessionOptions {
  wsUrl: string;
  restUrl: string;
  apiKey: string;
  underlying: string;
  maxContracts?: number;
  /** Subscribe the underlying's own Q/T on the same socket (the simulator serves it; Massive's options cluster does not). */
  underlyingOnSocket?: boolean;
  /** Resync from REST after every (re)subscribe. Default true. */
  resync?: boolean;
  record?: string;
  recorderOptions?: RecorderOptions;
  reconnectInitialMs?: number;
  reconnectMaxMs?: number;
  maxAttempts?: number;
  /** Pipeline: measure per-event latency (default true). */
  measureLatency?: boolean;
}

export interface FeedSession {
  chain: LiveChain;
  pipeline: FeedPipeline;
  client: MassiveClient;
  rest: MassiveRest;
  recorder?: Recorder;
  plan: SubscriptionPlan;
  /** Stop the client, drain the pipeline, close the recording. */
  stop(): Promise<void>;
}

export async function startSession(o: SessionOptions): Promise<FeedSession> {
  const rest = new MassiveRest({ baseUrl: o.restUrl, apiKey: o.apiKey });
  const snap = await rest.optionChainSnapshot(o.underlying);
  if (snap.contracts.length === 0) throw new Error(`no option contracts for ${o.underlying} in the snapshot`);
  const universe = universeFromContracts(o.underlying, snap.contracts);
  const chain = new LiveChain(universe);
  let nowMs = Date.now();
  try {
    nowMs = await rest.serverTimeMs();
  } catch (e) {
    log.warn({ err: (e as Error).message }, 'no server time; planning expiries with the local clock');
  }
  const recorder = o.record
    ? new Recorder(o.record, { version: 1, underlying: o.underlying, createdMs: Date.now(), contracts: chain.massive, source: o.wsUrl }, o.recorderOptions)
    : undefined;
  const pipeline = new FeedPipeline(chain, { tap: recorder, measureLatency: o.measureLatency });
  // The initial state goes through the pipeline like every later resync, so a recording starts from it.
  pipeline.resyncSnapshot(snap.contracts);
  let spot = snap.underlyingPrice;
  if (!(spot > 0)) {
    // No underlying price in the snapshot: the strike with the smallest call-put mid difference is near the forward.
    spot = NaN;
    let best = Infinity;
    for (const c of snap.contracts) {
      if (c.right !== 'C') continue;
      const p = snap.contracts.find((x) => x.right === 'P' && x.strike === c.strike && x.expiration === c.expiration);
      if (!p) continue;
      const d = Math.abs((c.bid + c.ask) / 2 - (p.bid + p.ask) / 2);
      if (d < best) {
        best = d;
        spot = c.strike;
      }
    }
  }
  const plan = planSubscriptions(universe, spot, { maxContracts: o.maxContracts, nowMs, includeUnderlying: o.underlyingOnSocket });
  const client = new MassiveClient({
    url: o.wsUrl,
    apiKey: o.apiKey,
    pipeline,
    rest: o.resync === false ? undefined : rest,
    underlying: o.underlying,
    resyncQueries: resyncQueries(universe, plan.rows),
    reconnectInitialMs: o.reconnectInitialMs,
    reconnectMaxMs: o.reconnectMaxMs,
    maxAttempts: o.maxAttempts,
    maxOptionQuotes: o.maxContracts,
  });
  client.subscribe(plan.params);
  try {
    await client.start();
  } catch (e) {
    await recorder?.close();
    throw e;
  }
  return {
    chain,
    pipeline,
    client,
    rest,
    recorder,
    plan,
    async stop() {
      client.stop();
      await pipeline.idle();
      await recorder?.close();
    },
  };
}
