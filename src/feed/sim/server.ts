/**
 * `manifold simulate`: a local server that speaks the Massive protocol. WebSocket (any path, e.g. `/options`):
 * `connected` on open, `{"action":"auth"}` → auth_success / auth_failed, `{"action":"subscribe"|"unsubscribe"}`
 * with `Q.`/`T.` params (at most 1,000 option quote contracts per connection), every frame a JSON array of events.
 * HTTP on the same port: `/v3/snapshot/options/{underlying}` (250 per page, `next_url` pagination) built from the
 * same market state, which is what a client resyncs from after a gap.
 *
 * The market keeps moving whether or not anyone is connected (a gap loses real events), at a configured rate or as
 * fast as the sockets drain (`rate: 'max'`, never dropping: generation waits while a socket's buffer is full).
 * Faults: disconnect every N ms, slow-consumer disconnect, malformed frames, auth failure, max_connections,
 * duplicate and out-of-order events, auth timeout.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { OptionChain } from '../../market/chain.js';
import { createLogger } from '../../util/log.js';
import { SimMarket, type SimMarketOptions } from './market.js';
import { withDefaults } from '../options.js';

const log = createLogger('feed.sim');

export interface SimFaults {
  /** Drop every connection every N ms. */
  disconnectEveryMs?: number;
  /** 'abrupt' (TCP reset, default) or 'status' (force_disconnect status, then close). */
  disconnectMode?: 'abrupt' | 'status';
  /** Send slow_consumer and disconnect when a socket has more than this many bytes unsent. */
  slowConsumerBytes?: number;
  /** Send one malformed frame every N data frames. */
  malformedEvery?: number;
  /** Reject every authentication. */
  authFail?: boolean;
  /** Refuse connections beyond this many (max_connections). */
  maxConnections?: number;
  /** Probability that an event is sent twice. */
  duplicateProb?: number;
  /** Probability that an option event is followed by a newer one of the same contract sent BEFORE it. */
  outOfOrderProb?: number;
  /** Close unauthenticated connections after this long with auth_timeout. Default 10 s. */
  authTimeoutMs?: number;
}

export interface SimServerOptions {
  chain: OptionChain;
  market?: SimMarketOptions;
  host?: string;
  port?: number;
  /** If set, auth must present exactly this key; otherwise any non-empty key is accepted. */
  apiKey?: string;
  /** Events per second (all connections together), or 'max'. Default 10,000. */
  rate?: number | 'max';
  eventsPerFrame?: number;
  /** Stop generating after this many events (benchmarks). */
  count?: number;
  /** Freeze the market and clear the faults after this long (soak runs compare states once it is still). */
  freezeAfterMs?: number;
  /** Quote the underlying every N ms when subscribed (`Q.<underlying>`). Default 50. */
  underlyingEveryMs?: number;
  faults?: SimFaults;
}

export interface SimStats {
  connections: number;
  authenticated: number;
  generated: number;
  eventsSent: number;
  framesSent: number;
  bytesSent: number;
  disconnectsInjected: number;
  slowConsumerDisconnects: number;
  malformedSent: number;
  duplicatesSent: number;
  outOfOrderSent: number;
  maxConnectionsRefused: number;
  authFailures: number;
  subscribeRequests: number;
  /** CPU time of this process from the first generated event to the latest, ms (benchmarks). */
  genCpuMs: number;
}

interface Conn {
  ws: WebSocket;
  id: number;
  authed: boolean;
  subQ: Uint8Array;
  subT: Uint8Array;
  quoteCount: number;
  underlying: boolean;
  buf: string[];
  frames: number;
  authTimer?: NodeJS.Timeout;
}

const MALFORMED: string[] = [
  '[{"ev":"Q","sym":"O:SPXW230421C04100000","bp":1.5,"ap":', // truncated
  '[{"ev":"Q","sym":"O:SPXW230421C04100000","bp":"1.5","ap":1.6,"bs":1,"as":1,"t":1681500000000,"q":1}]', // wrong type
  '{"ev":"Q"}', // not an array
  '[{"ev":"ZZ","sym":"X"}]', // unknown event
  '[{"ev":"T","sym":"O:SPXW230421C04100000","p":1e400,"s":1,"t":1681500000000,"q":5}]', // huge number
  '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]', // deep
  'not json at all',
];

const STATUS = (status: string, message: string) => JSON.stringify([{ ev: 'status', status, message }]);

export class SimServer {
  readonly market: SimMarket;
  readonly stats: SimStats = {
    connections: 0, authenticated: 0, generated: 0, eventsSent: 0, framesSent: 0, bytesSent: 0, disconnectsInjected: 0,
    slowConsumerDisconnects: 0, malformedSent: 0, duplicatesSent: 0, outOfOrderSent: 0, maxConnectionsRefused: 0,
    authFailures: 0, subscribeRequests: 0, genCpuMs: 0,
  };
  private http?: Server;
  private wss?: WebSocketServer;
  private readonly conns = new Set<Conn>();
  private nextId = 1;
  /** Rows ever subscribed by anyone: the market keeps moving them during gaps. */
  private readonly active: number[] = [];
  private readonly isActive: Uint8Array;
  private underlyingActive = false;
  private timer?: NodeJS.Timeout;
  private disconnectTimer?: NodeJS.Timeout;
  private freezeTimer?: NodeJS.Timeout;
  private genStartMs = NaN;
  private cpuStartMs = NaN;
  private genTicks = 0;
  private lastUnderlyingMs = 0;
  private paused = false;
  private stopped = false;
  private readonly o: SimServerOptions & { rate: number | 'max'; eventsPerFrame: number; underlyingEveryMs: number; faults: SimFaults };
  port = 0;

  constructor(opts: SimServerOptions) {
    this.o = withDefaults({ rate: 10_000 as number | 'max', eventsPerFrame: 100, underlyingEveryMs: 50, faults: {} as SimFaults }, opts);
    this.market = new SimMarket(opts.chain, opts.market);
    this.isActive = new Uint8Array(opts.chain.size);
  }

  get url(): string {
    return `ws://${this.o.host ?? '127.0.0.1'}:${this.port}/options`;
  }

  get restUrl(): string {
    return `http://${this.o.host ?? '127.0.0.1'}:${this.port}`;
  }

  /** Events generated so far reached `count` (benchmarks). */
  get done(): boolean {
    return this.o.count !== undefined && this.stats.generated >= this.o.count;
  }

  async start(): Promise<void> {
    this.http = createServer((req, res) => this.handleHttp(req, res));
    this.wss = new WebSocketServer({ server: this.http, perMessageDeflate: false, maxPayload: 1024 * 1024 });
    this.wss.on('connection', (ws) => this.onConnection(ws));
    await new Promise<void>((resolve, reject) => {
      this.http!.once('error', reject);
      this.http!.listen(this.o.port ?? 0, this.o.host ?? '127.0.0.1', () => resolve());
    });
    this.port = (this.http.address() as AddressInfo).port;
    const f = this.o.faults;
    if (f.disconnectEveryMs) {
      this.disconnectTimer = setInterval(() => this.injectDisconnect(), f.disconnectEveryMs);
    }
    if (this.o.freezeAfterMs !== undefined) {
      this.freezeTimer = setTimeout(() => {
        this.clearFaults();
        this.pause();
        log.info('market frozen');
      }, this.o.freezeAfterMs);
    }
    this.schedule(1);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.disconnectTimer);
    clearTimeout(this.freezeTimer);
    for (const c of this.conns) {
      clearTimeout(c.authTimer);
      c.ws.terminate();
    }
    this.conns.clear();
    for (const ws of this.wss?.clients ?? []) ws.terminate(); // also the ones being closed (slow consumers)
    const closed = new Promise<void>((r) => (this.http ? this.http.close(() => r()) : r()));
    this.http?.closeAllConnections();
    await new Promise<void>((r) => (this.wss ? this.wss.close(() => r()) : r()));
    await closed;
  }

  /** Stop moving the market (tests compare states once it is still). */
  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.genStartMs = NaN;
  }

  /** Stop the periodic disconnect fault (e.g. before a final comparison). */
  clearFaults(): void {
    clearInterval(this.disconnectTimer);
    this.o.faults = {};
  }

  connectionCount(): number {
    return this.conns.size;
  }

  // ---- WebSocket ----------------------------------------------------------------------------------------------

  private onConnection(ws: WebSocket): void {
    const f = this.o.faults;
    this.stats.connections++;
    if (f.maxConnections !== undefined && this.conns.size >= f.maxConnections) {
      this.stats.maxConnectionsRefused++;
      ws.send(STATUS('max_connections', 'Maximum number of connections exceeded.'));
      ws.close(1008, 'max_connections');
      return;
    }
    const n = this.o.chain.size;
    const c: Conn = { ws, id: this.nextId++, authed: false, subQ: new Uint8Array(n), subT: new Uint8Array(n), quoteCount: 0, underlying: false, buf: [], frames: 0 };
    this.conns.add(c);
    ws.send(STATUS('connected', 'Connected Successfully'));
    c.authTimer = setTimeout(() => {
      if (!c.authed) {
        ws.send(STATUS('auth_timeout', 'authentication timed out'));
        ws.close(1008, 'auth_timeout');
      }
    }, f.authTimeoutMs ?? 10_000);
    ws.on('message', (data) => this.onMessage(c, data.toString()));
    ws.on('close', () => {
      clearTimeout(c.authTimer);
      this.conns.delete(c);
    });
    ws.on('error', () => undefined);
  }

  private onMessage(c: Conn, text: string): void {
    let msg: { action?: unknown; params?: unknown };
    try {
      msg = JSON.parse(text) as typeof msg;
    } catch {
      c.ws.send(STATUS('error', 'invalid JSON'));
      return;
    }
    if (typeof msg?.action !== 'string' || typeof msg.params !== 'string') {
      c.ws.send(STATUS('error', 'expected {"action": string, "params": string}'));
      return;
    }
    if (msg.action === 'auth') {
      const ok = !this.o.faults.authFail && msg.params.length > 0 && (this.o.apiKey === undefined || msg.params === this.o.apiKey);
      if (!ok) {
        this.stats.authFailures++;
        c.ws.send(STATUS('auth_failed', 'authentication failed'));
        c.ws.close(1008, 'auth_failed');
        return;
      }
      c.authed = true;
      clearTimeout(c.authTimer);
      this.stats.authenticated++;
      c.ws.send(STATUS('auth_success', 'authenticated'));
      return;
    }
    if (!c.authed) {
      c.ws.send(STATUS('auth_required', 'authentication required'));
      return;
    }
    if (msg.action === 'subscribe' || msg.action === 'unsubscribe') {
      this.stats.subscribeRequests++;
      const on = msg.action === 'subscribe' ? 1 : 0;
      const acks: string[] = [];
      for (const p of msg.params.split(',')) {
        const dot = p.indexOf('.');
        const ch = p.slice(0, dot);
        const sym = p.slice(dot + 1);
        if (sym === this.o.chain.underlying && (ch === 'Q' || ch === 'T')) {
          c.underlying = on === 1;
          if (on) this.underlyingActive = true;
          acks.push(p);
          continue;
        }
        const r = this.market.rowOf.get(sym);
        if (r === undefined || (ch !== 'Q' && ch !== 'T')) {
          acks.push(p); // Massive acknowledges unknown tickers too; they simply never trade
          continue;
        }
        if (ch === 'Q') {
          if (on && !c.subQ[r] && c.quoteCount >= 1000) {
            c.ws.send(STATUS('error', `maximum of 1000 option quote contracts per connection reached: ${p} refused`));
            continue;
          }
          if (c.subQ[r] !== on) c.quoteCount += on ? 1 : -1;
          c.subQ[r] = on;
        } else c.subT[r] = on;
        if (on && !this.isActive[r] && Number.isFinite(this.market.iv[r])) {
          this.isActive[r] = 1;
          this.active.push(r);
        }
        acks.push(p);
      }
      if (acks.length) {
        const verb = on ? 'subscribed to' : 'unsubscribed from';
        c.ws.send(JSON.stringify(acks.map((p) => ({ ev: 'status', status: 'success', message: `${verb}: ${p}` }))));
      }
      return;
    }
    c.ws.send(STATUS('error', `unknown action '${msg.action.slice(0, 32)}'`));
  }

  private injectDisconnect(): void {
    for (const c of [...this.conns]) {
      this.stats.disconnectsInjected++;
      if (this.o.faults.disconnectMode === 'status') {
        c.ws.send(STATUS('force_disconnect', 'disconnected by the server'));
        c.ws.close(1001, 'force_disconnect');
      } else c.ws.terminate();
      this.conns.delete(c);
    }
  }

  // ---- HTTP (REST snapshot) -----------------------------------------------------------------------------------

  private handleHttp(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
    const send = (status: number, body: string) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(body);
    };
    if (this.o.apiKey !== undefined) {
      const auth = req.headers.authorization;
      if (auth !== `Bearer ${this.o.apiKey}` && url.searchParams.get('apiKey') !== this.o.apiKey) {
        send(401, JSON.stringify({ status: 'ERROR', error: 'Unknown API Key' }));
        return;
      }
    }
    if (url.pathname === '/v1/marketstatus/now') {
      // The market's own clock (the chain's date), so clients plan expiries as of the simulated day.
      send(200, JSON.stringify({ market: 'open', serverTime: new Date(this.market.marketTimeMs()).toISOString() }));
      return;
    }
    const m = /^\/v3\/snapshot\/options\/([^/]+)$/.exec(url.pathname);
    if (req.method !== 'GET' || !m) {
      send(404, JSON.stringify({ status: 'NOT_FOUND', message: 'not served by the simulator' }));
      return;
    }
    if (decodeURIComponent(m[1]) !== this.o.chain.underlying) {
      send(200, JSON.stringify({ status: 'OK', request_id: 'sim', results: [] }));
      return;
    }
    const q = url.searchParams;
    const limit = Math.min(250, Math.max(1, Number(q.get('limit') ?? 10) || 10));
    const cursor = Math.max(0, Number(q.get('cursor') ?? 0) || 0);
    // The filters of the real endpoint that a resync uses: strike and expiration ranges.
    const ch = this.o.chain;
    const kLo = Number(q.get('strike_price.gte') ?? -Infinity);
    const kHi = Number(q.get('strike_price.lte') ?? Infinity);
    const eLo = q.get('expiration_date.gte') ?? '';
    const eHi = q.get('expiration_date.lte') ?? '9999';
    const eEq = q.get('expiration_date');
    const results: string[] = [];
    let r = cursor;
    for (; r < ch.size && results.length < limit; r++) {
      const k = ch.strike[r];
      const d = ch.expiries[ch.expiryIndex[r]].date;
      if (k < kLo || k > kHi || d < eLo || d > eHi || (eEq !== null && d !== eEq)) continue;
      results.push(this.market.snapshotResultJson(r));
    }
    let body = `{"status":"OK","request_id":"sim-${cursor}","results":[${results.join(',')}]`;
    if (r < ch.size) {
      const next = new URLSearchParams(q);
      next.set('cursor', String(r));
      body += `,"next_url":"${url.origin}${url.pathname}?${next}"`;
    }
    send(200, body + '}');
  }

  // ---- generation ---------------------------------------------------------------------------------------------

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => this.tick(), ms);
  }

  private tick(): void {
    if (this.stopped) return;
    const now = Date.now();
    if (this.paused || this.active.length === 0 || this.done) {
      this.schedule(5);
      return;
    }
    const m = this.market;
    const moved = m.advance(now);
    this.checkSlowConsumers();
    let budget: number;
    const maxTick = 200_000;
    if (this.o.rate === 'max') {
      // As fast as the sockets drain: wait while any authenticated socket has more than 4 MB queued.
      let live = 0;
      for (const c of this.conns) {
        if (!c.authed) continue;
        live++;
        if (c.ws.bufferedAmount > 4 * 1024 * 1024) {
          this.schedule(1);
          return;
        }
      }
      if (live === 0) {
        this.schedule(5);
        return;
      }
      budget = this.o.eventsPerFrame * 64;
    } else {
      if (!Number.isFinite(this.genStartMs)) this.genStartMs = now - 1;
      const due = Math.floor(((now - this.genStartMs) * this.o.rate) / 1000);
      budget = Math.min(maxTick, due - this.stats.generated);
      if (budget > maxTick) budget = maxTick;
      if (due - this.stats.generated > 10 * maxTick) this.genStartMs = now - 1; // fell far behind: do not catch up forever
    }
    if (this.o.count !== undefined) budget = Math.min(budget, this.o.count - this.stats.generated);
    if (moved && this.underlyingActive && now - this.lastUnderlyingMs >= this.o.underlyingEveryMs) {
      this.lastUnderlyingMs = now;
      const ev = m.underlyingEvent(now);
      for (const c of this.conns) if (c.authed && c.underlying) this.push(c, ev);
    }
    const f = this.o.faults;
    const dupP = f.duplicateProb ?? 0;
    const oooP = f.outOfOrderProb ?? 0;
    const active = this.active;
    // Array, not the Set: iterating a Set allocates an iterator per event.
    const conns: Conn[] = [];
    for (const c of this.conns) if (c.authed) conns.push(c);
    for (let i = 0; i < budget; i++) {
      const r = active[m.nextIndex(active.length)];
      const trade = m.nextRandom() < m.tradeRatio;
      let ev = trade ? m.tradeEvent(r, now) : m.quoteEvent(r, now);
      this.stats.generated++;
      let late: string | undefined;
      if (oooP > 0 && m.nextRandom() < oooP && i + 1 < budget) {
        // Generate the next event of the same contract and send it first: the earlier one arrives late.
        late = ev;
        ev = trade ? m.tradeEvent(r, now) : m.quoteEvent(r, now);
        this.stats.generated++;
        i++;
      }
      const dup = dupP > 0 && m.nextRandom() < dupP;
      for (let k = 0; k < conns.length; k++) {
        const c = conns[k];
        if (!(trade ? c.subT[r] : c.subQ[r])) continue;
        this.push(c, ev);
        if (late !== undefined) {
          this.push(c, late);
          this.stats.outOfOrderSent++;
        }
        if (dup) {
          this.push(c, ev);
          this.stats.duplicatesSent++;
        }
      }
    }
    for (const c of this.conns) this.flush(c);
    // process.cpuUsage() costs a few % here if called every tick: sample every 16th tick and when done.
    if (budget > 0 && (++this.genTicks % 16 === 1 || this.done)) {
      const u = process.cpuUsage();
      const cpu = (u.user + u.system) / 1000;
      if (!Number.isFinite(this.cpuStartMs)) this.cpuStartMs = cpu;
      this.stats.genCpuMs = cpu - this.cpuStartMs;
    }
    this.schedule(this.o.rate === 'max' ? 0 : 1);
  }

  private push(c: Conn, ev: string): void {
    c.buf.push(ev);
    if (c.buf.length >= this.o.eventsPerFrame) this.flush(c);
  }

  private flush(c: Conn): void {
    if (c.buf.length === 0) return;
    const frame = '[' + c.buf.join(',') + ']';
    this.stats.eventsSent += c.buf.length;
    c.buf = [];
    this.send(c, frame);
    const every = this.o.faults.malformedEvery;
    if (every && ++c.frames % every === 0) {
      this.stats.malformedSent++;
      this.send(c, MALFORMED[(c.frames / every) % MALFORMED.length]);
    }
  }

  private send(c: Conn, frame: string): void {
    if (c.ws.readyState !== c.ws.OPEN) return;
    this.stats.framesSent++;
    this.stats.bytesSent += frame.length;
    c.ws.send(frame);
  }

  private checkSlowConsumers(): void {
    const limit = this.o.faults.slowConsumerBytes;
    if (!limit) return;
    for (const c of [...this.conns]) {
      if (c.ws.bufferedAmount > limit) {
        this.stats.slowConsumerDisconnects++;
        log.info({ conn: c.id, buffered: c.ws.bufferedAmount }, 'slow consumer: disconnecting');
        this.conns.delete(c);
        c.ws.send(STATUS('slow_consumer', 'consumer too slow, disconnecting'));
        c.ws.close(1008, 'slow_consumer');
        // Graceful close first (the status is queued behind the unsent data); reset only if it never drains.
        setTimeout(() => c.ws.terminate(), 15_000).unref();
      }
    }
  }
}
