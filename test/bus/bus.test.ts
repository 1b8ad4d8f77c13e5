import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { InprocBus } from '../../src/bus/inproc.js';
import { defineTopic, TopicError } from '../../src/bus/topics.js';
import type { Bus, BusMessage, GapReport } from '../../src/bus/types.js';
import { ZmqBus } from '../../src/bus/zmq.js';
import { repoRoot } from '../support/cli.js';

const EP = { pubEndpoint: 'tcp://127.0.0.1:*', snapshotEndpoint: 'tcp://127.0.0.1:*', collectEndpoint: 'tcp://127.0.0.1:*' };
const toClose: Bus[] = [];
afterEach(async () => {
  for (const b of toClose.splice(0).reverse()) await b.close();
});

/** A publisher bus and a subscriber bus: the same object in-process; a ZeroMQ client connected to a hub otherwise. */
async function pair(kind: 'inproc' | 'zmq'): Promise<{ pub: Bus; sub: Bus; hub: Bus }> {
  if (kind === 'inproc') {
    const b = new InprocBus();
    toClose.push(b);
    return { pub: b, sub: b, hub: b };
  }
  const hub = await ZmqBus.create({ hub: true, ...EP, heartbeatMs: 30 });
  toClose.push(hub);
  const ep = { pubEndpoint: hub.endpoints.pub, snapshotEndpoint: hub.endpoints.snapshot, collectEndpoint: hub.endpoints.collect };
  const pub = await ZmqBus.create({ hub: false, ...ep, heartbeatMs: 30 });
  const sub = await ZmqBus.create({ hub: false, ...ep, heartbeatMs: 30 });
  toClose.push(pub, sub);
  return { pub, sub, hub };
}

const until = async (cond: () => boolean, ms = 10_000): Promise<void> => {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
};

interface Q {
  s: string;
  v: number;
}
const quotesSpx = defineTopic<Q>('data', 'quotes.SPX');
const quotesSpy = defineTopic<Q>('data', 'quotes.SPY');
const surfaceSpx = defineTopic<{ v: number }>('event', 'surface.SPX');
const reload = defineTopic<{ why: string }>('cmd', 'feed.reload');

describe('topics', () => {
  it('rejects malformed names and separates kinds', () => {
    expect(() => defineTopic('data', '')).toThrow(TopicError);
    expect(() => defineTopic('data', 'a b')).toThrow(TopicError);
    expect(() => defineTopic('bogus' as 'data', 'x')).toThrow(TopicError);
    expect(quotesSpx.name).toBe('data.quotes.SPX');
    expect(surfaceSpx.kind).toBe('event');
  });
});

for (const kind of ['inproc', 'zmq'] as const) {
  describe(`${kind} bus`, () => {
    it('routes by prefix, keeps kinds apart, delivers batches in order with per-topic sequence numbers', async () => {
      const { pub, sub } = await pair(kind);
      const all: BusMessage<Q>[] = [];
      const spx: BusMessage<Q>[] = [];
      const events: BusMessage<unknown>[] = [];
      const s1 = sub.subscribe<Q>('data.quotes.', (m) => void all.push(m));
      const s2 = sub.subscribe(quotesSpx, (m) => void spx.push(m));
      const s3 = sub.subscribe('event.', (m) => void events.push(m));
      await Promise.all([s1.ready, s2.ready, s3.ready]);
      for (let i = 0; i < 50; i++) {
        pub.publishBatch(quotesSpx, [{ s: 'A', v: i }, { s: 'B', v: i }]);
        pub.publish(quotesSpy, { s: 'C', v: i });
      }
      pub.publish(surfaceSpx, { v: 1 }, { key: 'SPX' });
      await pub.flush();
      await until(() => all.length === 100 && spx.length === 50 && events.length === 1);
      expect(spx.map((m) => m.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      expect(spx[7].items).toEqual([{ s: 'A', v: 7 }, { s: 'B', v: 7 }]);
      expect(all.filter((m) => m.topic === 'data.quotes.SPY').map((m) => m.items[0].v)).toEqual(Array.from({ length: 50 }, (_, i) => i));
      expect(events[0].topic).toBe('event.surface.SPX');
      expect(events[0].key).toBe('SPX');
      expect(s1.stats()).toMatchObject({ messages: 100, items: 150, lost: 0, gaps: 0 });
    });

    it('a late subscriber gets the current state before any delta, then every later delta exactly once', async () => {
      const { pub, sub } = await pair(kind);
      // State published before the subscriber exists.
      pub.publish(surfaceSpx, { v: 1 }, { key: 'SPX' });
      pub.publish(surfaceSpx, { v: 2 }, { key: 'SPX' });
      pub.publish(surfaceSpx, { v: 100 }, { key: 'SPX-weekly' });
      pub.publish(reload, { why: 'not state' });
      await pub.flush();
      // Keep publishing while the late subscriber performs its handshake.
      let v = 3;
      const ticker = setInterval(() => pub.publish(surfaceSpx, { v: v++ }, { key: 'SPX' }), 1);
      await new Promise((r) => setTimeout(r, 20));
      const got: BusMessage<{ v: number }>[] = [];
      const gaps: GapReport[] = [];
      const late = sub.subscribe(surfaceSpx, (m) => void got.push(m), { snapshot: true, onGap: (g) => void gaps.push(g) });
      const cmds: BusMessage<unknown>[] = [];
      const lateCmd = sub.subscribe('cmd.', (m) => void cmds.push(m), { snapshot: true });
      await Promise.all([late.ready, lateCmd.ready]);
      await new Promise((r) => setTimeout(r, 50));
      clearInterval(ticker);
      const lastV = v - 1;
      await pub.flush();
      await until(() => got.length > 0 && got[got.length - 1].items[0].v === lastV);
      const firstDelta = got.findIndex((m) => !m.fromSnapshot);
      const snap = got.slice(0, firstDelta === -1 ? got.length : firstDelta);
      // Snapshot first: one message per key, the latest at the time.
      expect(snap.map((m) => m.key).sort()).toEqual(['SPX', 'SPX-weekly']);
      expect(snap.find((m) => m.key === 'SPX-weekly')!.items[0].v).toBe(100);
      expect(got.slice(snap.length).every((m) => !m.fromSnapshot)).toBe(true);
      // Deltas: strictly after the snapshot's position, contiguous, no duplicates.
      const snapSeq = Math.max(...snap.map((m) => m.seq));
      const deltas = got.slice(snap.length).map((m) => m.seq);
      for (let i = 0; i < deltas.length; i++) expect(deltas[i]).toBe((i === 0 ? snapSeq : deltas[i - 1]) + 1);
      expect(gaps).toEqual([]);
      // Commands are never retained: a late command subscriber sees nothing from before.
      expect(cmds).toEqual([]);
      expect(() => pub.publish(reload, { why: 'x' }, { key: 'k' })).toThrow(/cannot carry a state key/);
    });

    it('conflates to the latest per key for a slow reader (counted, not reported as loss)', async () => {
      const { pub, sub } = await pair(kind);
      const seen: number[] = [];
      const s = sub.subscribe(
        surfaceSpx,
        async (m) => {
          seen.push(m.items[0].v);
          await new Promise((r) => setTimeout(r, 20));
        },
        { conflate: true },
      );
      await s.ready;
      for (let i = 1; i <= 200; i++) pub.publish(surfaceSpx, { v: i }, { key: 'SPX' });
      await pub.flush();
      await until(() => seen[seen.length - 1] === 200);
      await new Promise((r) => setTimeout(r, 60));
      expect(seen.length).toBeLessThan(50);
      expect(seen).toEqual([...seen].sort((a, b) => a - b));
      expect(s.stats().conflated).toBe(200 - seen.length);
      expect(s.stats().lost).toBe(0);
    });
  });
}

describe('in-process bus, slow asynchronous handler without conflation', () => {
  it('drops the oldest past maxQueue and reports every drop as an overflow gap', async () => {
    const bus = new InprocBus();
    toClose.push(bus);
    const gaps: GapReport[] = [];
    let n = 0;
    const s = bus.subscribe(quotesSpx, async () => {
      n++;
      await new Promise((r) => setTimeout(r, 1));
    }, { maxQueue: 10, onGap: (g) => void gaps.push(g) });
    for (let i = 0; i < 100; i++) bus.publish(quotesSpx, { s: 'A', v: i });
    await until(() => s.stats().messages + s.stats().lost === 100);
    expect(s.stats().lost).toBe(89); // 1 in the handler + 10 queued survive
    expect(gaps.every((g) => g.cause === 'overflow')).toBe(true);
    expect(n).toBe(11);
  });
});

describe('ZeroMQ across processes', () => {
  it("a deliberately slow subscriber's loss is detected by sequence gaps and heartbeats, never silent", async () => {
    const hub = await ZmqBus.create({ hub: true, ...EP, heartbeatMs: 50, sendHwm: 50 });
    toClose.push(hub);
    const flood = defineTopic<Q>('data', 'flood');
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(repoRoot, 'test/bus/fixtures/slow-sub.ts'), hub.endpoints.pub, hub.endpoints.snapshot, hub.endpoints.collect, 'data.flood', '2'],
      { cwd: repoRoot, env: { ...process.env, MANIFOLD_LOG_LEVEL: 'silent' }, stdio: ['pipe', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const exited = new Promise<number | null>((r) => child.on('close', r));
    try {
      await until(() => out.includes('READY'), 30_000);
      const N = 3000;
      const batch = Array.from({ length: 100 }, (_, i) => ({ s: `O:SPX${i}`, v: i }));
      for (let i = 0; i < N; i++) {
        hub.publishBatch(flood, batch);
        if (i % 500 === 0) await hub.flush();
      }
      await hub.flush();
      child.stdin.write(`STOP ${N}\n`);
      const code = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 30_000))]);
      expect(code, err).toBe(0);
      const report = JSON.parse(out.split('\n').find((l) => l.startsWith('{'))!) as {
        stats: { messages: number; lost: number; gaps: number };
        gaps: Array<{ lost: number; cause: string }>;
        outOfOrder: number;
      };
      // Exact accounting: everything published was either received or reported lost.
      expect(report.stats.messages + report.stats.lost).toBe(N);
      expect(report.stats.lost).toBeGreaterThan(0);
      expect(report.stats.gaps).toBeGreaterThan(0);
      expect(report.gaps.reduce((a, g) => a + g.lost, 0)).toBe(report.stats.lost);
      expect(report.outOfOrder).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
