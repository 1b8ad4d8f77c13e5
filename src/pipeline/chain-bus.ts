/**
 * The live chain on the bus: how the feed role hands its chain state to the analytics role, in one process (in-process
 * bus) or across processes (ZeroMQ), through the same messages.
 *
 *   data.chain.<U>.ref    retained (key `ref`): the contract universe (reference data) and the chain generation.
 *   data.chain.<U>.snap   retained (key `state`): the whole state of every contract, spot and clock (a full update).
 *   data.chain.<U>.delta  the rows changed since the previous message (each once: conflated, latest wins), spot, clock.
 *   cmd.chain.<U>.resync  a consumer that saw a gap asks the feed for a fresh full update.
 *
 * Every update (full or delta) carries the trades applied since the previous one (time and sales, in order), the
 * feed's status (connection state, clock, counters) and `dseq`, a sequence
 * number per generation: a consumer that sees `dseq` jump (a late joiner whose retained snapshot is older than the
 * deltas it then receives, or a message lost by the bus) applies what it has and asks for a resync; the next full
 * update makes its state exact again. A generation is one feed chain: a restarted feed process starts a new one.
 *
 * Replicated per contract: bid, ask, sizes, quote time and sequence, last trade (price, size, time, sequence), volume,
 * open interest and quote flags; per chain: spot (bid, ask, last, time, sequence) and the latest exchange time. The
 * feed's ingest bookkeeping (resync covers, trade de-duplication ring) stays in the feed.
 */
import { defineTopic, type Topic } from '../bus/topics.js';
import type { ContractUniverse, LiveChain, TradeUpdate } from '../feed/live-chain.js';
import type { ConnState } from './live-source.js';

/** Per-contract columns replicated as Float64Array (flags separately as Uint8Array). */
export const CHAIN_COLUMNS = ['bid', 'ask', 'bidSize', 'askSize', 'quoteTime', 'quoteSeq', 'last', 'lastSize', 'tradeTime', 'tradeSeq', 'volume', 'openInterest'] as const;
export type ChainColumn = (typeof CHAIN_COLUMNS)[number];

/** What the analytics side needs to know about the feed besides the chain. */
export interface FeedStatus {
  /** The feed source's name (`simulator:SPX`, `replay:<file>`, `massive:SPY`). */
  name: string;
  state: ConnState;
  /** Valuation clock: `chain` = the chain's latest exchange time (a replay); `wall` = the feed host's clock + offset. */
  clock: { kind: 'chain' } | { kind: 'wall'; offsetMs: number };
  outages: number;
  metrics: RemoteFeedMetrics | null;
}

/** The feed metrics the feed health shows, as numbers (the histograms stay in the feed process). */
export interface RemoteFeedMetrics {
  messages: number;
  reconnects: number;
  decodeErrors: number;
  unknownSymbol: number;
  gaps: number;
  gapTotalMs: number;
  gapMaxMs: number;
  exchangeToReceiveP50Us: number;
  exchangeToReceiveP99Us: number;
  receiveToAppliedP50Us: number;
  receiveToAppliedP99Us: number;
}

export interface ChainRef {
  gen: string;
  universe: ContractUniverse;
}

export interface SpotState {
  bid: number;
  ask: number;
  last: number;
  timeMs: number;
  seq: number;
}

/** The trades applied since the previous update, in feed order (time and sales: the analytics store them). */
export interface TradeBatch {
  row: Int32Array;
  price: Float64Array;
  size: Float64Array;
  t: Float64Array;
  q: Float64Array;
}

export interface ChainUpdate {
  gen: string;
  /** 1, 2, 3, ... per generation (full and delta updates share it). */
  dseq: number;
  /** true: every row (a snapshot); false: only `rows`. */
  full: boolean;
  /** Rows of the columns below (absent for a full update: row i is contract i). */
  rows?: Int32Array;
  cols: Record<ChainColumn, Float64Array>;
  flags: Uint8Array;
  spot: SpotState;
  asOfMs: number;
  /** Trades since the previous update (their rows are in this update too). */
  trades?: TradeBatch;
  status: FeedStatus;
}

export const chainRefTopic = (u: string): Topic<ChainRef> => defineTopic<ChainRef>('data', `chain.${u}.ref`);
export const chainSnapTopic = (u: string): Topic<ChainUpdate> => defineTopic<ChainUpdate>('data', `chain.${u}.snap`);
export const chainDeltaTopic = (u: string): Topic<ChainUpdate> => defineTopic<ChainUpdate>('data', `chain.${u}.delta`);
export const chainResyncTopic = (u: string): Topic<{ gen: string; reason: string }> => defineTopic<{ gen: string; reason: string }>('cmd', `chain.${u}.resync`);
export const CHAIN_PREFIX = 'data.chain.';

/** A copy of the rows `rows` (all rows when undefined) of the live chain and of `trades`, as one update message. */
export function captureUpdate(lc: LiveChain, gen: string, dseq: number, status: FeedStatus, rows?: ArrayLike<number>, trades: readonly TradeUpdate[] = []): ChainUpdate {
  const n = rows ? rows.length : lc.size;
  const cols = {} as Record<ChainColumn, Float64Array>;
  for (const c of CHAIN_COLUMNS) {
    const src = lc[c];
    if (!rows) cols[c] = src.slice();
    else {
      const dst = new Float64Array(n);
      for (let i = 0; i < n; i++) dst[i] = src[rows[i]];
      cols[c] = dst;
    }
  }
  let flags: Uint8Array;
  if (!rows) flags = lc.flags.slice();
  else {
    flags = new Uint8Array(n);
    for (let i = 0; i < n; i++) flags[i] = lc.flags[rows[i]];
  }
  const s = lc.spot;
  return {
    gen,
    dseq,
    full: !rows,
    rows: rows ? Int32Array.from(rows) : undefined,
    cols,
    flags,
    spot: { bid: s.bid, ask: s.ask, last: s.last, timeMs: s.timeMs, seq: s.seq },
    asOfMs: lc.asOfMs,
    trades: trades.length > 0 ? packTrades(trades) : undefined,
    status,
  };
}

function packTrades(trades: readonly TradeUpdate[]): TradeBatch {
  const n = trades.length;
  const b: TradeBatch = { row: new Int32Array(n), price: new Float64Array(n), size: new Float64Array(n), t: new Float64Array(n), q: new Float64Array(n) };
  for (let i = 0; i < n; i++) {
    const tr = trades[i];
    b.row[i] = tr.row;
    b.price[i] = tr.price;
    b.size[i] = tr.size;
    b.t[i] = tr.t;
    b.q[i] = tr.q;
  }
  return b;
}

const same = (x: number, y: number) => x === y || (x !== x && y !== y);

/**
 * Apply an update to a replica chain. Each row that differs goes through `applyQuote` (which marks it changed for
 * the pipeline's `takeUpdates()` and lets the pipeline time it), then every replicated field is set to the feed's
 * exact value. Returns the number of rows that changed.
 */
export function applyUpdate(lc: LiveChain, u: ChainUpdate): number {
  const n = u.full ? lc.size : u.rows!.length;
  if (u.full && u.flags.length !== lc.size) throw new Error(`full chain update of ${u.flags.length} rows for a chain of ${lc.size}`);
  const c = u.cols;
  let changed = 0;
  // Trades first, in feed order, through applyTrade (so that the pipeline's takeUpdates() returns them); the row
  // states below then set last, size, time, sequence and volume to the feed's exact values.
  const tb = u.trades;
  if (tb) {
    for (let i = 0; i < tb.row.length; i++) {
      const r = tb.row[i];
      if (r < 0 || r >= lc.size) continue;
      lc.tradeSeq[r] = -1; // never a duplicate here: the feed already de-duplicated
      lc.applyTrade(r, tb.price[i], tb.size[i], tb.t[i], tb.q[i]);
    }
  }
  for (let i = 0; i < n; i++) {
    const r = u.full ? i : u.rows![i];
    if (r < 0 || r >= lc.size) continue;
    let diff = lc.flags[r] !== u.flags[i];
    if (!diff) {
      for (const k of CHAIN_COLUMNS) {
        if (!same(lc[k][r], c[k][i])) {
          diff = true;
          break;
        }
      }
    }
    if (!diff) continue;
    changed++;
    lc.quoteSeq[r] = -1; // accepted whatever sequence the feed's last quote had
    lc.applyQuote(r, c.bid[i], c.ask[i], c.bidSize[i], c.askSize[i], c.quoteTime[i], 0);
    for (const k of CHAIN_COLUMNS) lc[k][r] = c[k][i];
    lc.flags[r] = u.flags[i];
  }
  lc.spot.bid = u.spot.bid;
  lc.spot.ask = u.spot.ask;
  lc.spot.last = u.spot.last;
  lc.spot.timeMs = u.spot.timeMs;
  lc.spot.seq = u.spot.seq;
  lc.asOfMs = u.asOfMs;
  if (u.status.metrics) lc.counters.unknownSymbol = u.status.metrics.unknownSymbol;
  return changed;
}

/** The replicated state of a chain as plain JSON (NaN → null): what the multi-process test compares exactly. */
export function chainStateJson(lc: LiveChain): Record<string, unknown> {
  const arr = (a: ArrayLike<number>) => Array.from(a, (x) => (Number.isFinite(x) ? x : null));
  const cols: Record<string, Array<number | null>> = {};
  for (const k of CHAIN_COLUMNS) cols[k] = arr(lc[k]);
  cols.flags = arr(lc.flags);
  const s = lc.spot;
  return {
    underlying: lc.universe.underlying,
    contracts: lc.massive,
    asOfMs: Number.isFinite(lc.asOfMs) ? lc.asOfMs : null,
    spot: { bid: s.bid, ask: s.ask, last: s.last, timeMs: s.timeMs, seq: s.seq },
    columns: cols,
  };
}
