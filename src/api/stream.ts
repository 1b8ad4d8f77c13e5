/**
 * WebSocket fan-out of state updates with per-client conflation and a hard bound on what a slow client can cost.
 *
 * A client never has a queue: it has a set of dirty topics. When a section changes, the topic is marked dirty for
 * every subscriber and the newest serialised message of that topic is sent when the client's socket can take it, so
 * ten updates that arrive while a client is busy become one message (the latest). The message of a (topic, update)
 * is serialised once and shared by every client.
 *
 * Writes stop while `socket.bufferedAmount` (bytes accepted by `send` but not yet taken by the kernel) is above
 * `highWaterBytes`. A client whose buffer stays above that mark for `stallMs`, or ever exceeds `maxBufferedBytes`,
 * is dropped with close code 4008 and the reason, so the gateway's memory per client is bounded by
 * max(highWaterBytes + one message, maxBufferedBytes) whatever the client does.
 */
import type { WebSocket } from 'ws';
import { jsonReplacer } from '../cli/output.js';
import { createLogger } from '../util/log.js';
import { TOPICS, type AnalyticsState, type Section, type Topic } from './state.js';

const log = createLogger('api.stream');

export const SLOW_CONSUMER_CODE = 4008;

export interface StreamOptions {
  /** Stop writing to a client above this many buffered bytes. Default 1 MiB. */
  highWaterBytes?: number;
  /** Drop a client whose buffer exceeds this. Default 8 MiB. */
  maxBufferedBytes?: number;
  /** Drop a client whose buffer stays above the high-water mark this long. Default 5 s. */
  stallMs?: number;
  /** How often blocked clients are re-checked. Default 50 ms. */
  tickMs?: number;
  /** Ping interval; a client that has not answered the previous ping is terminated. Default 30 s. */
  pingMs?: number;
  /** History points sent with a regime update (the REST route serves all of them). Default 250. */
  regimeHistoryPoints?: number;
}

interface Client {
  id: number;
  socket: WebSocket;
  topics: Set<Topic>;
  dirty: Set<Topic>;
  blockedSince: number | null;
  alive: boolean;
  sent: number;
  closed: boolean;
  /** Send a topic at most once per this many ms (0: as fast as the socket takes it). */
  intervalMs: number;
  /** When each topic was last sent (performance.now()). */
  lastSent: Map<Topic, number>;
  /** Pending flush for topics held back by `intervalMs`. */
  due: NodeJS.Timeout | null;
}

/** The longest per-client interval a client may ask for. */
export const MAX_INTERVAL_MS = 60_000;

/** Parse a client's `interval_ms` (a whole number of ms, 0 to MAX_INTERVAL_MS). */
export function parseIntervalMs(raw: unknown): number {
  if (raw === undefined || raw === '') return 0;
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(n) || n < 0 || n > MAX_INTERVAL_MS) throw new Error(`interval_ms must be a whole number of ms from 0 to ${MAX_INTERVAL_MS}`);
  return n;
}

export interface StreamStats {
  clients: number;
  connected_total: number;
  dropped_slow: number;
  messages_sent: number;
  bytes_sent: number;
  /** Sum of bufferedAmount over clients right now. */
  buffered_bytes: number;
}

/** Parse a `topics` list (comma-separated or array); unknown names are an error listing the valid ones. */
export function parseTopics(raw: string | string[] | undefined): Topic[] {
  if (raw === undefined || raw === '') return [...TOPICS];
  const list = (Array.isArray(raw) ? raw : raw.split(',')).map((s) => s.trim()).filter((s) => s !== '');
  const bad = list.filter((t) => !(TOPICS as readonly string[]).includes(t));
  if (bad.length > 0) throw new Error(`unknown topic(s) ${bad.join(', ')}; valid: ${TOPICS.join(', ')}`);
  return [...new Set(list)] as Topic[];
}

export class StreamHub {
  private readonly clients = new Set<Client>();
  private readonly cache = new Map<Topic, { version: number; text: string }>();
  private readonly version = new Map<Topic, number>();
  private readonly opts: Required<StreamOptions>;
  private readonly unsubscribe: () => void;
  private readonly tick: NodeJS.Timeout;
  private readonly ping: NodeJS.Timeout;
  private nextId = 1;
  private stats = { connected_total: 0, dropped_slow: 0, messages_sent: 0, bytes_sent: 0 };

  constructor(
    private readonly state: AnalyticsState,
    opts: StreamOptions = {},
  ) {
    this.opts = {
      highWaterBytes: opts.highWaterBytes ?? 1 << 20,
      maxBufferedBytes: opts.maxBufferedBytes ?? 8 << 20,
      stallMs: opts.stallMs ?? 5000,
      tickMs: opts.tickMs ?? 50,
      pingMs: opts.pingMs ?? 30_000,
      regimeHistoryPoints: opts.regimeHistoryPoints ?? 250,
    };
    for (const t of TOPICS) this.version.set(t, 0);
    this.unsubscribe = state.subscribe((topic) => this.onUpdate(topic));
    this.tick = setInterval(() => this.flushBlocked(), this.opts.tickMs);
    this.tick.unref();
    this.ping = setInterval(() => this.pingAll(), this.opts.pingMs);
    this.ping.unref();
  }

  getStats(): StreamStats {
    let buffered = 0;
    for (const c of this.clients) buffered += c.socket.bufferedAmount;
    return { clients: this.clients.size, ...this.stats, buffered_bytes: buffered };
  }

  /**
   * Take ownership of an accepted socket subscribed to `topics`; it receives the current state at once. With
   * `intervalMs`, each topic is sent at most that often (its newest message): a dashboard that renders once a
   * second asks for that and is spared parsing twenty GEX profiles a second it would never show.
   */
  attach(socket: WebSocket, topics: Topic[], intervalMs = 0): void {
    const client: Client = {
      id: this.nextId++,
      socket,
      topics: new Set(topics),
      dirty: new Set(topics),
      blockedSince: null,
      alive: true,
      sent: 0,
      closed: false,
      intervalMs,
      lastSent: new Map(),
      due: null,
    };
    this.clients.add(client);
    this.stats.connected_total++;
    socket.on('pong', () => (client.alive = true));
    socket.on('message', (data, isBinary) => this.onClientMessage(client, data as Buffer, isBinary));
    socket.on('close', () => this.forget(client));
    socket.on('error', () => this.forget(client));
    this.flush(client);
  }

  close(): void {
    this.unsubscribe();
    clearInterval(this.tick);
    clearInterval(this.ping);
    for (const c of this.clients) {
      c.closed = true;
      if (c.due) clearTimeout(c.due);
      c.socket.close(1001, 'server shutting down');
    }
    this.clients.clear();
  }

  private forget(client: Client): void {
    client.closed = true;
    if (client.due) clearTimeout(client.due);
    client.due = null;
    this.clients.delete(client);
  }

  private onUpdate(topic: Topic): void {
    this.version.set(topic, (this.version.get(topic) ?? 0) + 1);
    for (const c of this.clients) {
      if (!c.topics.has(topic)) continue;
      c.dirty.add(topic);
      this.flush(c);
    }
  }

  /**
   * Requests from the client: `{"subscribe": [...]}`, `{"unsubscribe": [...]}` (answered with the topics now
   * subscribed) and `{"interval_ms": n}` (answered with the interval). Anything else is answered with an error message.
   */
  private onClientMessage(client: Client, data: Buffer, isBinary: boolean): void {
    const reply = (obj: unknown) => {
      if (!client.closed) client.socket.send(JSON.stringify(obj));
    };
    if (isBinary) return reply({ error: 'binary messages are not accepted' });
    let msg: unknown;
    try {
      msg = JSON.parse(data.toString('utf8'));
    } catch {
      return reply({ error: 'message is not valid JSON' });
    }
    const expected = 'expected {"subscribe": [topics]}, {"unsubscribe": [topics]} or {"interval_ms": n}';
    if (!msg || typeof msg !== 'object' || Array.isArray(msg)) return reply({ error: expected });
    const m = msg as Record<string, unknown>;
    try {
      if ('interval_ms' in m) {
        client.intervalMs = parseIntervalMs(m.interval_ms);
        reply({ interval_ms: client.intervalMs });
        this.flush(client);
        return;
      }
      if (Array.isArray(m.subscribe)) {
        for (const t of parseTopics(m.subscribe.map(String))) {
          client.topics.add(t);
          client.dirty.add(t);
        }
      } else if (Array.isArray(m.unsubscribe)) {
        for (const t of parseTopics(m.unsubscribe.map(String))) {
          client.topics.delete(t);
          client.dirty.delete(t);
        }
      } else {
        return reply({ error: expected });
      }
    } catch (e) {
      return reply({ error: (e as Error).message });
    }
    reply({ topics: [...client.topics] });
    this.flush(client);
  }

  /** The current message of a topic, serialised once per update and shared by all clients. */
  private message(topic: Topic): string {
    const v = this.version.get(topic) ?? 0;
    const hit = this.cache.get(topic);
    if (hit && hit.version === v) return hit.text;
    const text = JSON.stringify({ topic, ...this.payload(topic) }, jsonReplacer);
    this.cache.set(topic, { version: v, text });
    return text;
  }

  private payload(topic: Topic): { status: string; updated_at: number | null; reason?: string; data: unknown } {
    const env = <T>(s: Section<T>, data: unknown) =>
      s.reason === undefined
        ? { status: s.status, updated_at: s.updatedAt, data }
        : { status: s.status, updated_at: s.updatedAt, reason: s.reason, data };
    switch (topic) {
      case 'chain': {
        const s = this.state.chain();
        // The loader report can be large (per-row reasons): REST serves it, the stream does not.
        return env(s, s.data ? { ...s.data, report: undefined } : null);
      }
      case 'surface': {
        const s = this.state.surface();
        return env(s, s.data?.json ?? null);
      }
      case 'gex':
        return env(this.state.gex(), this.state.gex().data);
      case 'regime': {
        const s = this.state.regime();
        const n = this.opts.regimeHistoryPoints;
        return env(s, s.data ? { now: s.data.now, history: s.data.history.slice(-n) } : null);
      }
      case 'health':
        return env(this.state.health(), this.state.health().data);
    }
  }

  private flush(client: Client): void {
    if (client.closed) return;
    const socket = client.socket;
    if (socket.readyState !== socket.OPEN) return;
    const now = performance.now();
    let nextDue = Infinity;
    for (const topic of [...client.dirty]) {
      if (!client.dirty.has(topic)) continue; // sent meanwhile by a nested flush (a send callback)
      if (socket.bufferedAmount >= this.opts.highWaterBytes) {
        client.blockedSince ??= Date.now();
        this.checkSlow(client);
        return;
      }
      if (client.intervalMs > 0) {
        const due = (client.lastSent.get(topic) ?? -Infinity) + client.intervalMs;
        if (due > now) {
          nextDue = Math.min(nextDue, due);
          continue;
        }
        client.lastSent.set(topic, now);
      }
      client.dirty.delete(topic);
      const text = this.message(topic);
      // The callback fires when the frame has been handed to the kernel: the moment to try the next dirty topic.
      socket.send(text, (err) => {
        if (!err && client.dirty.size > 0) this.flush(client);
      });
      client.sent++;
      this.stats.messages_sent++;
      this.stats.bytes_sent += text.length;
    }
    if (nextDue < Infinity && client.due === null) {
      client.due = setTimeout(() => {
        client.due = null;
        this.flush(client);
      }, Math.ceil(nextDue - now));
      client.due.unref();
    }
    if (socket.bufferedAmount < this.opts.highWaterBytes) client.blockedSince = null;
    else this.checkSlow(client);
  }

  private checkSlow(client: Client): void {
    const buffered = client.socket.bufferedAmount;
    const stalledFor = client.blockedSince === null ? 0 : Date.now() - client.blockedSince;
    if (buffered > this.opts.maxBufferedBytes || stalledFor > this.opts.stallMs) {
      this.drop(client, `slow consumer: ${buffered} bytes buffered, not draining for ${stalledFor} ms`);
    }
  }

  private drop(client: Client, reason: string): void {
    if (client.closed) return;
    client.closed = true;
    this.clients.delete(client);
    this.stats.dropped_slow++;
    log.warn({ client: client.id, reason }, 'dropping websocket client');
    const socket = client.socket;
    // The close frame sits behind the unread bytes, so a client that is not reading will never see it: close for the
    // clients that eventually read (they get the reason), then cut the TCP connection to release the buffer now.
    try {
      socket.close(SLOW_CONSUMER_CODE, reason.slice(0, 120));
    } catch {
      /* already closing */
    }
    setTimeout(() => socket.terminate(), 200).unref();
  }

  private flushBlocked(): void {
    for (const c of this.clients) {
      if (c.blockedSince !== null || (c.dirty.size > 0 && c.due === null)) this.flush(c);
    }
  }

  private pingAll(): void {
    for (const c of this.clients) {
      if (!c.alive) {
        this.forget(c);
        c.socket.terminate();
        continue;
      }
      c.alive = false;
      c.socket.ping();
    }
  }
}
