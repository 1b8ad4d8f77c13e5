/**
 * The in-process bus (default): the same sequencing, snapshot and conflation semantics as the ZeroMQ bus, with
 * synchronous delivery and no encoding (items are passed by reference; publishers must not mutate them after).
 */
import { Sequencer } from './sequencer.js';
import { SubscriberCore, type Incoming } from './subscriber.js';
import { checkPrefix, type Topic } from './topics.js';
import { BusError, type Bus, type Handler, type PublishOptions, type SubscribeOptions, type Subscription } from './types.js';

export class InprocBus implements Bus {
  readonly kind = 'inproc' as const;
  private readonly seq = new Sequencer<Incoming<unknown>>();
  private readonly subs = new Set<SubscriberCore<unknown>>();
  private closed = false;

  publish<T>(topic: Topic<T>, item: T, opts?: PublishOptions): boolean {
    return this.publishBatch(topic, [item], opts);
  }

  publishBatch<T>(topic: Topic<T>, items: T[], opts: PublishOptions = {}): boolean {
    if (this.closed) throw new BusError('bus is closed');
    if (!Array.isArray(items)) throw new BusError('publishBatch needs an array of items');
    if (opts.key !== undefined && topic.kind === 'cmd') throw new BusError(`command topic ${topic.name} cannot carry a state key`);
    const s = this.seq.next(topic.name);
    const m: Incoming<unknown> = { topic: topic.name, seq: s, key: opts.key, ts: Date.now(), epoch: this.seq.epoch, decode: () => items };
    this.seq.retain(topic.name, opts.key, m);
    for (const sub of this.subs) sub.accept(m);
    return true;
  }

  subscribe<T = unknown>(prefix: string | Topic<T>, handler: Handler<T>, opts: SubscribeOptions = {}): Subscription {
    if (this.closed) throw new BusError('bus is closed');
    const p = typeof prefix === 'string' ? prefix : prefix.name;
    checkPrefix(p);
    const core = new SubscriberCore<T>(p, handler, opts);
    const anyCore = core as unknown as SubscriberCore<unknown>;
    if (opts.snapshot) {
      core.beginSnapshot();
      core.applySnapshot(this.seq.epoch, this.seq.snapshot(p) as Incoming<T>[], this.seq.positions(p));
    } else {
      core.heartbeat(this.seq.epoch, this.seq.positions(p)); // baseline: what was published before is not "lost"
    }
    this.subs.add(anyCore);
    return {
      prefix: p,
      ready: Promise.resolve(),
      stats: () => core.stats(),
      close: async () => {
        core.close();
        this.subs.delete(anyCore);
      },
    };
  }

  async flush(): Promise<void> {}

  async close(): Promise<void> {
    this.closed = true;
    for (const s of this.subs) s.close();
    this.subs.clear();
  }
}
