/**
 * ZeroMQ bus (zguide "Clone" pattern). One process hosts the hub: it binds
 *   - a PULL collector where every process's publisher PUSHes (PUSH never drops: it blocks, and we queue),
 *   - a PUB socket that fans out every message with a per-topic sequence number (PUB drops past its high-water
 *     mark, silently at the ZeroMQ level: the sequence numbers and heartbeats make every subscriber see it),
 *   - a ROUTER snapshot socket that answers a late subscriber with the retained state (latest per key) and the
 *     sequence positions it reflects.
 * Each subscription owns a SUB socket, so each subscriber tracks its own loss. A subscription is `ready` once its
 * SUB has received a heartbeat (proof the subscription reached the hub); with `snapshot`, live messages are then
 * held while the snapshot is fetched, and only those newer than it are delivered (Clone model 3).
 */
import * as zmq from 'zeromq';
import { createLogger } from '../util/log.js';
import { decode, encode, HEARTBEAT_TOPIC, type Header, type Meta, type Positions } from './codec.js';
import { Sequencer } from './sequencer.js';
import { SubscriberCore, type Incoming } from './subscriber.js';
import { checkPrefix, topicKind, type Topic } from './topics.js';
import { BusError, type Bus, type Handler, type PublishOptions, type SubscribeOptions, type Subscription } from './types.js';

const log = createLogger('bus.zmq');

export interface ZmqBusOptions {
  /** Host the hub (bind) in this process; otherwise connect to it. */
  hub: boolean;
  pubEndpoint: string;
  snapshotEndpoint: string;
  collectEndpoint: string;
  /** Heartbeat period of the hub, ms (tail-loss detection and subscription liveness). */
  heartbeatMs?: number;
  /** High-water marks, in messages (each message may be a batch of many items). */
  sendHwm?: number;
  recvHwm?: number;
  /** Outgoing queue length above which publish() returns false. */
  publishHighWater?: number;
}

interface Retained {
  topic: string;
  header: Buffer;
  payload: Buffer;
  seq: number;
  key: string | undefined;
  ts: number;
  items?: unknown[];
}

/** Serialises sends on one socket (a ZeroMQ socket allows one send in flight) without blocking publishers. */
class SendQueue {
  private readonly q: Array<Array<Buffer | string>> = [];
  private running = false;
  private idle: Array<() => void> = [];
  failed: Error | undefined;

  constructor(
    private readonly sock: { send(frames: Array<Buffer | string>): Promise<void> },
    private readonly name: string,
  ) {}

  get length(): number {
    return this.q.length;
  }

  push(frames: Array<Buffer | string>): void {
    this.q.push(frames);
    if (!this.running) void this.run();
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      // Take the whole queue at once: shift() on a long array is O(n).
      while (this.q.length > 0) {
        const batch = this.q.splice(0, this.q.length);
        for (const frames of batch) await this.sock.send(frames);
      }
    } catch (err) {
      this.failed = err as Error;
      log.error({ err, socket: this.name }, 'bus send failed');
    } finally {
      this.running = false;
      const w = this.idle;
      this.idle = [];
      for (const f of w) f();
    }
  }

  drained(): Promise<void> {
    if (!this.running && this.q.length === 0) return Promise.resolve();
    return new Promise((r) => this.idle.push(r));
  }
}

export class ZmqBus implements Bus {
  readonly kind = 'zmq' as const;
  private readonly seq = new Sequencer<Retained>();
  private pub: zmq.Publisher | undefined;
  private pubQ: SendQueue | undefined;
  private router: zmq.Router | undefined;
  private routerQ: SendQueue | undefined;
  private pull: zmq.Pull | undefined;
  private push: zmq.Push | undefined;
  private pushQ: SendQueue | undefined;
  private hbTimer: NodeJS.Timeout | undefined;
  private readonly localSubs = new Set<SubscriberCore<unknown>>();
  private readonly remoteSubs = new Set<{ close(): Promise<void> }>();
  private closed = false;
  /** The endpoints actually bound or connected (a `*` port in the options is resolved here on the hub). */
  readonly endpoints: { pub: string; snapshot: string; collect: string };
  /** Hub counters. */
  readonly hubStats = { ingested: 0, published: 0, snapshots: 0, badMessages: 0 };

  private constructor(private readonly opts: ZmqBusOptions) {
    this.endpoints = { pub: opts.pubEndpoint, snapshot: opts.snapshotEndpoint, collect: opts.collectEndpoint };
  }

  static async create(opts: ZmqBusOptions): Promise<ZmqBus> {
    const bus = new ZmqBus(opts);
    try {
      if (opts.hub) await bus.startHub();
      else {
        bus.push = new zmq.Push({ sendHighWaterMark: opts.sendHwm ?? 10_000, linger: 5_000 });
        bus.push.connect(opts.collectEndpoint);
        bus.pushQ = new SendQueue(bus.push, 'push');
      }
    } catch (err) {
      await bus.close();
      throw new BusError(`cannot start ZeroMQ bus (${opts.hub ? 'hub' : 'client'}): ${(err as Error).message}`);
    }
    return bus;
  }

  private async startHub(): Promise<void> {
    const o = this.opts;
    this.pub = new zmq.Publisher({ sendHighWaterMark: o.sendHwm ?? 10_000, linger: 0 });
    await this.pub.bind(o.pubEndpoint);
    this.endpoints.pub = this.pub.lastEndpoint ?? o.pubEndpoint;
    this.pubQ = new SendQueue(this.pub, 'pub');
    this.router = new zmq.Router({ linger: 0 });
    await this.router.bind(o.snapshotEndpoint);
    this.endpoints.snapshot = this.router.lastEndpoint ?? o.snapshotEndpoint;
    this.routerQ = new SendQueue(this.router, 'router');
    this.pull = new zmq.Pull({ receiveHighWaterMark: o.recvHwm ?? 10_000, linger: 0 });
    await this.pull.bind(o.collectEndpoint);
    this.endpoints.collect = this.pull.lastEndpoint ?? o.collectEndpoint;
    void this.collectLoop();
    void this.snapshotLoop();
    this.hbTimer = setInterval(() => this.sendHeartbeat(), o.heartbeatMs ?? 200);
    this.hbTimer.unref();
  }

  private sendHeartbeat(): void {
    if (this.closed || !this.pubQ) return;
    const p: Positions = [this.seq.epoch, this.seq.positions()];
    this.pubQ.push([HEARTBEAT_TOPIC, encode(p)]);
  }

  private async collectLoop(): Promise<void> {
    const pull = this.pull!;
    try {
      for await (const frames of pull) {
        if (frames.length !== 3) {
          this.hubStats.badMessages++;
          continue;
        }
        let topic: string;
        let meta: Meta;
        try {
          topic = frames[0].toString();
          topicKind(topic);
          meta = decode<Meta>(frames[1]);
          if (!Array.isArray(meta) || typeof meta[1] !== 'number') throw new Error('bad meta frame');
        } catch (err) {
          this.hubStats.badMessages++;
          log.warn({ err }, 'malformed message on the collector dropped');
          continue;
        }
        this.sequence(topic, meta[0] ?? undefined, meta[1], frames[2], undefined);
      }
    } catch (err) {
      if (!this.closed) log.error({ err }, 'collector loop stopped');
    }
  }

  private async snapshotLoop(): Promise<void> {
    const router = this.router!;
    try {
      for await (const [id, cmd, arg] of router) {
        if (cmd?.toString() !== 'SNAP') {
          this.hubStats.badMessages++;
          continue;
        }
        const prefix = arg?.toString() ?? '';
        this.hubStats.snapshots++;
        // Entries and positions are taken in the same synchronous step: the snapshot is consistent.
        for (const e of this.seq.snapshot(prefix)) this.routerQ!.push([id, 'KV', e.topic, e.header, e.payload]);
        const p: Positions = [this.seq.epoch, this.seq.positions(prefix)];
        this.routerQ!.push([id, 'END', encode(p)]);
      }
    } catch (err) {
      if (!this.closed) log.error({ err }, 'snapshot loop stopped');
    }
  }

  /** Hub: assign the sequence number, retain, fan out to remote (PUB) and local subscribers. */
  private sequence(topic: string, key: string | undefined, ts: number, payload: Buffer, items: unknown[] | undefined): void {
    const s = this.seq.next(topic);
    const h: Header = [this.seq.epoch, s, key ?? null, ts];
    const header = encode(h);
    this.hubStats.ingested++;
    if (key !== undefined) this.seq.retain(topic, key, { topic, header, payload, seq: s, key, ts, items });
    this.pubQ!.push([topic, header, payload]);
    this.hubStats.published++;
    if (this.localSubs.size > 0) {
      let cached = items;
      const m: Incoming<unknown> = { topic, seq: s, key, ts, epoch: this.seq.epoch, decode: () => (cached ??= decode<unknown[]>(payload)) };
      for (const sub of this.localSubs) sub.accept(m);
    }
  }

  publish<T>(topic: Topic<T>, item: T, opts?: PublishOptions): boolean {
    return this.publishBatch(topic, [item], opts);
  }

  publishBatch<T>(topic: Topic<T>, items: T[], opts: PublishOptions = {}): boolean {
    if (this.closed) throw new BusError('bus is closed');
    if (!Array.isArray(items)) throw new BusError('publishBatch needs an array of items');
    if (opts.key !== undefined && topic.kind === 'cmd') throw new BusError(`command topic ${topic.name} cannot carry a state key`);
    const payload = encode(items);
    const ts = Date.now();
    if (this.opts.hub) {
      this.sequence(topic.name, opts.key, ts, payload, items);
      return this.pubQ!.length < (this.opts.publishHighWater ?? 10_000);
    }
    const meta: Meta = [opts.key ?? null, ts];
    this.pushQ!.push([topic.name, encode(meta), payload]);
    return this.pushQ!.length < (this.opts.publishHighWater ?? 10_000);
  }

  subscribe<T = unknown>(prefix: string | Topic<T>, handler: Handler<T>, opts: SubscribeOptions = {}): Subscription {
    if (this.closed) throw new BusError('bus is closed');
    const p = typeof prefix === 'string' ? prefix : prefix.name;
    checkPrefix(p);
    const core = new SubscriberCore<T>(p, handler, opts);
    return this.opts.hub ? this.subscribeLocal(core, opts) : this.subscribeRemote(core, opts);
  }

  /** Subscriber in the hub's own process: delivered directly by the sequencer, no socket, cannot lose. */
  private subscribeLocal<T>(core: SubscriberCore<T>, opts: SubscribeOptions): Subscription {
    const anyCore = core as unknown as SubscriberCore<unknown>;
    const p = core.prefix;
    if (opts.snapshot) {
      core.beginSnapshot();
      const entries = this.seq.snapshot(p).map(
        (e): Incoming<T> => ({ topic: e.topic, seq: e.seq, key: e.key, ts: e.ts, epoch: this.seq.epoch, decode: () => (e.items ?? decode<unknown[]>(e.payload)) as T[] }),
      );
      core.applySnapshot(this.seq.epoch, entries, this.seq.positions(p));
    } else core.heartbeat(this.seq.epoch, this.seq.positions(p));
    this.localSubs.add(anyCore);
    return {
      prefix: p,
      ready: Promise.resolve(),
      stats: () => core.stats(),
      close: async () => {
        core.close();
        this.localSubs.delete(anyCore);
      },
    };
  }

  private subscribeRemote<T>(core: SubscriberCore<T>, opts: SubscribeOptions): Subscription {
    const sock = new zmq.Subscriber({ receiveHighWaterMark: this.opts.recvHwm ?? 10_000, linger: 0 });
    sock.connect(this.opts.pubEndpoint);
    sock.subscribe(core.prefix);
    sock.subscribe(HEARTBEAT_TOPIC); // after the prefix: the first heartbeat proves both are active at the hub
    if (opts.snapshot) core.beginSnapshot();
    let live!: () => void;
    const firstHeartbeat = new Promise<void>((r) => (live = r));
    let closed = false;
    const loop = (async () => {
      try {
        for await (const frames of sock) {
          const topic = frames[0].toString();
          try {
            if (topic === HEARTBEAT_TOPIC) {
              const [epoch, seqs] = decode<Positions>(frames[1]);
              core.heartbeat(epoch, seqs);
              live();
              continue;
            }
            const [epoch, s, key, ts] = decode<Header>(frames[1]);
            const payload = frames[2];
            core.accept({ topic, seq: s, key: key ?? undefined, ts, epoch, decode: () => decode<T[]>(payload) });
          } catch (err) {
            log.warn({ err, topic }, 'malformed bus message dropped');
          }
        }
      } catch (err) {
        if (!closed) log.error({ err }, 'subscriber loop stopped');
      }
    })();
    const waiting = setTimeout(() => log.warn({ endpoint: this.opts.pubEndpoint, prefix: core.prefix }, 'still waiting for the bus hub (no heartbeat yet)'), 5000);
    waiting.unref();
    const ready = (async () => {
      await firstHeartbeat;
      clearTimeout(waiting);
      if (opts.snapshot) await this.fetchSnapshot(core);
    })();
    ready.catch((err: unknown) => log.error({ err }, 'subscription failed to become ready'));
    const handle = {
      close: async () => {
        if (closed) return;
        closed = true;
        core.close();
        sock.close();
        live();
        await loop;
        this.remoteSubs.delete(handle);
      },
    };
    this.remoteSubs.add(handle);
    return { prefix: core.prefix, ready, stats: () => core.stats(), close: handle.close };
  }

  private async fetchSnapshot<T>(core: SubscriberCore<T>): Promise<void> {
    const dealer = new zmq.Dealer({ linger: 0, receiveTimeout: 30_000 });
    dealer.connect(this.opts.snapshotEndpoint);
    try {
      await dealer.send(['SNAP', core.prefix]);
      const entries: Incoming<T>[] = [];
      for (;;) {
        const frames = await dealer.receive();
        const cmd = frames[0].toString();
        if (cmd === 'KV') {
          const [epoch, s, key, ts] = decode<Header>(frames[2]);
          const payload = frames[3];
          entries.push({ topic: frames[1].toString(), seq: s, key: key ?? undefined, ts, epoch, decode: () => decode<T[]>(payload) });
        } else if (cmd === 'END') {
          const [epoch, seqs] = decode<Positions>(frames[1]);
          core.applySnapshot(epoch, entries, seqs);
          return;
        }
      }
    } finally {
      dealer.close();
    }
  }

  async flush(): Promise<void> {
    await this.pushQ?.drained();
    await this.pubQ?.drained();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await this.flush();
    } catch {
      /* closing anyway */
    }
    this.closed = true;
    if (this.hbTimer) clearInterval(this.hbTimer);
    for (const s of [...this.remoteSubs]) await s.close();
    for (const s of this.localSubs) s.close();
    this.localSubs.clear();
    for (const s of [this.push, this.pull, this.router, this.pub]) s?.close();
  }
}
