/**
 * Massive WebSocket client on `ws`: connect, authenticate, subscribe from a tracked set, reconnect with jittered
 * exponential backoff and resubscribe, resync from REST after every (re)subscribe, and stop for good — with the
 * reason — on `auth_failed` or `max_connections` (retrying those would only make a storm).
 *
 * The socket handler does no decoding: data frames go straight into the pipeline's raw queue with their receive
 * time. Only small frames that start like a status event are parsed on the spot, because connection control
 * (auth, disconnect reasons) must not wait behind a decode backlog.
 */
import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import { createLogger } from '../util/log.js';
import { nowMs } from './metrics.js';
import { FeedPipeline } from './pipeline.js';
import { authMessage, isFatalStatus, parseFrame, subscribeMessage, unsubscribeMessage, type StatusEvent } from './protocol.js';
import type { MassiveRest, SnapshotContract } from './rest.js';
import { chunkParams, SubscriptionSet } from './subscriptions.js';
import { withDefaults } from './options.js';

const log = createLogger('feed.client');

export type ClientState = 'idle' | 'connecting' | 'authenticating' | 'live' | 'backoff' | 'stopped' | 'failed';

export interface ClientOptions {
  url: string;
  /** Never logged. */
  apiKey: string;
  pipeline: FeedPipeline;
  /** REST client and underlying for the resync snapshot after each (re)subscribe; omit to skip resync. */
  rest?: MassiveRest;
  underlying?: string;
  /** Snapshot queries for the resync (see resyncQueries: one per expiry of the subscribed contracts). Default: the whole chain. */
  resyncQueries?: Array<Record<string, string>>;
  reconnectInitialMs?: number;
  reconnectMaxMs?: number;
  /** Give up after this many consecutive failed connection attempts (default: never). */
  maxAttempts?: number;
  authTimeoutMs?: number;
  maxOptionQuotes?: number;
}

const STATUS_PROBE = Buffer.from('"status"');

export class MassiveClient extends EventEmitter {
  state: ClientState = 'idle';
  readonly subscriptions: SubscriptionSet;
  /** Why the client stopped for good (auth failure, max_connections, attempts exhausted). */
  failure?: string;
  /** Connection attempts made (first connect included). */
  attempts = 0;
  /** Last disconnect reason announced by the server (force_disconnect, slow_consumer...). */
  lastServerReason?: string;
  readonly statusLog: StatusEvent[] = [];
  private ws?: WebSocket;
  private consecutiveFailures = 0;
  private timer?: NodeJS.Timeout;
  private authTimer?: NodeJS.Timeout;
  private everLive = false;
  private resyncSeq = 0;
  private readonly o: Required<Omit<ClientOptions, 'rest' | 'underlying' | 'maxAttempts' | 'resyncQueries'>> & Pick<ClientOptions, 'rest' | 'underlying' | 'maxAttempts' | 'resyncQueries'>;

  constructor(opts: ClientOptions) {
    super();
    this.o = withDefaults({ reconnectInitialMs: 250, reconnectMaxMs: 15_000, authTimeoutMs: 10_000, maxOptionQuotes: 1000 }, opts);
    this.subscriptions = new SubscriptionSet(this.o.maxOptionQuotes);
    this.o.pipeline.onBackpressure = (pause) => {
      if (pause) this.ws?.pause();
      else this.ws?.resume();
    };
  }

  get pipeline(): FeedPipeline {
    return this.o.pipeline;
  }

  /** Connect; resolves once authenticated the first time, rejects if the client fails for good before that. */
  start(): Promise<void> {
    if (this.state !== 'idle') throw new Error(`client already started (${this.state})`);
    return new Promise((resolve, reject) => {
      const onLive = () => {
        this.off('failed', onFail);
        resolve();
      };
      const onFail = (reason: string) => {
        this.off('live', onLive);
        reject(new Error(reason));
      };
      this.once('live', onLive);
      this.once('failed', onFail);
      this.connect();
    });
  }

  subscribe(params: string[]): void {
    const fresh = this.subscriptions.add(params);
    if (fresh.length && this.state === 'live') this.sendParams(fresh, subscribeMessage);
  }

  unsubscribe(params: string[]): void {
    const gone = this.subscriptions.remove(params);
    if (gone.length && this.state === 'live') this.sendParams(gone, unsubscribeMessage);
  }

  /** Close and do not reconnect. */
  stop(): void {
    this.state = 'stopped';
    clearTimeout(this.timer);
    clearTimeout(this.authTimer);
    const ws = this.ws;
    this.ws = undefined;
    if (ws) {
      ws.removeAllListeners();
      ws.on('error', () => undefined);
      ws.terminate();
    }
  }

  private sendParams(params: string[], make: (p: string[]) => string): void {
    for (const chunk of chunkParams(params)) this.ws?.send(make(chunk));
  }

  private connect(): void {
    if (this.state === 'stopped' || this.state === 'failed') return;
    this.state = 'connecting';
    this.attempts++;
    // No UTF-8 validation in ws: the decoder works on bytes and rejects anything that is not a valid frame itself
    // (the scanner accepts ASCII tickers only; the slow path decodes and validates), so it would be paid twice.
    const ws = new WebSocket(this.o.url, { perMessageDeflate: false, maxPayload: 64 * 1024 * 1024, handshakeTimeout: 10_000, skipUTF8Validation: true });
    this.ws = ws;
    let opened = false;
    ws.on('open', () => {
      opened = true;
      this.state = 'authenticating';
      ws.send(authMessage(this.o.apiKey));
      this.authTimer = setTimeout(() => {
        log.warn('no auth response: closing');
        ws.terminate();
      }, this.o.authTimeoutMs);
    });
    ws.on('message', (data: Buffer) => {
      const recv = nowMs();
      // A data frame starts with `[{"ev":"Q","sym":...`: "status" in its first bytes means a status frame.
      if (data.subarray(0, 24).indexOf(STATUS_PROBE) >= 0) {
        this.handleStatusFrame(data);
        if (this.state === 'live') this.o.pipeline.pushFrame(data, recv);
        return;
      }
      if (this.state === 'live') this.o.pipeline.pushFrame(data, recv);
      else log.warn('data frame before authentication: dropped');
    });
    ws.on('error', (err) => {
      log.warn({ err: err.message }, 'socket error');
    });
    ws.on('close', (code, reasonBuf) => {
      clearTimeout(this.authTimer);
      if (this.ws !== ws) return;
      this.ws = undefined;
      const wasLive = this.state === 'live';
      const reason = this.lastServerReason ?? `closed (${code}${reasonBuf.length ? ' ' + reasonBuf.toString() : ''})`;
      this.lastServerReason = undefined;
      if (wasLive) {
        this.o.pipeline.connectionDown(reason);
        this.emit('down', reason);
      }
      if (this.state === 'stopped' || this.state === 'failed') return;
      if (!opened || !wasLive) this.consecutiveFailures++;
      this.scheduleReconnect(reason);
    });
  }

  private handleStatusFrame(data: Buffer): void {
    let events;
    try {
      events = parseFrame(data.toString('utf8'));
    } catch {
      return; // the pipeline counts it as a decode error
    }
    for (const e of events) if (e.ev === 'status') this.onStatus(e);
  }

  private onStatus(e: StatusEvent): void {
    this.statusLog.push(e);
    if (this.statusLog.length > 1000) this.statusLog.shift();
    this.emit('status', e);
    if (isFatalStatus(e.status)) {
      this.fail(`${e.status}: ${e.message || 'no message'}`);
      return;
    }
    switch (e.status) {
      case 'auth_success':
        clearTimeout(this.authTimer);
        this.goLive();
        return;
      case 'auth_timeout':
      case 'force_disconnect':
      case 'slow_consumer':
        this.lastServerReason = `${e.status}: ${e.message}`;
        log.warn({ status: e.status }, e.message);
        return;
      case 'error':
        log.warn({ status: e.status }, e.message);
        return;
      default:
        return;
    }
  }

  private goLive(): void {
    if (this.state !== 'authenticating') return;
    const reconnect = this.everLive;
    this.state = 'live';
    this.everLive = true;
    this.consecutiveFailures = 0;
    const p = this.o.pipeline;
    p.connectionUp();
    const params = this.subscriptions.list();
    if (this.o.rest && this.o.underlying) p.beginResync();
    if (params.length) {
      this.sendParams(params, subscribeMessage);
      if (reconnect) p.metrics.resubscribes++;
    }
    if (this.o.rest && this.o.underlying) void this.resync(this.o.rest, this.o.underlying);
    this.emit('live', { reconnect });
  }

  private async resync(rest: MassiveRest, underlying: string): Promise<void> {
    const id = ++this.resyncSeq;
    try {
      const queries = this.o.resyncQueries ?? [{}];
      const contracts: SnapshotContract[] = [];
      let pages = 0;
      // A few requests in flight at a time: fast, without hammering the API (429s are retried with backoff anyway).
      for (let i = 0; i < queries.length; i += 4) {
        const snaps = await Promise.all(queries.slice(i, i + 4).map((q) => rest.optionChainSnapshot(underlying, q)));
        for (const s of snaps) {
          pages += s.pages;
          for (const c of s.contracts) contracts.push(c);
        }
      }
      if (id !== this.resyncSeq && this.state === 'live') return; // superseded by a newer resync
      this.o.pipeline.resyncSnapshot(contracts);
      this.emit('resynced', { contracts: contracts.length, pages });
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'resync failed; continuing from the stream only');
      this.o.pipeline.resyncFailed((err as Error).message);
    }
  }

  private fail(reason: string): void {
    if (this.state === 'failed') return;
    const wasLive = this.state === 'live';
    this.failure = reason;
    this.state = 'failed';
    clearTimeout(this.timer);
    clearTimeout(this.authTimer);
    log.error(`stopping, will not retry: ${reason}`);
    const ws = this.ws;
    this.ws = undefined;
    if (ws) {
      if (wasLive) this.o.pipeline.connectionDown(reason);
      ws.removeAllListeners();
      ws.on('error', () => undefined);
      ws.close();
    }
    this.emit('failed', reason);
  }

  private scheduleReconnect(reason: string): void {
    if (this.o.maxAttempts !== undefined && this.consecutiveFailures >= this.o.maxAttempts) {
      this.fail(`gave up after ${this.consecutiveFailures} failed connection attempts (last: ${reason})`);
      return;
    }
    const base = Math.min(this.o.reconnectMaxMs, this.o.reconnectInitialMs * 2 ** Math.max(0, this.consecutiveFailures - 1));
    // Jitter: many clients must not reconnect in lockstep. Never below 10 ms, whatever the configuration.
    const delay = Math.max(10, (Number.isFinite(base) ? base : 250) * (0.5 + Math.random()));
    this.state = 'backoff';
    log.info({ delay: Math.round(delay), reason }, 'reconnecting');
    this.emit('reconnecting', { delay, reason });
    this.timer = setTimeout(() => this.connect(), delay);
  }
}
