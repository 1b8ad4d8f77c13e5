/**
 * What the gateway serves: a small provider interface over the latest analytics state. The gateway never computes
 * analytics itself; it asks an `AnalyticsState` (a chain file today, the live pipeline of issue 10 tomorrow) and
 * relays its update events to WebSocket clients. Every section carries its own `updatedAt` and status so that the
 * dashboard can show "no data yet" / "module unavailable" / "error" instead of blank widgets.
 *
 * JSON field names follow the CLI contracts (`manifold surface --json`, `manifold gex --json`, see
 * notes/interfaces.md): snake_case, NaN → null (the gateway serialises with `jsonReplacer`).
 */

/** Topics streamed over the WebSocket (and the REST sections they mirror). */
export const TOPICS = ['chain', 'surface', 'gex', 'regime', 'health'] as const;
export type Topic = (typeof TOPICS)[number];

/**
 * State of one section. `ok`: data is current. `pending`: not computed yet. `unavailable`: the module that computes
 * it is not present or not applicable (reason says which). `error`: the last computation failed (reason says why;
 * `data` may still hold the previous good value).
 */
export type SectionStatus = 'ok' | 'pending' | 'unavailable' | 'error';

export interface Section<T> {
  status: SectionStatus;
  /** Epoch ms when `data` was last replaced; null when there has never been data. */
  updatedAt: number | null;
  reason?: string;
  data: T | null;
}

// ---------------------------------------------------------------------------------------------------------------
// Chain and IV

export interface ChainExpirySummary {
  index: number;
  expiry: string;
  root: string;
  settlement: 'AM' | 'PM';
  expiry_ms: number;
  contracts: number;
}

export interface ChainSummary {
  underlying: string;
  as_of: string;
  as_of_date: string;
  spot: number;
  multiplier: number;
  contracts: number;
  source: string;
  expiries: ChainExpirySummary[];
  /** The loader's report (rows read, rejected and why), as given by the chain loader. */
  report: unknown;
}

export interface IvExpiry {
  index: number;
  expiry: string;
  root: string;
  settlement: 'AM' | 'PM';
  t: number;
  forward: number;
  discount: number;
  rate: number;
  status: string;
}

export interface IvRow {
  symbol: string;
  expiry_index: number;
  expiry: string;
  right: 'C' | 'P';
  strike: number;
  /** ln(K / F) with the expiry's parity forward; null when the forward is unknown. */
  k: number | null;
  bid: number;
  ask: number;
  bid_iv: number;
  mid_iv: number;
  ask_iv: number;
  status: number;
  delta: number;
  gamma: number;
  vega: number;
}

export interface IvTable {
  expiries: IvExpiry[];
  /** Number of rows in the whole chain (the REST route pages through them). */
  rows: number;
  /** Row accessor so that providers can keep their columnar arrays and the route materialises only one page. */
  row(i: number): IvRow;
  /** Row indices of one expiry (in `expiries[].index` numbering), or all rows when the index is undefined. */
  rowsOf(expiryIndex?: number): ArrayLike<number>;
  /** Descriptions of the numeric status codes in `IvRow.status`. */
  status_codes: Record<string, string>;
  /**
   * Optional: the table's columns as the provider holds them (row order), so that a publisher can ship the whole
   * table without materialising `row(i)` objects (the live pipeline publishes it on the bus for `--role api`).
   */
  columns?(): IvColumns;
}

/** The per-row columns behind an `IvTable` (`right`: 0 = call, 1 = put, as in `OptionChain.right`). */
export interface IvColumns {
  symbol: readonly string[];
  expiryIndex: ArrayLike<number>;
  right: ArrayLike<number>;
  strike: ArrayLike<number>;
  bid: ArrayLike<number>;
  ask: ArrayLike<number>;
  bidIv: ArrayLike<number>;
  midIv: ArrayLike<number>;
  askIv: ArrayLike<number>;
  status: ArrayLike<number>;
  delta: ArrayLike<number>;
  gamma: ArrayLike<number>;
  vega: ArrayLike<number>;
}

// ---------------------------------------------------------------------------------------------------------------
// Surface: the `manifold surface --json` contract plus a query for the grid.

export interface SviParams {
  a: number;
  b: number;
  rho: number;
  m: number;
  sigma: number;
}

/** One slice of `manifold surface --json`; `svi` and the quality numbers are null when the slice was not fitted. */
export interface SurfaceSliceJson {
  expiry: string;
  root?: string;
  settlement: string;
  status?: string;
  t: number;
  forward: number;
  discount: number;
  quotes: number;
  svi: SviParams | null;
  /** Fit RMSE of model IV − mid IV in vol points (1.0 = 1 %), like `atm_vol`. */
  rmse_vol: number | null;
  in_band: number | null;
  max_abs_z: number | null;
  min_g: number | null;
  butterfly_free: boolean | null;
  /** Model ATM vol in vol points (18.1 = 18.1 %). */
  atm_vol: number | null;
  [extra: string]: unknown;
}

export interface SurfaceJson {
  underlying: string;
  as_of: string;
  spot: number;
  slices: SurfaceSliceJson[];
  calendar_free: boolean;
  [extra: string]: unknown;
}

/** Market quotes of one slice in surface coordinates, for plotting against the fit. */
export interface SliceQuotes {
  expiry: string;
  t: number;
  forward: number;
  k: number[];
  strike: number[];
  bid_iv: (number | null)[];
  ask_iv: (number | null)[];
  mid_iv: (number | null)[];
}

export interface SurfaceState {
  json: SurfaceJson;
  /**
   * Implied vol of the (calendar-free) surface at log-moneyness k = ln(K/F) and time t (years); NaN where the
   * surface is undefined. The grid route samples it.
   */
  volAt(k: number, t: number): number;
  /** What `volAt` evaluates, e.g. 'essvi' (the slices' own fits are the raw SVI parameters in `json`). */
  gridModel: string;
  /** Quotes per slice in the same order as `json.slices`. */
  quotes: SliceQuotes[];
}

// ---------------------------------------------------------------------------------------------------------------
// GEX: the `manifold gex --json` contract.

export interface GexJson {
  underlying: string;
  as_of: string;
  spot: number;
  model: string;
  total_gex: number;
  flip: number | null;
  call_wall: number | null;
  put_wall: number | null;
  abs_gamma_strike: number | null;
  by_expiry: { expiry: string; gex: number }[];
  by_strike: { strike: number; call_gex: number; put_gex: number; net_gex: number }[];
  profile: { spot: number; gex: number }[];
  [extra: string]: unknown;
}

// ---------------------------------------------------------------------------------------------------------------
// Regime

export interface RegimeNow {
  as_of: string;
  /** Index of the most likely state in `labels` (states are ordered calm → stressed). */
  state: number;
  label: string;
  labels: string[];
  probabilities: number[];
  /** Feature values of the last day and the model's training summary, as the regime module gives them. */
  features?: Record<string, number>;
  model?: Record<string, unknown>;
  /**
   * Live pipeline: the provisional state of the session in progress, one filter step past `as_of` from the live
   * VIX (a VIX feed, or computed from the live SPX chain) with unknown features marginalised out.
   */
  intraday?: import('../regime/intraday.js').IntradayRegime | null;
  /** Why there is no intraday state (e.g. the live underlying is not SPX and no VIX is on the feed). */
  intraday_reason?: string;
}

export interface RegimeHistoryPoint {
  date: string;
  state: number;
  probabilities: number[];
}

export interface RegimeState {
  now: RegimeNow;
  history: RegimeHistoryPoint[];
}

// ---------------------------------------------------------------------------------------------------------------
// Health

export interface StageHealth {
  name: string;
  status: SectionStatus;
  /** Wall time of the last run of this stage, ms. */
  last_ms: number | null;
  /** Runs per second over the provider's window (0 for a static source). */
  rate: number;
  /** Age of the stage's output, ms (now − updatedAt). */
  lag_ms: number | null;
  errors: number;
  last_error?: string;
}

export interface FeedHealth {
  source: string;
  /** `live`, `static` (a file, no updates expected), `down`, `connecting`. */
  status: 'live' | 'static' | 'down' | 'connecting';
  msg_rate: number;
  last_message_at: number | null;
  gaps: number;
  reconnects: number;
  bad_rows: number;
}

export interface HealthState {
  feed: FeedHealth;
  pipeline: StageHealth[];
}

// ---------------------------------------------------------------------------------------------------------------
// Provider

/** A state-changing request (POST /api/v1/admin/reload). Every field is optional: empty means "reload as is". */
export interface ReloadRequest {
  /** Name of a chain file in the provider's chain folder (no path separators). */
  chain?: string;
  /** GEX dealer-positioning model, one of `gexModels()`. */
  gexModel?: string;
}

export interface ReloadResult {
  chain: string;
  gexModel: string;
  updatedAt: number;
  sections: Record<Topic, SectionStatus>;
}

export type StateListener = (topic: Topic) => void;

export interface AnalyticsState {
  chain(): Section<ChainSummary>;
  iv(): Section<IvTable>;
  surface(): Section<SurfaceState>;
  gex(): Section<GexJson>;
  regime(): Section<RegimeState>;
  health(): Section<HealthState>;
  /** Called with the topic whenever a section changes; returns an unsubscribe function. */
  subscribe(listener: StateListener): () => void;
  /** Choices the admin route accepts (for validation and the OpenAPI enum). */
  chainFiles(): string[];
  gexModels(): string[];
  /** Recompute from a (possibly different) source. Rejects with a `ReloadError` for a bad request. */
  reload(req: ReloadRequest): Promise<ReloadResult>;
  close(): Promise<void>;
}

/** A reload request that cannot be honoured (unknown file, unknown model): the route answers 400/409. */
export class ReloadError extends Error {
  constructor(
    message: string,
    readonly statusCode: 400 | 404 | 409 = 400,
  ) {
    super(message);
    this.name = 'ReloadError';
  }
}

/** Small helper for providers: a section with no data yet. */
export function emptySection<T>(status: SectionStatus = 'pending', reason?: string): Section<T> {
  return reason === undefined ? { status, updatedAt: null, data: null } : { status, updatedAt: null, reason, data: null };
}
