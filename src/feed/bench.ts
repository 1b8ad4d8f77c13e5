/**
 * `manifold bench feed`: (1) decode + apply from a recorded capture in one process, with JSON.parse alone over the
 * same frames as the reference; (2) end to end from a simulator in another process over loopback WebSocket.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OptionChain } from '../market/chain.js';
import { LiveChain } from './live-chain.js';
import { IN_FRAME, FeedPipeline, type PipelineInput } from './pipeline.js';
import { Recorder, RecordingReader } from './recorder.js';
import { universeFromContracts } from './rest.js';
import { startSession } from './session.js';
import { SimMarket } from './sim/market.js';
import { spawnSimulator } from './sim/spawn.js';
import { planSubscriptions } from './subscriptions.js';

export interface CaptureOptions {
  messages: number;
  eventsPerFrame?: number;
  contracts?: number;
  seed?: number;
}

/**
 * Write a capture of `messages` simulated events (the simulator's own market and frame format, ~1,000 contracts
 * around spot, 10% trades) as a recording file, the same format `manifold record` writes.
 */
export async function writeCapture(chain: OptionChain, path: string, o: CaptureOptions): Promise<{ frames: number; bytes: number }> {
  const market = new SimMarket(chain, { seed: o.seed ?? 7 });
  const universe = universeFromContracts(chain.underlying, market.massive.map((symbol) => ({ symbol })));
  const plan = planSubscriptions(universe, market.spot, { maxContracts: o.contracts ?? 1000, nowMs: chain.asOfMs, channels: ['Q'] });
  const rows = plan.rows.map((r) => market.rowOf.get('O:' + universe.symbol[r].replace(/ /g, ''))!).filter((r) => Number.isFinite(market.iv[r]));
  const rec = new Recorder(path, { version: 1, underlying: chain.underlying, createdMs: Date.now(), contracts: market.massive, source: 'bench capture' }, { blockBytes: 4 << 20 });
  const perFrame = o.eventsPerFrame ?? 100;
  let wall = Date.now();
  let frames = 0;
  let bytes = 0;
  const enc = new TextEncoder();
  for (let n = 0; n < o.messages; ) {
    const k = Math.min(perFrame, o.messages - n);
    const evs: string[] = new Array(k);
    market.advance(wall);
    for (let i = 0; i < k; i++) {
      const r = rows[market.nextIndex(rows.length)];
      evs[i] = market.nextRandom() < market.tradeRatio ? market.tradeEvent(r, wall) : market.quoteEvent(r, wall);
    }
    const data = enc.encode('[' + evs.join(',') + ']');
    rec.write({ type: IN_FRAME, recvMs: wall, data });
    frames++;
    bytes += data.length;
    n += k;
    wall += 0.2;
    if ((frames & 1023) === 0) await new Promise((r) => setImmediate(r));
  }
  await rec.close();
  return { frames, bytes };
}

export interface DecodeBenchResult {
  messages: number;
  frames: number;
  bytes: number;
  /** Messages per CPU-second of this (single-threaded) process: what one core does, even on a shared machine. */
  decode_apply_msgs_per_sec: number;
  decode_apply_wall_msgs_per_sec: number;
  decode_apply_runs: number[];
  json_parse_msgs_per_sec: number;
  json_parse_wall_msgs_per_sec: number;
  fast_path_frames: number;
  slow_path_frames: number;
}

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1];

/**
 * Decode + apply every frame of a recording into a fresh LiveChain, `reps` times, interleaved with the reference
 * (JSON.parse alone, no validation, no apply, over the same bytes) so both see the same machine load. Rates are
 * per CPU-second (process.cpuUsage) and per wall-second; medians count.
 */
export function benchDecodeApply(path: string, reps = 7): DecodeBenchResult {
  const reader = new RecordingReader(path);
  const inputs: PipelineInput[] = [];
  for (const b of reader.blocks()) for (const i of b) inputs.push(i);
  reader.close();
  const h = reader.header;
  const universe = universeFromContracts(h.underlying, h.contracts.map((symbol) => ({ symbol })));
  const cpuRuns: number[] = [];
  const wallRuns: number[] = [];
  const jsonCpu: number[] = [];
  const jsonWall: number[] = [];
  let messages = 0;
  let bytes = 0;
  let fast = 0;
  let slow = 0;
  const td = new TextDecoder();
  for (let rep = 0; rep < reps; rep++) {
    const chain = new LiveChain(universe);
    const p = new FeedPipeline(chain, { sync: true, measureLatency: false });
    const w0 = performance.now();
    const c0 = cpuMs();
    for (const input of inputs) p.push(input);
    const c1 = cpuMs();
    const w1 = performance.now();
    messages = p.metrics.messages;
    bytes = p.metrics.bytes;
    fast = p.decoder.fastFrames;
    slow = p.decoder.slowFrames;
    if (p.metrics.decodeErrorTotal > 0) throw new Error(`capture has ${p.metrics.decodeErrorTotal} bad frames`);
    cpuRuns.push(messages / ((c1 - c0) / 1000));
    wallRuns.push(messages / ((w1 - w0) / 1000));
    let n = 0;
    const jw0 = performance.now();
    const jc0 = cpuMs();
    for (const input of inputs) n += (JSON.parse(td.decode(input.data)) as unknown[]).length;
    const jc1 = cpuMs();
    jsonCpu.push(n / ((jc1 - jc0) / 1000));
    jsonWall.push(n / ((performance.now() - jw0) / 1000));
  }
  return {
    messages,
    frames: inputs.length,
    bytes,
    decode_apply_msgs_per_sec: Math.round(median(cpuRuns)),
    decode_apply_wall_msgs_per_sec: Math.round(median(wallRuns)),
    decode_apply_runs: cpuRuns.map(Math.round),
    json_parse_msgs_per_sec: Math.round(median(jsonCpu)),
    json_parse_wall_msgs_per_sec: Math.round(median(jsonWall)),
    fast_path_frames: fast,
    slow_path_frames: slow,
  };
}

export interface E2eBenchResult {
  ws_messages: number;
  ws_msgs_per_sec: number;
  /** Messages per CPU-second of the client process (socket read + decode + apply), and of the simulator process. */
  ws_client_cpu_msgs_per_sec: number;
  ws_sim_cpu_msgs_per_sec: number;
  p50_us: number;
  p99_us: number;
  max_us: number;
  lost: number;
  sim_events_sent: number;
  decode_errors: number;
}

/** Simulator in a child process (full speed or a fixed rate), client here; counts what arrives against what was sent. */
export async function benchEndToEnd(messages: number, eventsPerFrame = 100, rate: number | 'max' = 'max'): Promise<E2eBenchResult> {
  const sim = await spawnSimulator(['--rate', String(rate), '--count', String(messages), '--events-per-frame', String(eventsPerFrame), '--seed', '3']);
  let session;
  try {
    session = await startSession({
      wsUrl: sim.info.ws_url,
      restUrl: sim.info.rest_url,
      apiKey: 'bench',
      underlying: 'SPX',
      resync: false,
      underlyingOnSocket: false,
    });
    const m = session.pipeline.metrics;
    // Start the clock at the first data frame (the initial REST snapshot is not part of the stream rate).
    let t0 = NaN;
    let last = 0;
    let lastChange = performance.now();
    let tEnd = NaN;
    let c0 = NaN;
    for (;;) {
      await new Promise((r) => setTimeout(r, 2));
      const now = performance.now();
      if (!Number.isFinite(t0) && m.messages > 0) {
        t0 = now;
        c0 = cpuMs();
      }
      if (m.messages !== last) {
        last = m.messages;
        lastChange = now;
        tEnd = now;
      }
      if (m.messages >= messages) break;
      if (now - lastChange > (Number.isFinite(t0) ? 3000 : 30_000)) break;
    }
    // Once, after the loop: process.cpuUsage() is too costly to call every poll (it showed in the profile), and an
    // idle wait for stragglers costs no CPU.
    const cEnd = cpuMs();
    await session.stop();
    const stats = await sim.stop();
    const sent = Number(stats?.eventsSent ?? NaN);
    return {
      ws_messages: m.messages,
      ws_msgs_per_sec: Math.round(m.messages / ((tEnd - t0) / 1000)),
      ws_client_cpu_msgs_per_sec: Math.round(m.messages / ((cEnd - c0) / 1000)),
      ws_sim_cpu_msgs_per_sec: Math.round(sent / (Number(stats?.genCpuMs ?? NaN) / 1000)),
      p50_us: m.receiveToAppliedUs.quantile(0.5),
      p99_us: m.receiveToAppliedUs.quantile(0.99),
      max_us: m.receiveToAppliedUs.max,
      lost: Number.isFinite(sent) ? sent - m.messages : NaN,
      sim_events_sent: sent,
      decode_errors: m.decodeErrorTotal,
    };
  } finally {
    session?.client.stop();
    await sim.stop();
  }
}

/** Temporary directory for the capture, removed afterwards. */
export function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'manifold-feed-bench-'));
  return fn(dir).finally(() => rmSync(dir, { recursive: true, force: true }));
}

export interface SoakOptions {
  durationS: number;
  disconnectEveryS: number;
  rate: number;
}

/**
 * The fault run, literally: a simulator in another process drops the connection every `disconnectEveryS`
 * for `durationS` (with duplicates, out-of-order events and malformed frames), then freezes; the client's state on
 * every subscribed contract is compared with the simulator's (read from its REST snapshot once frozen).
 */
export async function soak(o: SoakOptions): Promise<Record<string, unknown>> {
  const sim = await spawnSimulator([
    '--rate', String(o.rate), '--seed', '13', '--time-scale', '10',
    '--disconnect-every', String(o.disconnectEveryS), '--freeze-after', String(o.durationS),
    '--duplicates', '0.002', '--out-of-order', '0.002', '--malformed-every', '500',
  ]);
  const t0 = Date.now();
  let session: Awaited<ReturnType<typeof startSession>> | undefined;
  try {
    session = await startSession({ wsUrl: sim.info.ws_url, restUrl: sim.info.rest_url, apiKey: 'soak', underlying: 'SPX', underlyingOnSocket: true });
    const s = session;
    const m = s.pipeline.metrics;
    await new Promise((r) => setTimeout(r, Math.max(0, o.durationS * 1000 - (Date.now() - t0)) + 1000));
    // Frozen: wait until the client is live, resynced and quiet.
    let last = -1;
    for (let quiet = 0; quiet < 10; ) {
      await new Promise((r) => setTimeout(r, 100));
      const busy = s.client.state !== 'live' || s.pipeline.isResyncing || s.pipeline.pending > 0 || m.messages !== last;
      last = m.messages;
      quiet = busy ? 0 : quiet + 1;
    }
    const truth = new Map<string, import('./rest.js').SnapshotContract>();
    const { resyncQueries } = await import('./subscriptions.js');
    for (const q of resyncQueries(s.chain.universe, s.plan.rows)) {
      for (const c of (await s.rest.optionChainSnapshot('SPX', q)).contracts) truth.set(c.symbol, c);
    }
    const differing: string[] = [];
    for (const r of s.plan.rows) {
      const t = truth.get(s.chain.massive[r]);
      const a = s.chain.rowState(r);
      const same = (x: number, y: number) => x === y || (Number.isNaN(x) && Number.isNaN(y));
      if (!t || !same(a.bid, t.bid) || !same(a.ask, t.ask) || !same(a.bidSize, t.bidSize) || !same(a.askSize, t.askSize) || !same(a.last, t.last) || !same(a.volume, t.volume) || !same(a.openInterest, t.openInterest)) {
        differing.push(s.chain.massive[r]);
      }
    }
    await s.stop();
    const stats = (await sim.stop()) ?? {};
    const gaps = m.gapSummary();
    return {
      duration_s: o.durationS,
      disconnect_every_s: o.disconnectEveryS,
      rate: o.rate,
      sim_disconnects: stats.disconnectsInjected,
      reconnects: m.reconnects,
      resubscribes: m.resubscribes,
      resyncs: m.resyncs,
      resync_failures: m.resyncFailures,
      gaps: gaps.count,
      gap_total_ms: Math.round(gaps.totalMs),
      gap_max_ms: Math.round(gaps.maxMs),
      messages: m.messages,
      sim_events_sent: stats.eventsSent,
      decode_errors: m.decodeErrorTotal,
      sim_malformed_sent: stats.malformedSent,
      late: s.chain.counters.late,
      duplicates: s.chain.counters.duplicates,
      covered_by_resync: s.chain.counters.covered,
      rows_compared: s.plan.rows.length,
      rows_differing: differing.length,
      differing_sample: differing.slice(0, 5),
      state_equal: differing.length === 0,
    };
  } finally {
    session?.client.stop();
    await sim.stop();
  }
}
