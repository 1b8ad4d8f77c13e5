// The bus contract shared by the in-process and the ZeroMQ implementations.
import type { Topic } from './topics.js';

export interface BusMessage<T = unknown> {
  topic: string;
  /** Per-topic sequence number assigned by the sequencer (in-process bus or ZeroMQ hub), 1, 2, 3, ... */
  seq: number;
  /** State key: the snapshot keeps the latest message per (topic, key). Undefined for plain stream messages. */
  key: string | undefined;
  /** Publish time, epoch ms (publisher's clock). */
  ts: number;
  /** The batch: one message carries one or many items. */
  items: T[];
  /** True when delivered from the retained snapshot at subscribe time (before any delta). */
  fromSnapshot: boolean;
}

/** Loss seen by a subscriber: messages `expected`..`received - 1` of `topic` never arrived. */
export interface GapReport {
  topic: string;
  expected: number;
  received: number;
  lost: number;
  /**
   * `sequence`: a later message arrived; `heartbeat`: the sequencer's heartbeat announced messages that never came
   * (loss at the tail of a burst); `overflow`: this subscriber's own bounded queue was full (slow handler).
   */
  cause: 'sequence' | 'heartbeat' | 'overflow';
}

export interface SubscriptionStats {
  /** Messages handed to the handler (snapshot included). */
  messages: number;
  items: number;
  snapshotMessages: number;
  /** Messages known to be lost (sum of GapReport.lost). */
  lost: number;
  gaps: number;
  /** Messages replaced by a newer one with the same (topic, key) while the handler was busy (by request, not loss). */
  conflated: number;
  /** Sequencer restarts seen (sequence numbers start over; counted, tracking resets). */
  resets: number;
  handlerErrors: number;
  /** Messages dropped because they were older than the snapshot (normal during a Clone handshake). */
  stale: number;
}

export type Handler<T> = (msg: BusMessage<T>) => void | Promise<void>;

export interface SubscribeOptions {
  /** Deliver the retained state (latest per key) first, then only the deltas after it. */
  snapshot?: boolean;
  /** Keep only the latest pending message per (topic, key) while the handler is busy (UI-style readers). */
  conflate?: boolean;
  /** Called on every detected loss (the bus also logs a warning and counts it in stats). */
  onGap?: (gap: GapReport) => void;
  /** Bound on messages waiting for a slow asynchronous handler (non-conflating); beyond it the oldest are dropped
   *  and reported as an `overflow` gap. Default 100000. */
  maxQueue?: number;
}

export interface Subscription {
  readonly prefix: string;
  /** Resolves when the subscription is live (ZeroMQ: subscription reached the hub and the snapshot is applied). */
  readonly ready: Promise<void>;
  stats(): SubscriptionStats;
  close(): Promise<void>;
}

export interface PublishOptions {
  /** State key (see BusMessage.key). Commands may not carry one: they are never retained. */
  key?: string;
}

export interface Bus {
  readonly kind: 'inproc' | 'zmq';
  /** Publish one item. Returns false when the outgoing queue is above its high-water mark: await `flush()`. */
  publish<T>(topic: Topic<T>, item: T, opts?: PublishOptions): boolean;
  /** Publish many items as one message (one sequence number). */
  publishBatch<T>(topic: Topic<T>, items: T[], opts?: PublishOptions): boolean;
  subscribe<T = unknown>(prefix: string | Topic<T>, handler: Handler<T>, opts?: SubscribeOptions): Subscription;
  /** Resolves when every message published so far has left this process (in-process: immediately). */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export class BusError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BusError';
  }
}
