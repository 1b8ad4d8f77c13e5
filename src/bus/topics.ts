/**
 * Typed topics. A topic name is `<kind>.<path>` where the kind keeps the three traffic classes apart:
 *
 * - `data`  high-rate market data (quotes, trades, bars). Batched: one message carries many items. Not retained
 *           unless published with a key (then the latest message per key is the snapshot a late joiner receives).
 * - `event` state changes computed by Manifold (surface fitted, GEX computed, regime changed, feed health).
 *           Retained latest per key, so a late subscriber starts from the current state; conflatable for slow readers.
 * - `cmd`   requests addressed to a component (reload, stop, subscribe contracts). Never retained, never conflated:
 *           a command replayed from a snapshot or silently merged with another would be a wrong action.
 *
 * Subscriptions match by string prefix on the full name (`data.quotes.` receives every underlying's quotes), the
 * same rule ZeroMQ SUB sockets apply, so both bus implementations route identically.
 */

export const TOPIC_KINDS = ['data', 'event', 'cmd'] as const;
export type TopicKind = (typeof TOPIC_KINDS)[number];

/** A topic carrying items of type T. `T` exists only for the type checker. */
export interface Topic<T> {
  readonly name: string;
  readonly kind: TopicKind;
  /** Phantom field tying the item type to the topic; never set at run time. */
  readonly __item?: T;
}

/** Reserved prefix for the bus's own control traffic (heartbeats); user topics may not start with it. */
export const CONTROL_PREFIX = '_';

const NAME_RE = /^(data|event|cmd)\.[A-Za-z0-9_][A-Za-z0-9_.:-]*$/;

export class TopicError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TopicError';
  }
}

/** Throws a TopicError unless `name` is a well-formed `<kind>.<path>` topic name. */
export function checkTopicName(name: string): TopicKind {
  if (typeof name !== 'string' || !NAME_RE.test(name) || name.length > 200) {
    throw new TopicError(`invalid topic name '${String(name)}': expected <data|event|cmd>.<path> using [A-Za-z0-9_.:-]`);
  }
  return name.slice(0, name.indexOf('.')) as TopicKind;
}

/** Define a topic of kind `kind` named `<kind>.<path>`. */
export function defineTopic<T>(kind: TopicKind, path: string): Topic<T> {
  const name = `${kind}.${path}`;
  checkTopicName(name);
  return Object.freeze({ name, kind });
}

/** The kind of a topic name (`data.quotes.SPX` → `data`). */
export function topicKind(name: string): TopicKind {
  return checkTopicName(name);
}

/** Prefixes are checked loosely: they must start with a kind (or be empty = everything). */
export function checkPrefix(prefix: string): void {
  if (prefix === '') return;
  const kind = prefix.split('.')[0];
  if (!(TOPIC_KINDS as readonly string[]).includes(kind) && !TOPIC_KINDS.some((k) => k.startsWith(prefix))) {
    throw new TopicError(`invalid subscription prefix '${prefix}': must start with data, event or cmd`);
  }
}

export function matchesPrefix(name: string, prefix: string): boolean {
  return name.startsWith(prefix);
}

// ---- Topics shared by the pipeline roles (the pipeline issue adds its own with defineTopic). ----

/** One option or underlying quote. Kept small: a batch of these is the unit of the quote stream. */
export interface QuoteItem {
  /** Contract symbol (OCC/Massive) or underlying symbol. */
  s: string;
  bid: number;
  ask: number;
  bs: number;
  as: number;
  /** Exchange timestamp, epoch ms. */
  t: number;
}

/** Per-underlying quote streams: `data.quotes.<UNDERLYING>`. */
export function quotesTopic(underlying: string): Topic<QuoteItem> {
  return defineTopic<QuoteItem>('data', `quotes.${underlying}`);
}

/** Feed health per source: `event.health.<source>` (retained, conflated). */
export interface FeedHealth {
  source: string;
  connected: boolean;
  lastMessageMs: number;
  messages: number;
  errors: number;
}
export const feedHealthTopic = (source: string): Topic<FeedHealth> => defineTopic<FeedHealth>('event', `health.${source}`);
