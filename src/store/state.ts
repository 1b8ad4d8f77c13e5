/**
 * Latest state shared by the API and other processes: the current surface, GEX, regime and feed health per key
 * (usually the underlying or the feed source). Redis (ioredis) when configured, in memory otherwise. Values are
 * msgpack in Redis (compact; JSON only at the API edge), one hash per kind: `<prefix><kind>` field `<key>`.
 */
import { Packr } from 'msgpackr';
import { createLogger } from '../util/log.js';

const log = createLogger('store.state');
const packr = new Packr({ useRecords: false, moreTypes: true });

export const STATE_KINDS = ['surface', 'gex', 'regime', 'health'] as const;
export type StateKind = (typeof STATE_KINDS)[number];

export interface StateEntry<T = unknown> {
  value: T;
  /** When it was set, epoch ms. */
  updatedMs: number;
}

export interface LatestState {
  readonly kind: 'memory' | 'redis';
  set<T>(kind: StateKind, key: string, value: T): Promise<void>;
  get<T>(kind: StateKind, key: string): Promise<StateEntry<T> | undefined>;
  all<T>(kind: StateKind): Promise<Record<string, StateEntry<T>>>;
  delete(kind: StateKind, key: string): Promise<void>;
  close(): Promise<void>;
}

function checkKind(kind: string): void {
  if (!(STATE_KINDS as readonly string[]).includes(kind)) throw new Error(`unknown state kind '${kind}' (expected ${STATE_KINDS.join(', ')})`);
}

function checkKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0 || key.length > 200) throw new Error('state key must be a non-empty string of at most 200 characters');
}

export class MemoryState implements LatestState {
  readonly kind = 'memory' as const;
  private readonly m = new Map<string, Map<string, StateEntry>>();

  async set<T>(kind: StateKind, key: string, value: T): Promise<void> {
    checkKind(kind);
    checkKey(key);
    let h = this.m.get(kind);
    if (!h) this.m.set(kind, (h = new Map()));
    // Stored as an encoded copy so a caller mutating its object later cannot change the stored state.
    h.set(key, { value: packr.unpack(packr.pack(value)), updatedMs: Date.now() });
  }

  async get<T>(kind: StateKind, key: string): Promise<StateEntry<T> | undefined> {
    checkKind(kind);
    return this.m.get(kind)?.get(key) as StateEntry<T> | undefined;
  }

  async all<T>(kind: StateKind): Promise<Record<string, StateEntry<T>>> {
    checkKind(kind);
    return Object.fromEntries(this.m.get(kind) ?? []) as Record<string, StateEntry<T>>;
  }

  async delete(kind: StateKind, key: string): Promise<void> {
    this.m.get(kind)?.delete(key);
  }

  async close(): Promise<void> {}
}

export class RedisState implements LatestState {
  readonly kind = 'redis' as const;
  private constructor(
    private readonly redis: import('ioredis').Redis,
    private readonly prefix: string,
  ) {}

  static async open(url: string, prefix = 'manifold:'): Promise<RedisState> {
    const { Redis } = await import('ioredis');
    const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2, enableOfflineQueue: true });
    redis.on('error', (err: Error) => log.warn({ err: err.message }, 'redis error'));
    try {
      await redis.connect();
    } catch (err) {
      redis.disconnect();
      throw new Error(`cannot connect to Redis at ${url.replace(/\/\/[^@]*@/, '//***@')}: ${(err as Error).message}`, { cause: err });
    }
    return new RedisState(redis, prefix);
  }

  private hash(kind: StateKind): string {
    checkKind(kind);
    return `${this.prefix}${kind}`;
  }

  async set<T>(kind: StateKind, key: string, value: T): Promise<void> {
    checkKey(key);
    const entry: [number, T] = [Date.now(), value];
    await this.redis.hset(this.hash(kind), key, packr.pack(entry));
  }

  async get<T>(kind: StateKind, key: string): Promise<StateEntry<T> | undefined> {
    const buf = await this.redis.hgetBuffer(this.hash(kind), key);
    return buf ? decodeEntry<T>(buf) : undefined;
  }

  async all<T>(kind: StateKind): Promise<Record<string, StateEntry<T>>> {
    const h = await this.redis.hgetallBuffer(this.hash(kind));
    const out: Record<string, StateEntry<T>> = {};
    for (const [k, v] of Object.entries(h)) out[k] = decodeEntry<T>(v);
    return out;
  }

  async delete(kind: StateKind, key: string): Promise<void> {
    await this.redis.hdel(this.hash(kind), key);
  }

  /** Remove every hash of this prefix (tests, `manifold db` maintenance). */
  async clear(): Promise<void> {
    await this.redis.del(...STATE_KINDS.map((k) => this.hash(k)));
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

function decodeEntry<T>(buf: Buffer): StateEntry<T> {
  const [updatedMs, value] = packr.unpack(buf) as [number, T];
  return { value, updatedMs };
}

export async function openLatestState(cfg: { redisUrl?: string; redisPrefix?: string }): Promise<LatestState> {
  return cfg.redisUrl ? RedisState.open(cfg.redisUrl, cfg.redisPrefix) : new MemoryState();
}
