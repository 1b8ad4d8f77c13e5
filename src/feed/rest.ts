/**
 * Massive REST client (the parts the feed needs): option chain snapshot with open interest
 * (`/v3/snapshot/options/{underlying}`, 250 per page, pagination by `next_url`), option contract reference
 * (`/v3/reference/options/contracts[/{ticker}]`) and daily aggregates (`/v2/aggs/ticker/{t}/range/1/day/{from}/{to}`).
 *
 * REST timestamps are nanoseconds (snapshot `last_updated`, `sip_timestamp`); they are converted to ms here.
 * Aggregate bar times (`t`) are ms. 429 and 5xx are retried with jittered exponential backoff (honouring
 * Retry-After); other errors fail at once with the API's message. The key is sent as a Bearer header, never in a
 * URL that could be logged, and `next_url` is re-based onto the configured origin so the key never leaves it.
 */
import { z } from 'zod';
import { createLogger } from '../util/log.js';
import type { ChainExpiry } from '../market/chain.js';
import { CALL, PUT } from '../market/chain.js';
import { expiryInstantMs } from '../market/calendar.js';
import { rootInfo } from '../market/roots.js';
import type { ContractUniverse, SnapshotRow } from './live-chain.js';
import { withDefaults } from './options.js';

const log = createLogger('feed.rest');

export class RestError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'RestError';
  }
}

export interface RestOptions {
  baseUrl: string;
  apiKey?: string;
  maxRetries?: number;
  /** First backoff, ms (doubles each retry, ±50% jitter, capped at maxBackoffMs). */
  backoffMs?: number;
  maxBackoffMs?: number;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

const num = z.number();
const SnapshotResult = z.object({
  details: z.object({
    contract_type: z.enum(['call', 'put']),
    exercise_style: z.string().optional(),
    expiration_date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
    shares_per_contract: num.optional(),
    strike_price: num,
    ticker: z.string().min(3),
  }),
  day: z.object({ volume: num.optional(), last_updated: num.optional(), close: num.optional() }).partial().optional(),
  last_quote: z
    .object({ bid: num, ask: num, bid_size: num, ask_size: num, last_updated: num.optional() })
    .partial({ last_updated: true })
    .optional(),
  last_trade: z.object({ price: num, size: num, sip_timestamp: num }).optional(),
  open_interest: num.optional(),
  implied_volatility: num.optional(),
  underlying_asset: z.object({ price: num.optional(), ticker: z.string().optional(), last_updated: num.optional() }).partial().optional(),
});
export type SnapshotResultT = z.infer<typeof SnapshotResult>;

const Page = z.object({
  status: z.string().optional(),
  results: z.array(z.unknown()).optional(),
  next_url: z.string().optional(),
});

const ContractRef = z.object({
  ticker: z.string(),
  underlying_ticker: z.string(),
  contract_type: z.enum(['call', 'put']),
  exercise_style: z.string().optional(),
  expiration_date: z.string(),
  strike_price: num,
  shares_per_contract: num.optional(),
  primary_exchange: z.string().optional(),
  cfi: z.string().optional(),
});
export type ContractRefT = z.infer<typeof ContractRef>;

const DailyBar = z.object({ t: num, o: num, h: num, l: num, c: num, v: num, vw: num.optional(), n: num.optional() });
export type DailyBarT = z.infer<typeof DailyBar>;

/** One contract of a chain snapshot, normalised (ms times, NaN for absent). */
export interface SnapshotContract extends SnapshotRow {
  right: 'C' | 'P';
  expiration: string;
  strike: number;
  exercise: string;
  multiplier: number;
  underlyingPrice: number;
}

export interface ChainSnapshot {
  underlying: string;
  contracts: SnapshotContract[];
  pages: number;
  /** Results that failed validation (counted, skipped). */
  rejected: number;
  underlyingPrice: number;
}

const nsToMs = (ns: number | undefined): number => (ns === undefined ? NaN : ns / 1e6);

export function normaliseSnapshotResult(r: SnapshotResultT): SnapshotContract {
  const d = r.details;
  return {
    symbol: d.ticker,
    right: d.contract_type === 'call' ? 'C' : 'P',
    expiration: d.expiration_date,
    strike: d.strike_price,
    exercise: d.exercise_style ?? 'american',
    multiplier: d.shares_per_contract ?? 100,
    bid: r.last_quote?.bid ?? NaN,
    ask: r.last_quote?.ask ?? NaN,
    bidSize: r.last_quote?.bid_size ?? NaN,
    askSize: r.last_quote?.ask_size ?? NaN,
    quoteTimeMs: nsToMs(r.last_quote?.last_updated),
    last: r.last_trade?.price ?? NaN,
    lastSize: r.last_trade?.size ?? NaN,
    tradeTimeMs: nsToMs(r.last_trade?.sip_timestamp),
    volume: r.day?.volume ?? NaN,
    openInterest: r.open_interest ?? NaN,
    underlyingPrice: r.underlying_asset?.price ?? NaN,
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Path segment for a ticker: escaped, but `O:` kept readable as the API documents it. */
const seg = (t: string) => encodeURIComponent(t).replace(/%3A/g, ':');

export class MassiveRest {
  private readonly base: URL;
  private readonly o: Required<Omit<RestOptions, 'apiKey' | 'fetch'>> & Pick<RestOptions, 'apiKey'>;
  private readonly fetchImpl: typeof fetch;
  /** Requests made, retries done (for tests and metrics). */
  requests = 0;
  retries = 0;

  constructor(opts: RestOptions) {
    this.base = new URL(opts.baseUrl);
    this.o = withDefaults({ maxRetries: 5, backoffMs: 250, maxBackoffMs: 8000, timeoutMs: 15000 }, opts);
    this.fetchImpl = opts.fetch ?? fetch;
  }

  /** Resolve a path or a `next_url` onto the configured origin. */
  private url(pathOrUrl: string): URL {
    const u = new URL(pathOrUrl, this.base);
    if (u.origin !== this.base.origin) {
      // next_url from the API names its public host; keep path and cursor, stay on our origin.
      const basePath = this.base.pathname.replace(/\/$/, '');
      return new URL(basePath + u.pathname + u.search, this.base.origin);
    }
    return u;
  }

  async getJson(pathOrUrl: string): Promise<unknown> {
    const url = this.url(pathOrUrl);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.o.apiKey) headers.authorization = `Bearer ${this.o.apiKey}`;
    for (let attempt = 0; ; attempt++) {
      this.requests++;
      let res: Response | undefined;
      let netErr: Error | undefined;
      try {
        res = await this.fetchImpl(url, { headers, signal: AbortSignal.timeout(this.o.timeoutMs) });
      } catch (e) {
        netErr = e as Error;
      }
      const retryable = netErr !== undefined || res!.status === 429 || res!.status >= 500;
      if (!retryable) {
        const text = await res!.text();
        if (!res!.ok) {
          let msg = text.slice(0, 200);
          try {
            const j = JSON.parse(text) as { error?: string; message?: string };
            msg = j.error ?? j.message ?? msg;
          } catch {
            /* not JSON: keep the text */
          }
          throw new RestError(`GET ${url.pathname} failed with HTTP ${res!.status}: ${msg}`, res!.status);
        }
        try {
          return JSON.parse(text);
        } catch {
          throw new RestError(`GET ${url.pathname} returned invalid JSON`, res!.status);
        }
      }
      if (res) await res.body?.cancel().catch(() => undefined);
      if (attempt >= this.o.maxRetries) {
        const why = netErr ? netErr.message : `HTTP ${res!.status}`;
        throw new RestError(`GET ${url.pathname} failed after ${attempt + 1} attempts: ${why}`, res?.status ?? 0);
      }
      let wait = Math.min(this.o.maxBackoffMs, this.o.backoffMs * 2 ** attempt) * (0.5 + Math.random());
      const ra = res?.headers.get('retry-after');
      if (ra && Number.isFinite(Number(ra))) wait = Math.max(wait, Math.min(Number(ra) * 1000, this.o.maxBackoffMs));
      this.retries++;
      log.debug({ status: res?.status, attempt, wait: Math.round(wait) }, 'retrying REST request');
      await sleep(wait);
    }
  }

  /** Every page of a paginated listing, following `next_url`. */
  async *pages(path: string, maxPages = 10_000): AsyncGenerator<unknown[]> {
    let next: string | undefined = path;
    for (let i = 0; next && i < maxPages; i++) {
      const page = Page.safeParse(await this.getJson(next));
      if (!page.success) throw new RestError(`GET ${next}: response is not a result page`, 200);
      if (page.data.status && page.data.status !== 'OK' && page.data.status !== 'DELAYED') {
        throw new RestError(`GET ${next}: status ${page.data.status}`, 200);
      }
      yield page.data.results ?? [];
      next = page.data.next_url;
    }
  }

  /** The whole option chain of an underlying (250 contracts per page). */
  async optionChainSnapshot(underlying: string, params: Record<string, string> = {}): Promise<ChainSnapshot> {
    if (!/^[A-Za-z0-9.:]{1,16}$/.test(underlying)) throw new RestError(`invalid underlying '${underlying}'`, 0);
    const q = new URLSearchParams({ limit: '250', ...params });
    const out: ChainSnapshot = { underlying, contracts: [], pages: 0, rejected: 0, underlyingPrice: NaN };
    for await (const results of this.pages(`/v3/snapshot/options/${seg(underlying)}?${q}`)) {
      out.pages++;
      for (const r of results) {
        const v = SnapshotResult.safeParse(r);
        if (!v.success) {
          out.rejected++;
          continue;
        }
        const c = normaliseSnapshotResult(v.data);
        if (Number.isFinite(c.underlyingPrice)) out.underlyingPrice = c.underlyingPrice;
        out.contracts.push(c);
      }
    }
    return out;
  }

  async optionContract(ticker: string): Promise<ContractRefT> {
    const j = (await this.getJson(`/v3/reference/options/contracts/${seg(ticker)}`)) as { results?: unknown };
    const v = ContractRef.safeParse(j.results);
    if (!v.success) throw new RestError(`contract ${ticker}: unexpected response shape`, 200);
    return v.data;
  }

  async optionContracts(params: Record<string, string>, maxPages = 100): Promise<ContractRefT[]> {
    const out: ContractRefT[] = [];
    const q = new URLSearchParams({ limit: '1000', ...params });
    for await (const results of this.pages(`/v3/reference/options/contracts?${q}`, maxPages)) {
      for (const r of results) {
        const v = ContractRef.safeParse(r);
        if (v.success) out.push(v.data);
      }
    }
    return out;
  }

  /** The server's clock (`/v1/marketstatus/now` serverTime), epoch ms. */
  async serverTimeMs(): Promise<number> {
    const j = (await this.getJson('/v1/marketstatus/now')) as { serverTime?: unknown };
    const t = typeof j.serverTime === 'string' ? Date.parse(j.serverTime) : NaN;
    if (!Number.isFinite(t)) throw new RestError('market status: no valid serverTime', 200);
    return t;
  }

  /** Daily bars (`t` in ms) between two dates inclusive. */
  async dailyAggregates(ticker: string, from: string, to: string): Promise<DailyBarT[]> {
    const j = (await this.getJson(`/v2/aggs/ticker/${seg(ticker)}/range/1/day/${from}/${to}?adjusted=true&sort=asc`)) as { results?: unknown[] };
    const out: DailyBarT[] = [];
    for (const r of j.results ?? []) {
      const v = DailyBar.safeParse(r);
      if (!v.success) throw new RestError(`aggregates ${ticker}: unexpected bar shape`, 200);
      out.push(v.data);
    }
    return out;
  }
}

// ---- snapshot → contract universe -------------------------------------------------------------------------------

/** `O:SPXW230421C04050000` → root, expiry, right, strike; null if it is not an option ticker. */
export function parseMassiveOption(sym: string): { root: string; expiry: string; right: 'C' | 'P'; strike: number } | null {
  const m = /^O:([A-Z0-9]{1,6})(\d{2})(\d{2})(\d{2})([CP])(\d{8})$/.exec(sym);
  if (!m) return null;
  return { root: m[1], expiry: `20${m[2]}-${m[3]}-${m[4]}`, right: m[5] as 'C' | 'P', strike: Number(m[6]) / 1000 };
}

/** OCC symbol (root padded to 6) from a Massive ticker. */
export function occFromMassive(sym: string): string {
  const p = /^O:([A-Z0-9]{1,6})(\d{6}[CP]\d{8})$/.exec(sym);
  if (!p) throw new Error(`not a Massive option ticker: ${sym}`);
  return p[1].padEnd(6, ' ') + p[2];
}

/** Build the contract universe (rows sorted by expiry, root, strike, call first) from snapshot contracts. */
export function universeFromContracts(underlying: string, contracts: Array<{ symbol: string; multiplier?: number }>): ContractUniverse {
  type Row = { sym: string; root: string; expiry: string; right: 'C' | 'P'; strike: number; mult: number };
  const rows: Row[] = [];
  for (const c of contracts) {
    const p = parseMassiveOption(c.symbol);
    if (!p) continue;
    rows.push({ sym: c.symbol, ...p, mult: c.multiplier ?? 100 });
  }
  rows.sort((a, b) => (a.expiry < b.expiry ? -1 : a.expiry > b.expiry ? 1 : a.root < b.root ? -1 : a.root > b.root ? 1 : a.strike - b.strike || (a.right === 'C' ? -1 : 1)));
  const expiries: ChainExpiry[] = [];
  const keyIndex = new Map<string, number>();
  const expiryIndex = new Uint16Array(rows.length);
  const lists: number[][] = [];
  rows.forEach((r, i) => {
    const key = `${r.expiry}|${r.root}`;
    let e = keyIndex.get(key);
    if (e === undefined) {
      e = expiries.length;
      keyIndex.set(key, e);
      // Settlement and exercise style come from the root (the snapshot's exercise_style is per contract and
      // absent on some feeds); the expiry instant from the exchange calendar.
      const info = rootInfo(r.root);
      expiries.push({
        date: r.expiry,
        root: r.root,
        settlement: info.settlement,
        exercise: info.exercise,
        expiryMs: expiryInstantMs(r.expiry, info.settlement, { allowNonTradingDay: true }),
        rows: new Int32Array(0),
      });
      lists.push([]);
    }
    expiryIndex[i] = e;
    lists[e].push(i);
  });
  expiries.forEach((e, i) => (e.rows = Int32Array.from(lists[i])));
  return {
    underlying,
    multiplier: rows[0]?.mult ?? 100,
    symbol: rows.map((r) => occFromMassive(r.sym)),
    expiryIndex,
    right: Uint8Array.from(rows, (r) => (r.right === 'C' ? CALL : PUT)),
    strike: Float64Array.from(rows, (r) => r.strike),
    expiries,
  };
}
