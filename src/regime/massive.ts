/**
 * Massive (formerly Polygon) daily aggregates over REST:
 * GET /v2/aggs/ticker/{ticker}/range/1/day/{from}/{to}?adjusted=true&sort=asc&limit=50000&apiKey=…
 * (see ../shared/data/protocol/massive-rest-spec-options-subset.json). Follows `next_url` pagination. Every bar
 * is validated; bad bars are counted and reported, never stored.
 */
import { createLogger } from '../util/log.js';

const log = createLogger('regime.massive');

export interface DailyBar {
  /** Exchange date (America/New_York) of the bar's window start. */
  date: string;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number | null;
}

export interface AggsReport {
  ticker: string;
  requests: number;
  results: number;
  accepted: number;
  /** Bars rejected (non-finite or non-positive close, bad timestamp), with reasons (first 20). */
  rejected: number;
  rejectedSample: string[];
  duplicates: number;
  /** The server's `adjusted` flag (null if absent, as for indices). */
  adjusted: boolean | null;
  status: string[];
}

export class MassiveRestError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'MassiveRestError';
  }
}

export interface MassiveRestOptions {
  baseUrl: string;
  apiKey?: string;
  /** Split-adjusted bars (default true). Ignored for index tickers (I:…). */
  adjusted?: boolean;
  timeoutMs?: number;
  /** Safety cap on followed pages. Default 50. */
  maxPages?: number;
}

const nyDate = new Intl.DateTimeFormat('en-CA', { timeZone: 'America/New_York', year: 'numeric', month: '2-digit', day: '2-digit' });

/** Unix milliseconds → the America/New_York calendar date (YYYY-MM-DD). */
export function exchangeDate(ms: number): string {
  return nyDate.format(new Date(ms));
}

function withKey(url: URL, apiKey?: string): URL {
  if (apiKey && !url.searchParams.has('apiKey')) url.searchParams.set('apiKey', apiKey);
  return url;
}

/** Redacts the apiKey query parameter for error messages and logs. */
function redact(url: URL): string {
  const u = new URL(url);
  if (u.searchParams.has('apiKey')) u.searchParams.set('apiKey', '***');
  return u.toString();
}

interface AggsPage {
  status?: unknown;
  adjusted?: unknown;
  results?: unknown;
  next_url?: unknown;
  error?: unknown;
  message?: unknown;
}

export async function fetchDailyAggs(ticker: string, from: string, to: string, opts: MassiveRestOptions): Promise<{ bars: DailyBar[]; report: AggsReport }> {
  const base = new URL(opts.baseUrl);
  const isIndex = ticker.startsWith('I:');
  let url = new URL(`/v2/aggs/ticker/${encodeURIComponent(ticker)}/range/1/day/${from}/${to}`, base);
  if (!isIndex) url.searchParams.set('adjusted', String(opts.adjusted ?? true));
  url.searchParams.set('sort', 'asc');
  url.searchParams.set('limit', '50000');
  url = withKey(url, opts.apiKey);
  const report: AggsReport = { ticker, requests: 0, results: 0, accepted: 0, rejected: 0, rejectedSample: [], duplicates: 0, adjusted: null, status: [] };
  const byDate = new Map<string, DailyBar>();
  const maxPages = opts.maxPages ?? 50;
  for (let page = 0; page < maxPages; page++) {
    report.requests++;
    let res: Response;
    try {
      res = await fetch(url, { signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000), headers: { accept: 'application/json' } });
    } catch (e) {
      throw new MassiveRestError(`GET ${redact(url)} failed: ${(e as Error).message}`);
    }
    const text = await res.text();
    let body: AggsPage;
    try {
      body = JSON.parse(text) as AggsPage;
    } catch {
      throw new MassiveRestError(`GET ${redact(url)}: HTTP ${res.status}, response is not JSON`, res.status);
    }
    if (!res.ok) {
      const msg = typeof body.error === 'string' ? body.error : typeof body.message === 'string' ? body.message : text.slice(0, 200);
      throw new MassiveRestError(`GET ${redact(url)}: HTTP ${res.status}: ${msg}`, res.status);
    }
    const status = typeof body.status === 'string' ? body.status : '(none)';
    report.status.push(status);
    if (status !== 'OK' && status !== 'DELAYED') {
      throw new MassiveRestError(`GET ${redact(url)}: status ${status}${typeof body.error === 'string' ? `: ${body.error}` : ''}`, res.status);
    }
    if (typeof body.adjusted === 'boolean') report.adjusted = body.adjusted;
    const results = body.results === undefined ? [] : body.results;
    if (!Array.isArray(results)) throw new MassiveRestError(`GET ${redact(url)}: 'results' is not an array`);
    for (const r of results as Array<Record<string, unknown>>) {
      report.results++;
      const reason = validateBar(r);
      if (reason) {
        report.rejected++;
        if (report.rejectedSample.length < 20) report.rejectedSample.push(reason);
        continue;
      }
      const bar: DailyBar = {
        date: exchangeDate(r.t as number),
        open: r.o as number,
        high: r.h as number,
        low: r.l as number,
        close: r.c as number,
        volume: typeof r.v === 'number' ? r.v : null,
      };
      if (byDate.has(bar.date)) {
        report.duplicates++;
        continue;
      }
      byDate.set(bar.date, bar);
    }
    if (typeof body.next_url !== 'string' || body.next_url === '') break;
    // next_url carries the cursor; keep our own origin (a configured staging/test server) and our key.
    const next = new URL(body.next_url);
    url = withKey(new URL(next.pathname + next.search, base), opts.apiKey);
  }
  const bars = [...byDate.values()].sort((a, b) => (a.date < b.date ? -1 : 1));
  report.accepted = bars.length;
  log.debug({ ticker, from, to, bars: bars.length, requests: report.requests }, 'fetched daily aggregates');
  return { bars, report };
}

function validateBar(r: Record<string, unknown>): string | null {
  if (r === null || typeof r !== 'object') return 'result is not an object';
  const t = r.t;
  if (typeof t !== 'number' || !Number.isFinite(t) || t <= 0) return `bad timestamp t=${String(t)}`;
  for (const k of ['o', 'h', 'l', 'c'] as const) {
    const v = r[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) return `${new Date(t).toISOString().slice(0, 10)}: bad ${k}=${String(v)}`;
  }
  return null;
}
