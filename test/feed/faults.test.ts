// Against the simulator: a run with a disconnect every second (the 60 s / 10 s run scaled to 6 s / 1 s —
// the literal one is `npm run soak`), duplicates, out-of-order events and malformed frames; the client reconnects,
// resubscribes and resyncs every time, counts the gaps, and ends with the simulator's state. The run is recorded,
// and replaying the recording reproduces the live state exactly. Then auth failure and max_connections.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diffStates } from '../../src/feed/live-chain.js';
import { replayRecording } from '../../src/feed/replay.js';
import { startSession, type FeedSession } from '../../src/feed/session.js';
import { SimServer } from '../../src/feed/sim/server.js';
import { diffWithSim, settle, sleep, smallChain } from './helpers.js';

const RUN_MS = 6000;
const DISCONNECT_EVERY_MS = 1000;

describe('faults against the simulator', () => {
  let sim: SimServer;
  let session: FeedSession;
  let dir: string;
  let recording: string;
  let diffs: string[];
  let malformedSent = 0;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'manifold-feed-test-'));
    recording = join(dir, 'run.mfrec');
    sim = new SimServer({
      chain: await smallChain(4),
      rate: 20_000,
      market: { seed: 11, timeScale: 60 },
      faults: { disconnectEveryMs: DISCONNECT_EVERY_MS, duplicateProb: 0.01, outOfOrderProb: 0.01, malformedEvery: 40 },
    });
    await sim.start();
    session = await startSession({
      wsUrl: sim.url,
      restUrl: sim.restUrl,
      apiKey: 'test-key',
      underlying: 'SPX',
      underlyingOnSocket: true,
      record: recording,
      reconnectInitialMs: 50,
      reconnectMaxMs: 400,
    });
    // At least RUN_MS, and at least 5 drops (a loaded machine may connect late): bounded at 30 s.
    const t0 = Date.now();
    await sleep(RUN_MS);
    while (sim.stats.disconnectsInjected < 5 && Date.now() - t0 < 30_000) await sleep(100);
    sim.clearFaults();
    sim.pause();
    malformedSent = sim.stats.malformedSent;
    await settle(session);
    diffs = diffWithSim(session.chain, sim.market, session.plan.rows);
    await session.stop();
  }, 90_000);

  afterAll(async () => {
    session?.client.stop();
    await sim?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reconnects, resubscribes and resyncs after every disconnect, counting the gaps', () => {
    const m = session.pipeline.metrics;
    const drops = sim.stats.disconnectsInjected;
    expect(drops).toBeGreaterThanOrEqual(5);
    expect(m.reconnects).toBe(drops);
    expect(m.resubscribes).toBe(drops);
    expect(m.gaps.length).toBe(drops);
    for (const g of m.gaps) {
      expect(g.endMs).toBeGreaterThan(g.startMs);
      expect(g.reason).toMatch(/closed|disconnect/);
    }
    // initial state + first subscribe + one per reconnect
    expect(m.resyncs).toBe(drops + 2);
    expect(m.resyncFailures).toBe(0);
    expect(session.client.attempts).toBe(drops + 1);
    expect(sim.stats.connections).toBe(drops + 1);
    const c = session.chain.counters;
    expect(c.quotes).toBeGreaterThan(10_000);
    expect(c.duplicates).toBeGreaterThan(0);
    expect(c.late).toBeGreaterThan(0);
    // malformed frames: each one received is rejected and counted (some are lost in the gaps)
    expect(m.decodeErrorTotal).toBeGreaterThan(0);
    expect(m.decodeErrorTotal).toBeLessThanOrEqual(malformedSent);
  });

  it("ends with exactly the simulator's state on every subscribed contract", () => {
    expect(session.plan.rows.length).toBeGreaterThan(500);
    expect(diffs).toEqual([]);
  });

  it('replaying the recording reproduces the live state exactly', async () => {
    const live = session.chain;
    const r = await replayRecording(recording, { speed: 'max' });
    expect(r.read.truncatedTail).toBe(false);
    expect(r.chain.massive).toEqual(live.massive);
    expect(diffStates(live, r.chain)).toEqual([]);
    expect(r.chain.counters).toEqual(live.counters);
    for (const k of ['quoteSeq', 'tradeSeq', 'flags', 'quoteTime', 'tradeTime', 'lastSize'] as const) expect(r.chain[k]).toEqual(live[k]);
    expect(r.chain.spot).toEqual(live.spot);
    const a = session.pipeline.metrics;
    const b = r.pipeline.metrics;
    expect([b.messages, b.frames, b.decodeErrorTotal, b.reconnects, b.resyncs, b.gaps.length]).toEqual([a.messages, a.frames, a.decodeErrorTotal, a.reconnects, a.resyncs, a.gaps.length]);
  });

  it('replay at --speed 10 follows the recorded receive times (and ends in the same state)', async () => {
    const gaps = session.pipeline.metrics.gaps;
    const span = gaps.length ? gaps[gaps.length - 1].endMs - gaps[0].startMs : 0;
    const r = await replayRecording(recording, { speed: 10 });
    // Pacing: the gap-to-gap span alone must take at least a tenth of its recorded length.
    expect(r.elapsedMs).toBeGreaterThanOrEqual((span / 10) * 0.9);
    expect(diffStates(session.chain, r.chain)).toEqual([]);
  });
});

describe('fatal statuses: a clear reason and no retry storm', () => {
  for (const [name, faults, reason] of [
    ['auth failure', { authFail: true }, /auth_failed: authentication failed/],
    ['max_connections', { maxConnections: 0 }, /max_connections: Maximum number of connections exceeded/],
  ] as const) {
    it(`${name} stops the client for good`, async () => {
      const sim = new SimServer({ chain: await smallChain(1), rate: 1000, faults });
      await sim.start();
      try {
        const err = await startSession({ wsUrl: sim.url, restUrl: sim.restUrl, apiKey: 'k', underlying: 'SPX', reconnectInitialMs: 10, reconnectMaxMs: 20 }).catch((e: unknown) => e);
        expect((err as Error).message).toMatch(reason);
        await sleep(1000); // a retrying client would have reconnected dozens of times at a 10 ms backoff
        expect(sim.stats.connections).toBe(1);
      } finally {
        await sim.stop();
      }
    });
  }

  it('a wrong key is refused the same way', async () => {
    const sim = new SimServer({ chain: await smallChain(1), rate: 1000, apiKey: 'right' });
    await sim.start();
    try {
      const { MassiveClient } = await import('../../src/feed/client.js');
      const { FeedPipeline } = await import('../../src/feed/pipeline.js');
      const { LiveChain } = await import('../../src/feed/live-chain.js');
      const client = new MassiveClient({ url: sim.url, apiKey: 'wrong', pipeline: new FeedPipeline(LiveChain.fromChain(sim.market.chain)), reconnectInitialMs: 10 });
      await expect(client.start()).rejects.toThrow(/auth_failed/);
      expect(client.state).toBe('failed');
      expect(client.failure).toMatch(/auth_failed/);
      await sleep(300);
      expect(sim.stats.connections).toBe(1);
    } finally {
      await sim.stop();
    }
  });
});
