/**
 * Live chain state of one underlying: NBBO, last trade, volume and open interest of every contract, updated in place
 * in typed arrays indexed by contract row. Consumers (IV, surface, GEX) read `snapshot()`, an `OptionChain`.
 *
 * Ordering: `q` is increasing and unique per ticker but not contiguous, so it orders and de-duplicates, it does not
 * detect loss. A quote whose q is not above the last applied one is a duplicate (equal) or late (lower) and is not
 * applied: a quote is state, the newer one wins. A late trade is still a trade: it adds to volume (never dropped)
 * but does not replace the last price; duplicates are recognised against the last 4 trade sequence numbers of the
 * contract.
 *
 * Consumers that lag get per-contract conflation: `takeUpdates()` returns each changed row once however many quotes
 * it received since the last call (latest wins; the overwritten ones are counted), and every trade in order.
 */
import type { ChainExpiry, OptionChain } from '../market/chain.js';
import { nyDate } from '../market/calendar.js';
import { EventBatch, K_AGG, K_QUOTE, K_STATUS, K_TRADE } from './decode.js';
import { massiveFromOcc } from './protocol.js';
import { SymbolIndex, UNDERLYING_ROW } from './symbol-index.js';

export const FLAG_CROSSED = 1;
export const FLAG_LOCKED = 2;
export const FLAG_ZERO_BID = 4;
export const FLAG_ZERO_ASK = 8;

const TRADE_RING = 4;

/** Static description of the contracts (one row each), e.g. from a chain file or a REST snapshot. */
export interface ContractUniverse {
  underlying: string;
  multiplier: number;
  /** OCC symbols (as in OptionChain.symbol). */
  symbol: string[];
  expiryIndex: Uint16Array;
  right: Uint8Array;
  strike: Float64Array;
  expiries: ChainExpiry[];
}

export interface TradeUpdate {
  row: number;
  price: number;
  size: number;
  t: number;
  q: number;
  late: boolean;
}

export interface LiveCounters {
  quotes: number;
  trades: number;
  aggregates: number;
  underlyingEvents: number;
  duplicates: number;
  late: number;
  /** Events older than a resync snapshot that already contains them (skipped). */
  covered: number;
  unknownSymbol: number;
  crossed: number;
  locked: number;
  /** Quote updates overwritten before a consumer took them (conflation). */
  conflated: number;
  /** Trades a consumer had not taken when the pending queue hit its bound (reported, never silent). */
  tradesOverflowed: number;
}

/** Row values of the live state that the equality checks (sim vs client, live vs replay) compare. */
export interface RowState {
  bid: number;
  ask: number;
  bidSize: number;
  askSize: number;
  last: number;
  volume: number;
  openInterest: number;
}

/** One contract of a resync snapshot (REST `/v3/snapshot/options/{underlying}`, normalised). */
export interface SnapshotRow {
  symbol: string; // Massive ticker
  bid: number;
  ask: number;
  bidSize: number;
  askSize: number;
  quoteTimeMs: number;
  last: number;
  lastSize: number;
  tradeTimeMs: number;
  volume: number;
  openInterest: number;
}

export class LiveChain {
  readonly size: number;
  readonly index: SymbolIndex;
  readonly massive: string[];
  readonly bid: Float64Array;
  readonly ask: Float64Array;
  readonly bidSize: Float64Array;
  readonly askSize: Float64Array;
  readonly quoteTime: Float64Array;
  readonly quoteSeq: Float64Array;
  readonly last: Float64Array;
  readonly lastSize: Float64Array;
  readonly tradeTime: Float64Array;
  readonly tradeSeq: Float64Array;
  readonly volume: Float64Array;
  readonly openInterest: Float64Array;
  readonly flags: Uint8Array;
  /** Exchange time up to which a resync snapshot already contains this row's quotes / trades (NaN: none). */
  readonly quoteCover: Float64Array;
  readonly tradeCover: Float64Array;
  private readonly ring: Float64Array;
  private readonly ringPos: Uint8Array;
  spot = { bid: NaN, ask: NaN, last: NaN, timeMs: NaN, seq: -1 };
  /** Latest exchange time applied, ms. */
  asOfMs = NaN;
  readonly counters: LiveCounters = {
    quotes: 0, trades: 0, aggregates: 0, underlyingEvents: 0, duplicates: 0, late: 0, covered: 0, unknownSymbol: 0,
    crossed: 0, locked: 0, conflated: 0, tradesOverflowed: 0,
  };

  // conflation for consumers
  private tracking = false;
  private readonly dirty: Uint8Array;
  private dirtyRows: Int32Array;
  private dirtyCount = 0;
  private pendingTrades: TradeUpdate[] = [];
  maxPendingTrades = 1_000_000;

  constructor(readonly universe: ContractUniverse) {
    const n = universe.symbol.length;
    this.size = n;
    this.massive = universe.symbol.map(massiveFromOcc);
    const f = () => new Float64Array(n).fill(NaN);
    this.bid = f();
    this.ask = f();
    this.bidSize = f();
    this.askSize = f();
    this.quoteTime = f();
    this.quoteSeq = new Float64Array(n).fill(-1);
    this.last = f();
    this.lastSize = f();
    this.tradeTime = f();
    this.tradeSeq = new Float64Array(n).fill(-1);
    this.volume = new Float64Array(n);
    this.openInterest = f();
    this.flags = new Uint8Array(n);
    this.quoteCover = f();
    this.tradeCover = f();
    this.ring = new Float64Array(n * TRADE_RING).fill(-1);
    this.ringPos = new Uint8Array(n);
    this.dirty = new Uint8Array(n);
    this.dirtyRows = new Int32Array(Math.max(16, n));
    this.index = new SymbolIndex(n + 1);
    for (let r = 0; r < n; r++) this.index.set(this.massive[r], r);
    this.index.set(universe.underlying, UNDERLYING_ROW);
  }

  /** Live state seeded from a loaded chain (its quotes, last, volume, OI become the initial state). */
  static fromChain(chain: OptionChain): LiveChain {
    const lc = new LiveChain(chain);
    for (let r = 0; r < chain.size; r++) {
      lc.bid[r] = chain.bid[r];
      lc.ask[r] = chain.ask[r];
      lc.last[r] = chain.last[r];
      lc.volume[r] = Number.isFinite(chain.volume[r]) ? chain.volume[r] : 0;
      lc.openInterest[r] = chain.openInterest[r];
      lc.flagRow(r);
    }
    lc.spot.last = chain.quote.last;
    lc.spot.bid = chain.quote.bid;
    lc.spot.ask = chain.quote.ask;
    lc.asOfMs = chain.asOfMs;
    return lc;
  }

  /** Start per-contract conflation bookkeeping for a consumer that calls `takeUpdates()`. */
  trackUpdates(on = true): void {
    this.tracking = on;
  }

  private flagRow(r: number): void {
    const b = this.bid[r];
    const a = this.ask[r];
    let fl = 0;
    if (b === 0) fl |= FLAG_ZERO_BID;
    if (a === 0) fl |= FLAG_ZERO_ASK;
    if (a > 0 && b > a) fl |= FLAG_CROSSED;
    else if (a > 0 && b === a) fl |= FLAG_LOCKED;
    this.flags[r] = fl;
  }

  private markDirty(r: number): void {
    if (this.dirty[r] === 1) {
      this.counters.conflated++;
      return;
    }
    this.dirty[r] = 1;
    this.dirtyRows[this.dirtyCount++] = r;
  }

  /** Apply a decoded frame. Status events are not state; the caller handles them. */
  applyBatch(batch: EventBatch): void {
    const n = batch.n;
    const kinds = batch.kind;
    const rows = batch.row;
    for (let i = 0; i < n; i++) {
      const k = kinds[i];
      const r = rows[i];
      if (k === K_QUOTE) this.applyQuote(r, batch.bid[i], batch.ask[i], batch.bidSize[i], batch.askSize[i], batch.t[i], batch.q[i]);
      else if (k === K_TRADE) this.applyTrade(r, batch.bid[i], batch.bidSize[i], batch.t[i], batch.q[i]);
      else if (k === K_AGG) this.applyAggregate(r, batch.bidSize[i], batch.t[i]);
      else if (k !== K_STATUS) throw new Error(`unknown batch kind ${k}`);
    }
  }

  applyQuote(r: number, bp: number, ap: number, bs: number, as: number, t: number, q: number): void {
    if (r < 0) {
      if (r === UNDERLYING_ROW) {
        this.counters.underlyingEvents++;
        if (q <= this.spot.seq) {
          if (q === this.spot.seq) this.counters.duplicates++;
          else this.counters.late++;
          return;
        }
        this.spot.seq = q;
        this.spot.bid = bp;
        this.spot.ask = ap;
        this.spot.timeMs = t;
      } else this.counters.unknownSymbol++;
      return;
    }
    // NaN cover compares false: no snapshot, no check.
    if (t <= this.quoteCover[r] + 1e-3) {
      this.counters.covered++;
      return;
    }
    const prev = this.quoteSeq[r];
    if (q <= prev) {
      if (q === prev) this.counters.duplicates++;
      else this.counters.late++;
      return;
    }
    this.counters.quotes++;
    this.quoteSeq[r] = q;
    this.bid[r] = bp;
    this.ask[r] = ap;
    this.bidSize[r] = bs;
    this.askSize[r] = as;
    this.quoteTime[r] = t;
    if (t > this.asOfMs || this.asOfMs !== this.asOfMs) this.asOfMs = t;
    let fl = 0;
    if (bp === 0) fl |= FLAG_ZERO_BID;
    if (ap === 0) fl |= FLAG_ZERO_ASK;
    if (ap > 0 && bp > ap) {
      fl |= FLAG_CROSSED;
      this.counters.crossed++;
    } else if (ap > 0 && bp === ap) {
      fl |= FLAG_LOCKED;
      this.counters.locked++;
    }
    this.flags[r] = fl;
    if (this.tracking) this.markDirty(r);
  }

  applyTrade(r: number, p: number, s: number, t: number, q: number): void {
    if (r < 0) {
      if (r === UNDERLYING_ROW) {
        this.counters.underlyingEvents++;
        this.spot.last = p;
      } else this.counters.unknownSymbol++;
      return;
    }
    if (t <= this.tradeCover[r] + 1e-3) {
      this.counters.covered++;
      return;
    }
    const prev = this.tradeSeq[r];
    let late = false;
    if (q <= prev) {
      const base = r * TRADE_RING;
      for (let j = 0; j < TRADE_RING; j++) {
        if (this.ring[base + j] === q) {
          this.counters.duplicates++;
          return;
        }
      }
      late = true;
      this.counters.late++;
    }
    this.counters.trades++;
    const base = r * TRADE_RING;
    this.ring[base + this.ringPos[r]] = q;
    this.ringPos[r] = (this.ringPos[r] + 1) % TRADE_RING;
    this.volume[r] += s;
    if (!late) {
      this.tradeSeq[r] = q;
      this.last[r] = p;
      this.lastSize[r] = s;
      this.tradeTime[r] = t;
      if (t > this.asOfMs || this.asOfMs !== this.asOfMs) this.asOfMs = t;
    }
    if (this.tracking) {
      if (this.pendingTrades.length >= this.maxPendingTrades) {
        // Bounded memory, but never silent: the count is in the metrics and the feed logs it.
        this.pendingTrades.shift();
        this.counters.tradesOverflowed++;
      }
      this.pendingTrades.push({ row: r, price: p, size: s, t, q, late });
      this.markDirty(r);
    }
  }

  /** A/AM aggregates carry today's accumulated volume: it repairs volume missed in a gap. */
  applyAggregate(r: number, av: number, _t: number): void {
    this.counters.aggregates++;
    if (r < 0) return;
    if (av > this.volume[r]) this.volume[r] = av;
  }

  /**
   * Apply a resync snapshot. A field is taken from the snapshot unless the live state already holds something
   * newer (by exchange time). Afterwards, quotes and trades of a row with an exchange time at or before the
   * snapshot's are skipped as already contained ("covered"): this is what makes frames held during the resync apply
   * exactly once. Ties at the same millisecond count as contained (the simulator never produces two events of one
   * contract in one ms; on a real feed a same-ms update is at worst taken from the snapshot's version until the next
   * quote). ns snapshot times are compared with a 1 µs tolerance because ns epochs do not fit a double exactly.
   * Returns how many rows changed.
   */
  applySnapshot(rows: SnapshotRow[]): number {
    let changed = 0;
    for (const s of rows) {
      const r = this.index.get(s.symbol);
      if (r < 0) continue;
      let c = false;
      if (Number.isFinite(s.quoteTimeMs) && !(this.quoteTime[r] > s.quoteTimeMs + 1e-3)) {
        if (this.bid[r] !== s.bid || this.ask[r] !== s.ask || this.bidSize[r] !== s.bidSize || this.askSize[r] !== s.askSize) c = true;
        this.bid[r] = s.bid;
        this.ask[r] = s.ask;
        this.bidSize[r] = s.bidSize;
        this.askSize[r] = s.askSize;
        this.quoteTime[r] = s.quoteTimeMs;
        this.flagRow(r);
      }
      if (Number.isFinite(s.quoteTimeMs)) this.quoteCover[r] = Math.max(s.quoteTimeMs, this.quoteCover[r] || 0);
      if (Number.isFinite(s.tradeTimeMs)) this.tradeCover[r] = Math.max(s.tradeTimeMs, this.tradeCover[r] || 0);
      if (Number.isFinite(s.tradeTimeMs) && !(this.tradeTime[r] > s.tradeTimeMs + 1e-3)) {
        if (this.last[r] !== s.last || this.volume[r] !== s.volume) c = true;
        this.last[r] = s.last;
        this.lastSize[r] = s.lastSize;
        this.tradeTime[r] = s.tradeTimeMs;
        if (Number.isFinite(s.volume)) this.volume[r] = s.volume;
      } else if (Number.isFinite(s.volume) && s.volume > this.volume[r]) {
        this.volume[r] = s.volume;
        c = true;
      }
      if (Number.isFinite(s.openInterest) && this.openInterest[r] !== s.openInterest) {
        this.openInterest[r] = s.openInterest;
        c = true;
      }
      if (c) {
        changed++;
        if (this.tracking) this.markDirty(r);
      }
    }
    return changed;
  }

  /** Rows changed since the last call (each once) and the trades in arrival order. */
  takeUpdates(): { rows: Int32Array; trades: TradeUpdate[] } {
    const rows = this.dirtyRows.slice(0, this.dirtyCount);
    for (let i = 0; i < this.dirtyCount; i++) this.dirty[this.dirtyRows[i]] = 0;
    this.dirtyCount = 0;
    const trades = this.pendingTrades;
    this.pendingTrades = [];
    return { rows, trades };
  }

  rowState(r: number): RowState {
    return {
      bid: this.bid[r], ask: this.ask[r], bidSize: this.bidSize[r], askSize: this.askSize[r],
      last: this.last[r], volume: this.volume[r], openInterest: this.openInterest[r],
    };
  }

  /**
   * Copy of the state as an `OptionChain` for Greeks/surface/GEX. Crossed quotes are masked to NaN (they would give
   * nonsense IVs); locked and zero-bid quotes are kept and visible in `flags`.
   */
  snapshot(opts: { maskCrossed?: boolean } = {}): OptionChain & { flags: Uint8Array; quoteTimeMs: Float64Array } {
    const mask = opts.maskCrossed ?? true;
    const bid = this.bid.slice();
    const ask = this.ask.slice();
    if (mask) {
      for (let r = 0; r < this.size; r++) {
        if (this.flags[r] & FLAG_CROSSED) {
          bid[r] = NaN;
          ask[r] = NaN;
        }
      }
    }
    const u = this.universe;
    const asOf = Number.isFinite(this.asOfMs) ? this.asOfMs : Date.now();
    return {
      underlying: u.underlying,
      asOfMs: asOf,
      asOfDate: nyDate(asOf),
      quote: { last: this.spot.last, bid: this.spot.bid, ask: this.spot.ask },
      multiplier: u.multiplier,
      size: this.size,
      symbol: u.symbol.slice(),
      expiryIndex: u.expiryIndex.slice(),
      right: u.right.slice(),
      strike: u.strike.slice(),
      bid,
      ask,
      last: this.last.slice(),
      volume: this.volume.slice(),
      openInterest: this.openInterest.slice(),
      vendorIv: new Float64Array(this.size).fill(NaN),
      vendorDelta: new Float64Array(this.size).fill(NaN),
      vendorGamma: new Float64Array(this.size).fill(NaN),
      expiries: u.expiries,
      flags: this.flags.slice(),
      quoteTimeMs: this.quoteTime.slice(),
    };
  }

  /** Spot used for subscription planning: mid of the underlying if known, else last. */
  spotPrice(): number {
    const mid = (this.spot.bid + this.spot.ask) / 2;
    return Number.isFinite(mid) && mid > 0 ? mid : this.spot.last;
  }
}

/** Rows whose state differs between two live chains over the same universe (for equality checks). */
export function diffStates(a: LiveChain, b: LiveChain, rows?: Iterable<number>): Array<{ row: number; symbol: string; a: RowState; b: RowState }> {
  const out: Array<{ row: number; symbol: string; a: RowState; b: RowState }> = [];
  const same = (x: number, y: number) => x === y || (x !== x && y !== y);
  const it = rows ?? Array.from({ length: a.size }, (_, i) => i);
  for (const r of it) {
    const sa = a.rowState(r);
    const sb = b.rowState(r);
    if (!(Object.keys(sa) as Array<keyof RowState>).every((k) => same(sa[k], sb[k]))) out.push({ row: r, symbol: a.massive[r], a: sa, b: sb });
  }
  return out;
}
