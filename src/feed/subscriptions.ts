/**
 * Subscriptions: the tracked set a connection re-sends after every reconnect, the 1,000 option quote contracts per
 * connection limit of the Massive options cluster (spec: "You're only allowed to subscribe to 1,000 option contracts
 * per connection"), and planning which contracts to take around spot when the chain is larger.
 */
import type { ContractUniverse } from './live-chain.js';
import { massiveFromOcc, type Channel } from './protocol.js';

export const MAX_OPTION_QUOTE_CONTRACTS = 1000;

export class SubscriptionLimitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SubscriptionLimitError';
  }
}

const PARAM_RE = /^(Q|T|A|AM)\.([A-Za-z0-9:.*]{1,64})$/;

/** Tracked subscription params (`Q.O:SPY...`, `T.*`, `Q.SPY`), in insertion order. */
export class SubscriptionSet {
  private readonly set = new Set<string>();

  constructor(readonly maxOptionQuotes = MAX_OPTION_QUOTE_CONTRACTS) {}

  get size(): number {
    return this.set.size;
  }

  /** Option quote contracts currently in the set. */
  optionQuoteCount(): number {
    let n = 0;
    for (const p of this.set) if (p.startsWith('Q.O:')) n++;
    return n;
  }

  /**
   * Add params; returns the ones that were new. All-or-nothing: if the result would exceed the quote limit or a
   * param is malformed, nothing is added and the error says by how much.
   */
  add(params: string[]): string[] {
    const fresh: string[] = [];
    let quotes = this.optionQuoteCount();
    for (const p of params) {
      if (!PARAM_RE.test(p)) throw new Error(`invalid subscription '${p}': expected <Q|T|A|AM>.<ticker>`);
      if (p === 'Q.O:*' || p === 'Q.*') {
        throw new SubscriptionLimitError(`'${p}' is not allowed: option quotes are limited to ${this.maxOptionQuotes} contracts per connection`);
      }
      if (this.set.has(p) || fresh.includes(p)) continue;
      fresh.push(p);
      if (p.startsWith('Q.O:')) quotes++;
    }
    if (quotes > this.maxOptionQuotes) {
      throw new SubscriptionLimitError(
        `subscribing would make ${quotes} option quote contracts on one connection; Massive allows ${this.maxOptionQuotes} (plan around spot, or open another connection)`,
      );
    }
    for (const p of fresh) this.set.add(p);
    return fresh;
  }

  remove(params: string[]): string[] {
    const gone: string[] = [];
    for (const p of params) if (this.set.delete(p)) gone.push(p);
    return gone;
  }

  list(): string[] {
    return [...this.set];
  }
}

/** Split params into subscribe messages of bounded length (the server reads one text frame per action). */
export function chunkParams(params: string[], maxChars = 16_000): string[][] {
  const out: string[][] = [];
  let cur: string[] = [];
  let len = 0;
  for (const p of params) {
    if (cur.length && len + p.length + 1 > maxChars) {
      out.push(cur);
      cur = [];
      len = 0;
    }
    cur.push(p);
    len += p.length + 1;
  }
  if (cur.length) out.push(cur);
  return out;
}

export interface PlanOptions {
  maxContracts?: number;
  channels?: Channel[];
  nowMs?: number;
  /** Skip expiries further out than this many days. */
  maxDays?: number;
  /** Also subscribe the underlying itself (stock-style Q/T on the same connection, e.g. the simulator). */
  includeUnderlying?: boolean;
}

export interface SubscriptionPlan {
  rows: number[];
  params: string[];
  /** Contracts of the universe left out by the limit. */
  skipped: number;
}

/**
 * Pick at most `maxContracts` contracts closest to spot in standard-deviation units, |ln(K/S)| / √T (so near
 * expiries keep fewer strikes than far ones, as their distributions are narrower), keeping calls and puts of one
 * strike together. Returns the rows and the subscribe params for every requested channel.
 */
/**
 * Snapshot queries covering the planned rows, one per expiry date with that expiry's strike range: what a resync
 * needs to fetch (a whole SPX chain is ~18,000 contracts, 73 pages; the planned 1,000 come in a few dozen small pages).
 */
export function resyncQueries(u: ContractUniverse, rows: number[]): Array<Record<string, string>> {
  const byDate = new Map<string, { lo: number; hi: number }>();
  for (const r of rows) {
    const d = u.expiries[u.expiryIndex[r]].date;
    const k = u.strike[r];
    const e = byDate.get(d);
    if (e) {
      e.lo = Math.min(e.lo, k);
      e.hi = Math.max(e.hi, k);
    } else byDate.set(d, { lo: k, hi: k });
  }
  return [...byDate].map(([d, { lo, hi }]) => ({ expiration_date: d, 'strike_price.gte': String(lo), 'strike_price.lte': String(hi) }));
}

export function planSubscriptions(u: ContractUniverse, spot: number, opts: PlanOptions = {}): SubscriptionPlan {
  const max = opts.maxContracts ?? MAX_OPTION_QUOTE_CONTRACTS;
  const channels = opts.channels ?? ['Q', 'T'];
  const now = opts.nowMs ?? Date.now();
  if (!(spot > 0)) throw new Error(`cannot plan subscriptions around spot ${spot}`);
  const scored: Array<{ row: number; score: number }> = [];
  for (let r = 0; r < u.symbol.length; r++) {
    const e = u.expiries[u.expiryIndex[r]];
    const days = (e.expiryMs - now) / 86_400_000;
    if (days <= 0) continue; // expired
    if (opts.maxDays !== undefined && days > opts.maxDays) continue;
    const t = Math.max(days, 0.5) / 365;
    scored.push({ row: r, score: Math.abs(Math.log(u.strike[r] / spot)) / Math.sqrt(t) + r * 1e-12 });
  }
  scored.sort((a, b) => a.score - b.score);
  const rows = scored.slice(0, max).map((s) => s.row).sort((a, b) => a - b);
  const params: string[] = [];
  // Row by row (Q.x, T.x, Q.y, ...): a subscribe split over several messages never leaves many contracts half done.
  for (const r of rows) for (const ch of channels) params.push(`${ch}.${massiveFromOcc(u.symbol[r])}`);
  if (opts.includeUnderlying) for (const ch of channels) if (ch === 'Q' || ch === 'T') params.push(`${ch}.${u.underlying}`);
  return { rows, params, skipped: u.symbol.length - rows.length };
}
