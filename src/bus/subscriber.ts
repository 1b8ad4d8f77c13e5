/**
 * What every subscriber does regardless of transport: per-topic sequence tracking (so loss is always reported, never
 * silent), the Clone-pattern snapshot handshake (retained state first, then only deltas newer than it), and
 * delivery to the handler, either in order through a bounded queue or conflated to the latest per (topic, key).
 */
import { createLogger } from '../util/log.js';
import { matchesPrefix } from './topics.js';
import type { BusMessage, GapReport, Handler, SubscribeOptions, SubscriptionStats } from './types.js';

const log = createLogger('bus');

/** A message as it arrives from a transport; `decode` is called only if the message is delivered. */
export interface Incoming<T> {
  topic: string;
  seq: number;
  key: string | undefined;
  ts: number;
  /** Identity of the sequencer run; a change means sequence numbers started over. */
  epoch: string;
  decode: () => T[];
}

type Buffered<T> = { hb: false; m: Incoming<T> } | { hb: true; epoch: string; seqs: Record<string, number> };

export class SubscriberCore<T> {
  private epoch: string | undefined;
  private readonly last = new Map<string, number>();
  /** After a snapshot or a heartbeat, every matching topic's position is known: unseen topics start at 0. */
  private baselined = false;
  private buffering: Buffered<T>[] | undefined;
  private readonly fifo: Incoming<T>[] = [];
  private fifoHead = 0;
  private readonly pending = new Map<string, Incoming<T>>();
  private busy = false;
  private closed = false;
  private lastGapLog = 0;
  private unloggedLost = 0;
  readonly counters: SubscriptionStats = {
    messages: 0,
    items: 0,
    snapshotMessages: 0,
    lost: 0,
    gaps: 0,
    conflated: 0,
    resets: 0,
    handlerErrors: 0,
    stale: 0,
  };

  constructor(
    readonly prefix: string,
    private readonly handler: Handler<T>,
    private readonly opts: SubscribeOptions,
  ) {}

  stats(): SubscriptionStats {
    return { ...this.counters };
  }

  close(): void {
    this.closed = true;
    this.fifo.length = 0;
    this.pending.clear();
  }

  /** Start of a snapshot handshake: hold live traffic until the snapshot has been applied. */
  beginSnapshot(): void {
    this.buffering = [];
  }

  /** Apply a snapshot (entries already filtered by prefix) and the sequencer positions it reflects, then replay. */
  applySnapshot(epoch: string, entries: Incoming<T>[], seqs: Record<string, number>): void {
    this.setEpoch(epoch);
    for (const e of entries) this.deliver(e, true);
    for (const [topic, s] of Object.entries(seqs)) if (matchesPrefix(topic, this.prefix)) this.last.set(topic, s);
    this.baselined = true;
    const held = this.buffering ?? [];
    this.buffering = undefined;
    for (const b of held) {
      if (b.hb) this.heartbeat(b.epoch, b.seqs);
      else this.accept(b.m);
    }
  }

  /** A live message from the transport. */
  accept(m: Incoming<T>): void {
    if (this.closed || !matchesPrefix(m.topic, this.prefix)) return;
    if (this.buffering) {
      this.buffering.push({ hb: false, m });
      return;
    }
    this.setEpoch(m.epoch);
    const prev = this.last.get(m.topic) ?? (this.baselined ? 0 : undefined);
    if (prev !== undefined) {
      if (m.seq <= prev) {
        this.counters.stale++;
        return;
      }
      if (m.seq > prev + 1) this.gap({ topic: m.topic, expected: prev + 1, received: m.seq, lost: m.seq - prev - 1, cause: 'sequence' });
    }
    this.last.set(m.topic, m.seq);
    this.deliver(m, false);
  }

  /** The sequencer's heartbeat: its latest sequence number per topic. Anything announced but unseen was lost. */
  heartbeat(epoch: string, seqs: Record<string, number>): void {
    if (this.closed) return;
    if (this.buffering) {
      this.buffering.push({ hb: true, epoch, seqs });
      return;
    }
    this.setEpoch(epoch);
    for (const [topic, s] of Object.entries(seqs)) {
      if (!matchesPrefix(topic, this.prefix)) continue;
      const prev = this.last.get(topic) ?? (this.baselined ? 0 : undefined);
      if (prev === undefined) this.last.set(topic, s);
      else if (s > prev) {
        this.gap({ topic, expected: prev + 1, received: s + 1, lost: s - prev, cause: 'heartbeat' });
        this.last.set(topic, s);
      }
    }
    this.baselined = true;
  }

  private setEpoch(epoch: string): void {
    if (this.epoch === epoch) return;
    if (this.epoch !== undefined) {
      this.counters.resets++;
      this.last.clear();
      this.baselined = false;
      log.warn({ prefix: this.prefix }, 'bus sequencer restarted: sequence tracking reset');
    }
    this.epoch = epoch;
  }

  private gap(g: GapReport): void {
    this.counters.gaps++;
    this.counters.lost += g.lost;
    this.unloggedLost += g.lost;
    const now = Date.now();
    if (now - this.lastGapLog >= 1000) {
      log.warn({ prefix: this.prefix, topic: g.topic, cause: g.cause, lost: this.unloggedLost, totalLost: this.counters.lost }, 'bus messages lost');
      this.lastGapLog = now;
      this.unloggedLost = 0;
    }
    try {
      this.opts.onGap?.(g);
    } catch (err) {
      log.error({ err }, 'onGap callback threw');
    }
  }

  private deliver(m: Incoming<T>, fromSnapshot: boolean): void {
    if (fromSnapshot) this.counters.snapshotMessages++;
    if (this.opts.conflate) {
      const k = m.topic + '\u0000' + (m.key ?? '');
      if (this.pending.has(k)) this.counters.conflated++;
      this.pending.set(k, m);
      (m as Incoming<T> & { snap?: boolean }).snap = fromSnapshot;
      this.pump();
      return;
    }
    if (!this.busy && this.fifoHead === this.fifo.length) {
      this.invoke(m, fromSnapshot); // fast path: nothing queued
      return;
    }
    (m as Incoming<T> & { snap?: boolean }).snap = fromSnapshot;
    this.fifo.push(m);
    const max = this.opts.maxQueue ?? 100_000;
    while (this.fifo.length - this.fifoHead > max) {
      const dropped = this.fifo[this.fifoHead++];
      this.gap({ topic: dropped.topic, expected: dropped.seq, received: dropped.seq + 1, lost: 1, cause: 'overflow' });
    }
    if (!this.busy) this.pump();
  }

  private pump(): void {
    while (!this.busy && !this.closed) {
      let m: Incoming<T> | undefined;
      if (this.opts.conflate) {
        const first = this.pending.entries().next();
        if (first.done) return;
        this.pending.delete(first.value[0]);
        m = first.value[1];
      } else {
        if (this.fifoHead === this.fifo.length) {
          this.fifo.length = 0;
          this.fifoHead = 0;
          return;
        }
        m = this.fifo[this.fifoHead++];
      }
      this.invoke(m, (m as Incoming<T> & { snap?: boolean }).snap === true);
    }
  }

  private invoke(m: Incoming<T>, fromSnapshot: boolean): void {
    let items: T[];
    try {
      items = m.decode();
    } catch (err) {
      this.counters.handlerErrors++;
      log.error({ err, topic: m.topic }, 'undecodable bus message dropped');
      return;
    }
    const msg: BusMessage<T> = { topic: m.topic, seq: m.seq, key: m.key, ts: m.ts, items, fromSnapshot };
    this.counters.messages++;
    this.counters.items += items.length;
    let r: void | Promise<void>;
    try {
      r = this.handler(msg);
    } catch (err) {
      this.counters.handlerErrors++;
      log.error({ err, topic: m.topic }, 'bus handler threw');
      return;
    }
    if (r && typeof (r as Promise<void>).then === 'function') {
      this.busy = true;
      (r as Promise<void>).then(
        () => this.afterAsync(),
        (err: unknown) => {
          this.counters.handlerErrors++;
          log.error({ err, topic: m.topic }, 'bus handler rejected');
          this.afterAsync();
        },
      );
    }
  }

  private afterAsync(): void {
    this.busy = false;
    this.pump();
  }
}
