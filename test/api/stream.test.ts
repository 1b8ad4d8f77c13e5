// WebSocket streams: per-client conflation (unit, with a socket whose buffer the test controls) and 50 real clients
// on loopback with one that never reads (it is dropped; the others keep receiving; buffered memory stays bounded).
import { afterEach, describe, expect, it } from 'vitest';
import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import type { WebSocket as ServerSocket } from 'ws';
import { buildGateway } from '../../src/api/server.js';
import { SLOW_CONSUMER_CODE, StreamHub } from '../../src/api/stream.js';
import { FakeState } from './fake-state.js';

/** A stand-in for a server-side ws socket: records what is sent; the test sets bufferedAmount. */
class FakeSocket extends EventEmitter {
  readonly OPEN = 1;
  readyState = 1;
  bufferedAmount = 0;
  sent: string[] = [];
  closedWith: [number, string] | null = null;
  terminated = false;
  send(text: string, cb?: (err?: Error) => void) {
    this.sent.push(text);
    cb?.();
  }
  close(code: number, reason: string) {
    this.closedWith = [code, reason];
  }
  terminate() {
    this.terminated = true;
  }
  ping() {}
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const versionOf = (text: string) => Number(/"updated_at":(\d+)/.exec(text)?.[1]) - 1_700_000_000_000;

describe('StreamHub conflation', () => {
  let hub: StreamHub | null = null;
  afterEach(() => hub?.close());

  it('sends the current state on attach, then only the newest message of a topic once the buffer drains', async () => {
    const state = new FakeState();
    hub = new StreamHub(state, { highWaterBytes: 1000, maxBufferedBytes: 1e9, stallMs: 60_000, tickMs: 10 });
    const sock = new FakeSocket();
    hub.attach(sock as unknown as ServerSocket, ['gex', 'regime']);
    expect(sock.sent.map((m) => JSON.parse(m).topic).sort()).toEqual(['gex', 'regime']);
    sock.sent = [];

    sock.bufferedAmount = 5000; // above the high-water mark: nothing may be written
    for (let i = 0; i < 25; i++) state.bump('gex');
    state.bump('health'); // not subscribed
    expect(sock.sent).toHaveLength(0);
    sock.bufferedAmount = 0;
    await sleep(50);
    expect(sock.sent).toHaveLength(1);
    const msg = JSON.parse(sock.sent[0]);
    expect(msg.topic).toBe('gex');
    expect(versionOf(sock.sent[0])).toBe(state.version);
    expect(msg.data.total_gex).toBe(1.5e9 + state.version);
  });

  it('serialises each update once for all clients', () => {
    const state = new FakeState();
    hub = new StreamHub(state, { tickMs: 1000 });
    const a = new FakeSocket();
    const b = new FakeSocket();
    hub.attach(a as unknown as ServerSocket, ['gex']);
    hub.attach(b as unknown as ServerSocket, ['gex']);
    state.bump('gex');
    expect(a.sent[1]).toBe(b.sent[1]);
    expect(hub.getStats().messages_sent).toBe(4);
  });

  it('drops a client whose buffer stays above the mark, and one that exceeds the hard cap at once', async () => {
    const state = new FakeState();
    hub = new StreamHub(state, { highWaterBytes: 1000, maxBufferedBytes: 100_000, stallMs: 100, tickMs: 10 });
    const stalled = new FakeSocket();
    const huge = new FakeSocket();
    const fine = new FakeSocket();
    for (const s of [stalled, huge, fine]) hub.attach(s as unknown as ServerSocket, ['gex']);
    stalled.bufferedAmount = 2000;
    huge.bufferedAmount = 200_000;
    state.bump('gex');
    expect(huge.closedWith?.[0]).toBe(SLOW_CONSUMER_CODE);
    expect(stalled.closedWith).toBeNull();
    await sleep(250);
    expect(stalled.closedWith?.[0]).toBe(SLOW_CONSUMER_CODE);
    expect(stalled.closedWith?.[1]).toMatch(/slow consumer/);
    expect(fine.closedWith).toBeNull();
    expect(hub.getStats()).toMatchObject({ clients: 1, dropped_slow: 2 });
  });

  it('answers bad client messages without closing, and changes subscriptions on request', async () => {
    const state = new FakeState();
    hub = new StreamHub(state, { tickMs: 1000 });
    const s = new FakeSocket();
    hub.attach(s as unknown as ServerSocket, ['gex']);
    s.sent = [];
    for (const bad of ['nope', '[1]', '{"subscribe":["bogus"]}', '{"x":1}']) s.emit('message', Buffer.from(bad), false);
    s.emit('message', Buffer.from([1, 2, 3]), true);
    expect(s.sent.map((m) => JSON.parse(m).error).every((e) => typeof e === 'string')).toBe(true);
    expect(s.sent).toHaveLength(5);
    s.sent = [];
    s.emit('message', Buffer.from('{"subscribe":["regime"]}'), false);
    expect(s.sent.map((m) => JSON.parse(m).topic ?? 'ack').sort()).toEqual(['ack', 'regime']);
    s.sent = [];
    s.emit('message', Buffer.from('{"unsubscribe":["gex"]}'), false);
    state.bump('gex');
    expect(s.sent.filter((m) => JSON.parse(m).topic === 'gex')).toHaveLength(0);
    expect(s.closedWith).toBeNull();
  });
});

describe('StreamHub interval_ms', () => {
  let hub: StreamHub | null = null;
  afterEach(() => hub?.close());

  it('sends each topic at most once per interval, always its newest message, and never loses the last update', async () => {
    const state = new FakeState();
    hub = new StreamHub(state, { tickMs: 10 });
    const slow = new FakeSocket();
    const fast = new FakeSocket();
    hub.attach(slow as unknown as ServerSocket, ['gex', 'health'], 200);
    hub.attach(fast as unknown as ServerSocket, ['gex', 'health']);
    expect(slow.sent.map((m) => JSON.parse(m).topic).sort()).toEqual(['gex', 'health']); // current state at once
    slow.sent = [];
    fast.sent = [];
    const start = performance.now();
    const at: number[] = [];
    slow.send = function (text: string, cb?: (err?: Error) => void) {
      this.sent.push(text);
      at.push(performance.now() - start);
      cb?.();
    };
    for (let i = 0; i < 30; i++) {
      state.bump('gex');
      await sleep(20);
    }
    const last = state.version;
    const bumpMs = performance.now() - start;
    await sleep(300);
    expect(fast.sent.filter((m) => JSON.parse(m).topic === 'gex')).toHaveLength(30);
    const gex = slow.sent.filter((m) => JSON.parse(m).topic === 'gex');
    // ≥ 600 ms of updates at 200 ms: one per interval (plus the trailing one), at least 200 ms apart, the last one
    // the newest version.
    expect(gex.length).toBeGreaterThanOrEqual(3);
    expect(gex.length).toBeLessThanOrEqual(Math.floor(bumpMs / 200) + 2);
    for (let i = 1; i < at.length; i++) expect(at[i] - at[i - 1]).toBeGreaterThanOrEqual(195);
    expect(versionOf(gex[gex.length - 1])).toBe(last);
    expect(slow.sent.some((m) => JSON.parse(m).topic === 'health')).toBe(false); // not updated, not resent
  });

  it('takes interval_ms from the client, and rejects a bad one with a message, not a close', async () => {
    const state = new FakeState();
    hub = new StreamHub(state, { tickMs: 10 });
    const s = new FakeSocket();
    hub.attach(s as unknown as ServerSocket, ['gex']);
    s.sent = [];
    for (const bad of ['{"interval_ms":-1}', '{"interval_ms":1.5}', '{"interval_ms":"x"}', '{"interval_ms":600000}']) s.emit('message', Buffer.from(bad), false);
    expect(s.sent.map((m) => JSON.parse(m).error)).toEqual(Array(4).fill('interval_ms must be a whole number of ms from 0 to 60000'));
    s.sent = [];
    s.emit('message', Buffer.from('{"interval_ms":1000}'), false);
    expect(JSON.parse(s.sent[0])).toEqual({ interval_ms: 1000 });
    state.bump('gex'); // sent: nothing was sent since the change
    state.bump('gex'); // held back
    expect(s.sent.filter((m) => JSON.parse(m).topic === 'gex')).toHaveLength(1);
    expect(s.closedWith).toBeNull();
  });
});

describe('50 clients on loopback, one not reading', () => {
  it('drops the slow client, keeps the others current, bounds buffered memory', async () => {
    const state = new FakeState();
    state.padding = 'x'.repeat(64_000); // ~64 kB per GEX message
    const HIGH = 256 * 1024;
    const CAP = 2 * 1024 * 1024;
    const { app, hub } = await buildGateway({
      state,
      webRoot: false,
      stream: { highWaterBytes: HIGH, maxBufferedBytes: CAP, stallMs: 1000, tickMs: 20 },
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const port = (app.server.address() as { port: number }).port;
    const url = `ws://127.0.0.1:${port}/api/v1/stream?topics=gex`;

    interface C {
      ws: WebSocket;
      count: number;
      last: number;
      closeCode: number | null;
      perSecond: number[];
    }
    const clients: C[] = [];
    const t0 = Date.now();
    for (let i = 0; i < 50; i++) {
      const ws = new WebSocket(url, { perMessageDeflate: false });
      const c: C = { ws, count: 0, last: -1, closeCode: null, perSecond: [] };
      ws.on('message', (data) => {
        c.count++;
        c.last = versionOf(data.toString('latin1', 0, 80));
        const sec = Math.floor((Date.now() - t0) / 1000);
        c.perSecond[sec] = (c.perSecond[sec] ?? 0) + 1;
      });
      ws.on('close', (code) => (c.closeCode = code));
      ws.on('error', () => undefined);
      clients.push(c);
    }
    await Promise.all(clients.map((c) => new Promise((r) => c.ws.once('open', r))));
    // The slow client stops reading from its TCP socket: the kernel buffers fill, then the server's.
    const slow = clients[0];
    (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();

    let maxBuffered = 0;
    let maxHeap = 0;
    const heap0 = process.memoryUsage().heapUsed;
    // Publish for at least 4 s and until the slow client has been dropped (bounded: 30 s). How long the kernel's
    // loopback buffers take to fill depends on the machine's load, so the end is an event, not a fixed time.
    const minMs = 4000;
    const start = Date.now();
    let droppedAfterMs = -1;
    let published = 0;
    while (Date.now() - start < 30_000) {
      state.bump('gex');
      published++;
      const st = hub.getStats();
      if (st.buffered_bytes > maxBuffered) maxBuffered = st.buffered_bytes;
      if (published % 50 === 0) maxHeap = Math.max(maxHeap, process.memoryUsage().heapUsed - heap0);
      if (st.dropped_slow > 0 && droppedAfterMs < 0) droppedAfterMs = Date.now() - start;
      if (droppedAfterMs >= 0 && Date.now() - start >= minMs) break;
      await sleep(5);
    }
    const publishMs = Date.now() - start;
    await sleep(500); // let the readers drain
    const stats = hub.getStats();
    const fast = clients.slice(1);
    const counts = fast.map((c) => c.count).sort((a, b) => a - b);
    const median = counts[Math.floor(counts.length / 2)];
    console.log(
      `ws: published ${published} updates of ~64 kB in ${publishMs} ms (slow client dropped after ${droppedAfterMs} ms); fast clients received min ${counts[0]} / median ${median} / max ${counts[counts.length - 1]} messages; ` +
        `slow client received ${slow.count} then was dropped; max buffered (all clients) ${(maxBuffered / 1e6).toFixed(2)} MB; max heap growth ${(maxHeap / 1e6).toFixed(1)} MB; stats ${JSON.stringify(stats)}`,
    );

    expect(stats.dropped_slow).toBe(1);
    expect(stats.clients).toBe(49);
    for (const c of fast) {
      expect(c.closeCode).toBeNull();
      expect(c.last).toBe(state.version); // every reader ends on the newest state
      // They kept receiving through the whole run, not only at the start or the end.
      for (let s = 1; s < Math.floor(publishMs / 1000) - 1; s++) expect(c.perSecond[s] ?? 0, `client second ${s}`).toBeGreaterThan(0);
    }
    // Conflation may merge updates when a reader is busy, but readers get most of them (machine-dependent, so the bar
    // is low: the point is that a stalled peer does not starve them).
    expect(counts[0]).toBeGreaterThan(published * 0.25);
    // Memory: what the gateway buffers is bounded by the per-client mark, whatever the slow client does.
    expect(maxBuffered).toBeLessThanOrEqual(50 * (HIGH + 70_000) + CAP);
    // The slow client's TCP connection is gone (terminated after the close frame it could not read).
    (slow.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    await sleep(300);
    expect(slow.ws.readyState).toBe(WebSocket.CLOSED);

    for (const c of clients) c.ws.terminate();
    await app.close();
  }, 60_000);
});
