/**
 * The simulator's moving market, built from a real chain.
 *
 * The underlying follows a geometric Brownian motion (seeded, so a run is reproducible). Each option is repriced
 * with Black-Scholes at its own implied volatility, solved once from the chain's own mid quote (r = q = 0 on both
 * sides, so at the starting spot the theoretical price is exactly the original mid); its spread is the original
 * quote's spread, widened to whole ticks. Trades print at the bid or the ask. Sequence numbers grow by 1-3 per event
 * (ordered, not contiguous, as Massive's), and each contract's quote and trade timestamps are strictly increasing
 * in whole ms, so a REST snapshot states unambiguously which events it contains.
 *
 * The market is the truth the client is compared with: `rowState` and the REST snapshot read the same arrays.
 */
import type { OptionChain } from '../../market/chain.js';
import { CALL } from '../../market/chain.js';
import { rootInfo } from '../../market/roots.js';
import { normalisedBlack, solveBsmIv } from '../../quant/black/core.js';
import { Rng } from '../../quant/hmm/rng.js';
import type { RowState } from '../live-chain.js';
import { massiveFromOcc } from '../protocol.js';

const MS_PER_YEAR = 365 * 86_400_000;

/**
 * A price in whole cents as JSON text ("12.05"), built from integers: much cheaper than number → shortest-string
 * conversion at a million events a second, and it parses to exactly cents / 100.
 */
function centsText(c: number): string {
  const whole = Math.floor(c / 100);
  const frac = c - whole * 100;
  return frac < 10 ? `${whole}.0${frac}` : `${whole}.${frac}`;
}

export interface SimMarketOptions {
  seed?: number;
  /** Annualised volatility of the underlying's GBM. Default: 0.15. */
  vol?: number;
  /** Market seconds per wall-clock second (time runs faster for a livelier demo). Default 1. */
  timeScale?: number;
  /** Fraction of option events that are trades. Default 0.1. */
  tradeRatio?: number;
}

export class SimMarket {
  readonly chain: OptionChain;
  readonly massive: string[];
  readonly rowOf = new Map<string, number>();
  /** Rows with a usable quote and IV: the ones the simulator moves. */
  readonly quotable: Int32Array;
  readonly iv: Float64Array;
  private readonly t0: Float64Array; // years to expiry at the chain's as-of time
  private readonly halfSpreadCents: Float64Array;
  private readonly tickCents: number;
  readonly bid: Float64Array;
  readonly ask: Float64Array;
  readonly bidSize: Float64Array;
  readonly askSize: Float64Array;
  readonly last: Float64Array;
  readonly lastSize: Float64Array;
  readonly volume: Float64Array;
  readonly openInterest: Float64Array;
  readonly quoteSeq: Float64Array;
  readonly tradeSeq: Float64Array;
  readonly quoteMs: Float64Array;
  readonly tradeMs: Float64Array;
  spot: number;
  readonly spot0: number;
  spotSeq = 0;
  spotMs = 0;
  /** Bumped whenever the spot moves: a row's theoretical price is recomputed only once per version. */
  private spotVersion = 1;
  private readonly theoVersion: Int32Array;
  private readonly theoCents: Float64Array;
  private marketYears = 0; // market time elapsed since start, years
  private lastWallMs = NaN;
  private readonly rng: Rng;
  private readonly vol: number;
  private readonly timeScale: number;
  readonly tradeRatio: number;

  constructor(chain: OptionChain, opts: SimMarketOptions = {}) {
    this.chain = chain;
    this.rng = new Rng(opts.seed ?? 1);
    this.vol = opts.vol ?? 0.15;
    this.timeScale = opts.timeScale ?? 1;
    this.tradeRatio = opts.tradeRatio ?? 0.1;
    const n = chain.size;
    this.massive = chain.symbol.map(massiveFromOcc);
    this.massive.forEach((s, r) => this.rowOf.set(s, r));
    const S = Number.isFinite(chain.quote.last) && chain.quote.last > 0 ? chain.quote.last : (chain.quote.bid + chain.quote.ask) / 2;
    if (!(S > 0)) throw new Error(`chain ${chain.underlying} has no underlying price to start the simulation from`);
    this.spot = S;
    this.spot0 = S;
    const index = rootInfo(chain.expiries[0]?.root ?? chain.underlying).index;
    // Index options (SPX) quote in nickels/dimes, equity options (SPY) in pennies.
    this.tickCents = index ? 5 : 1;
    const f = () => new Float64Array(n).fill(NaN);
    this.iv = f();
    this.t0 = f();
    this.halfSpreadCents = f();
    this.theoVersion = new Int32Array(n);
    this.theoCents = f();
    this.bid = chain.bid.slice();
    this.ask = chain.ask.slice();
    this.bidSize = new Float64Array(n).fill(10);
    this.askSize = new Float64Array(n).fill(10);
    this.last = chain.last.slice();
    this.lastSize = f();
    this.volume = Float64Array.from(chain.volume, (v) => (Number.isFinite(v) ? v : 0));
    this.openInterest = chain.openInterest.slice();
    this.quoteSeq = new Float64Array(n);
    this.tradeSeq = new Float64Array(n);
    this.quoteMs = new Float64Array(n).fill(chain.asOfMs);
    this.tradeMs = new Float64Array(n).fill(NaN);
    const quotable: number[] = [];
    for (let r = 0; r < n; r++) {
      if (Number.isFinite(this.last[r])) this.tradeMs[r] = chain.asOfMs;
      const b = chain.bid[r];
      const a = chain.ask[r];
      const T = (chain.expiries[chain.expiryIndex[r]].expiryMs - chain.asOfMs) / MS_PER_YEAR;
      if (!(T > 1 / MS_PER_YEAR * 60_000 && b >= 0 && a > b)) continue;
      const mid = (a + b) / 2;
      const sigma = solveBsmIv(chain.right[r] === CALL, S, chain.strike[r], T, 0, 0, mid);
      if (!(sigma > 0.005 && sigma < 5)) continue;
      this.iv[r] = sigma;
      this.t0[r] = T;
      this.halfSpreadCents[r] = Math.max(this.tickCents / 2, Math.round(((a - b) / 2) * 100));
      quotable.push(r);
    }
    this.quotable = Int32Array.from(quotable);
  }

  /** Move the underlying to wall time `wallMs` (GBM over the elapsed market time). */
  advance(wallMs: number): boolean {
    if (!Number.isFinite(this.lastWallMs)) {
      this.lastWallMs = wallMs;
      return false;
    }
    const dtWall = wallMs - this.lastWallMs;
    if (dtWall <= 0) return false;
    this.lastWallMs = wallMs;
    const dt = (dtWall * this.timeScale) / MS_PER_YEAR;
    this.marketYears += dt;
    const z = this.rng.nextGaussian();
    this.spot *= Math.exp(-0.5 * this.vol * this.vol * dt + this.vol * Math.sqrt(dt) * z);
    this.spotVersion++;
    return true;
  }

  /** The simulated market's clock: the chain's as-of time plus the market time elapsed. */
  marketTimeMs(): number {
    return this.chain.asOfMs + this.marketYears * MS_PER_YEAR;
  }

  /** Theoretical price of a row at the current spot and market time. */
  theo(r: number): number {
    const T = Math.max(this.t0[r] - this.marketYears, 1e-6);
    const S = this.spot;
    const K = this.chain.strike[r];
    const theta = this.chain.right[r] === CALL ? 1 : -1;
    return Math.sqrt(S * K) * normalisedBlack(theta, Math.log(S / K), this.iv[r] * Math.sqrt(T));
  }

  private nextTime(prev: number, wallMs: number): number {
    const t = Math.floor(wallMs);
    return prev !== prev || t > prev ? t : prev + 1;
  }

  /** Reprice row r, update the truth and return the Q event's JSON text. */
  quoteEvent(r: number, wallMs: number): string {
    if (this.theoVersion[r] !== this.spotVersion) {
      this.theoVersion[r] = this.spotVersion;
      this.theoCents[r] = this.theo(r) * 100;
    }
    const theoCents = this.theoCents[r];
    const tick = this.tickCents;
    const hs = this.halfSpreadCents[r];
    let bidC = Math.floor((theoCents - hs) / tick) * tick;
    if (bidC < 0) bidC = 0;
    let askC = Math.ceil((theoCents + hs) / tick) * tick;
    if (askC <= bidC) askC = bidC + tick;
    // One 32-bit draw gives both sizes and the sequence step (the simulator's hot loop is string building and
    // random numbers; modulo bias of a few 1e-7 is irrelevant here).
    const u = this.rng.nextU32();
    const bp = bidC / 100;
    const ap = askC / 100;
    const bs = 1 + (u % 200);
    const as = 1 + ((u >>> 8) % 200);
    const t = this.nextTime(this.quoteMs[r], wallMs);
    const q = this.quoteSeq[r] + 1 + ((u >>> 24) % 3);
    this.bid[r] = bp;
    this.ask[r] = ap;
    this.bidSize[r] = bs;
    this.askSize[r] = as;
    this.quoteMs[r] = t;
    this.quoteSeq[r] = q;
    return `{"ev":"Q","sym":"${this.massive[r]}","bx":302,"ax":313,"bp":${centsText(bidC)},"ap":${centsText(askC)},"bs":${bs},"as":${as},"t":${t},"q":${q}}`;
  }

  /** A trade at the current bid or ask of row r. */
  tradeEvent(r: number, wallMs: number): string {
    const rng = this.rng;
    const p = rng.nextFloat() < 0.5 ? this.bid[r] : this.ask[r];
    const pc = Math.round(p * 100);
    const s = 1 + Math.floor(-Math.log(1 - rng.nextFloat()) * 8);
    const t = this.nextTime(this.tradeMs[r], wallMs);
    const q = this.tradeSeq[r] + 1 + rng.nextInt(3);
    this.last[r] = p;
    this.lastSize[r] = s;
    this.volume[r] += s;
    this.tradeMs[r] = t;
    this.tradeSeq[r] = q;
    return `{"ev":"T","sym":"${this.massive[r]}","x":65,"p":${centsText(pc)},"s":${s},"c":[233],"t":${t},"q":${q}}`;
  }

  /** Stock-style quote of the underlying itself. */
  underlyingEvent(wallMs: number): string {
    const c = Math.round(this.spot * 100);
    const t = this.nextTime(this.spotMs, wallMs);
    this.spotMs = t;
    this.spotSeq += 1 + this.rng.nextInt(3);
    return `{"ev":"Q","sym":"${this.chain.underlying}","bx":4,"bp":${(c - 1) / 100},"bs":3,"ax":7,"ap":${(c + 1) / 100},"as":4,"c":0,"i":[604],"t":${t},"q":${this.spotSeq},"z":3}`;
  }

  nextRandom(): number {
    return this.rng.nextFloat();
  }

  nextIndex(n: number): number {
    return this.rng.nextU32() % n;
  }

  rowState(r: number): RowState {
    return {
      bid: this.bid[r], ask: this.ask[r], bidSize: this.bidSize[r], askSize: this.askSize[r],
      last: this.last[r], volume: this.volume[r], openInterest: this.openInterest[r],
    };
  }

  /** One result of `/v3/snapshot/options/{underlying}` for row r (ns timestamps written exactly as text). */
  snapshotResultJson(r: number): string {
    const c = this.chain;
    const e = c.expiries[c.expiryIndex[r]];
    const num = (x: number) => (Number.isFinite(x) ? String(x) : 'null');
    const parts: string[] = [
      `"details":{"contract_type":"${c.right[r] === CALL ? 'call' : 'put'}","exercise_style":"${e.exercise}","expiration_date":"${e.date}","shares_per_contract":${c.multiplier},"strike_price":${c.strike[r]},"ticker":"${this.massive[r]}"}`,
      `"day":{"volume":${this.volume[r]}${Number.isFinite(this.tradeMs[r]) ? `,"last_updated":${this.tradeMs[r]}000000` : ''}}`,
    ];
    if (Number.isFinite(this.bid[r]) && Number.isFinite(this.ask[r])) {
      parts.push(
        `"last_quote":{"bid":${this.bid[r]},"ask":${this.ask[r]},"bid_size":${this.bidSize[r]},"ask_size":${this.askSize[r]},"midpoint":${(this.bid[r] + this.ask[r]) / 2},"last_updated":${this.quoteMs[r]}000000,"timeframe":"REAL-TIME"}`,
      );
    }
    if (Number.isFinite(this.last[r]) && Number.isFinite(this.tradeMs[r])) {
      parts.push(`"last_trade":{"price":${this.last[r]},"size":${num(Number.isFinite(this.lastSize[r]) ? this.lastSize[r] : 0)},"exchange":65,"conditions":[233],"sip_timestamp":${this.tradeMs[r]}000000,"timeframe":"REAL-TIME"}`);
    }
    if (Number.isFinite(this.openInterest[r])) parts.push(`"open_interest":${this.openInterest[r]}`);
    if (Number.isFinite(this.iv[r])) parts.push(`"implied_volatility":${this.iv[r]}`);
    parts.push(`"underlying_asset":{"price":${Math.round(this.spot * 100) / 100},"ticker":"${c.underlying}","timeframe":"REAL-TIME"}`);
    return `{${parts.join(',')}}`;
  }
}
