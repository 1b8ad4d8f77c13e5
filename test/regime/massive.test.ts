// The Massive daily-aggregates adapter against a local HTTP server serving responses shaped like the official
// client's fixture (../shared/data/protocol/massive-client-python-mocks/v2_aggs_AAPL_1day_2005-04-01_2005-04-04.json)
// and the REST spec (massive-rest-spec-options-subset.json): {ticker, queryCount, resultsCount, adjusted,
// results: [{v, vw, o, c, h, l, t, n}], status, request_id, count, next_url}.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createServer, type Server } from 'node:http';
import { readFileSync, mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { fetchDailyAggs, exchangeDate, MassiveRestError } from '../../src/regime/massive.js';
import { updateFromMassive } from '../../src/regime/update.js';
import { loadHistory } from '../../src/regime/history.js';
import { parseDailyCsv } from '../../src/regime/csv.js';
import { isTradingDay } from '../../src/market/calendar.js';
import { sharedRoot, repoRoot } from '../support/cli.js';

const KEY = 'test-key';
const fixture = readFileSync(join(sharedRoot, 'data/protocol/massive-client-python-mocks/v2_aggs_AAPL_1day_2005-04-01_2005-04-04.json'), 'utf8');
const shippedSpy = parseDailyCsv(readFileSync(join(repoRoot, 'data/history/SPY_daily_yahoo.csv'), 'utf8'), 'SPY', 'spy', 'adj_close').series;
const shippedVix = parseDailyCsv(readFileSync(join(repoRoot, 'data/history/VIX_History.csv'), 'utf8'), 'VIX', 'vix', 'close').series;

/** Midnight America/New_York of a date, in ms (what Massive puts in `t` for daily bars). */
function nyMidnight(date: string): number {
  const utc = Date.UTC(+date.slice(0, 4), +date.slice(5, 7) - 1, +date.slice(8, 10));
  for (const h of [4, 5]) if (exchangeDate(utc + h * 3_600_000) === date && exchangeDate(utc + h * 3_600_000 - 1) !== date) return utc + h * 3_600_000;
  throw new Error('no midnight');
}

/** SPY closes in Massive's own units (1 % above Yahoo's adjusted close), a walk after the shipped end. */
function spyClose(date: string, split: boolean): number {
  const i = shippedSpy.dates.indexOf(date);
  let c = i >= 0 ? shippedSpy.close[i] * 1.01 : 0;
  if (i < 0) {
    const dn = Date.parse(date) / 86_400_000;
    c = 660 * 1.01 * (1 + 0.02 * Math.sin(dn));
  }
  return split && date >= '2026-04-01' ? c / 2 : c;
}

function vixClose(date: string): number {
  const i = shippedVix.dates.indexOf(date);
  return i >= 0 ? shippedVix.close[i] : 20 + 3 * Math.cos(Date.parse(date) / 86_400_000);
}

let server: Server;
let base = '';
const requests: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push(url.pathname + url.search);
    const send = (code: number, body: unknown): void => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    };
    if (url.searchParams.get('apiKey') !== KEY) return send(401, { status: 'ERROR', request_id: 'r0', error: 'Unknown API Key' });
    const m = /^\/v2\/aggs\/ticker\/([^/]+)\/range\/1\/day\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    if (!m) return send(404, { status: 'NOT_FOUND', request_id: 'r1' });
    const ticker = decodeURIComponent(m[1]);
    if (ticker === 'AAPL') return send(200, fixture);
    const from = /^\d+$/.test(m[2]) ? exchangeDate(+m[2]) : m[2];
    const to = m[3];
    const raw = url.searchParams.get('adjusted') === 'false';
    const results: Array<Record<string, unknown>> = [];
    for (let t = Date.parse(from); t <= Date.parse(to); t += 86_400_000) {
      const date = new Date(t).toISOString().slice(0, 10);
      const holidayVix = ticker === 'I:VIX' && date === '2026-04-03'; // Good Friday: Cboe prints VIX anyway
      if (!isTradingDay(date) && !holidayVix) continue;
      if (ticker === 'SPY' && date === '2026-03-31') continue; // a missing day
      const c = ticker === 'SPY' ? spyClose(date, raw) : vixClose(date);
      const bar: Record<string, unknown> = { o: c * 0.998, h: c * 1.004, l: c * 0.995, c, t: nyMidnight(date) };
      if (ticker === 'SPY') Object.assign(bar, { v: 8e7, vw: c, n: 500000 });
      if (ticker === 'SPY' && date === '2026-04-07') bar.c = null; // a corrupt bar
      results.push(bar);
    }
    // 20 bars per page; the cursor is an offset, next_url on the production host as Massive sends it
    const offset = Number(url.searchParams.get('cursor') ?? 0);
    const page = results.slice(offset, offset + 20);
    const body: Record<string, unknown> = { ticker, queryCount: page.length, resultsCount: page.length, status: 'OK', request_id: `r${requests.length}`, count: page.length, results: page };
    if (ticker === 'SPY') body.adjusted = !raw;
    if (offset + 20 < results.length) body.next_url = `https://api.massive.com${url.pathname}?cursor=${offset + 20}${raw ? '&adjusted=false' : ''}`;
    send(200, body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
});

describe('Massive daily aggregates', () => {
  it('parses the official fixture: exchange dates from ms timestamps, closes as given', async () => {
    const { bars, report } = await fetchDailyAggs('AAPL', '2005-04-01', '2005-04-04', { baseUrl: base, apiKey: KEY });
    expect(bars.map((b) => [b.date, b.close])).toEqual([
      ['2005-04-01', 1.4604],
      ['2005-04-04', 1.4675],
    ]);
    expect(report).toMatchObject({ requests: 1, results: 2, accepted: 2, rejected: 0, adjusted: true });
  });

  it('follows next_url on our own host, keeps the key, counts corrupt bars', async () => {
    requests.length = 0;
    const { bars, report } = await fetchDailyAggs('SPY', '2026-03-02', '2026-05-29', { baseUrl: base, apiKey: KEY });
    expect(report.requests).toBe(4);
    expect(report.rejected).toBe(1);
    expect(report.rejectedSample[0]).toMatch(/bad c=null/);
    expect(bars.find((b) => b.date === '2026-04-07')).toBeUndefined();
    expect(requests.every((r) => r.includes(`apiKey=${KEY}`))).toBe(true);
    expect(bars.map((b) => b.date)).toEqual([...bars.map((b) => b.date)].sort());
  });

  it('reports HTTP errors without the key', async () => {
    const err = await fetchDailyAggs('SPY', '2026-03-02', '2026-03-05', { baseUrl: base, apiKey: 'wrong' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MassiveRestError);
    expect((err as Error).message).toMatch(/HTTP 401: Unknown API Key/);
    expect((err as Error).message).not.toContain('wrong');
  });
});

describe('regime update from Massive', () => {
  it('extends SPY and VIX, chaining SPY returns, and reports missing days and calendar mismatches', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'regime-upd-'));
    try {
      const rep = await updateFromMassive({ dataDir, baseUrl: base, apiKey: KEY, to: '2026-08-14' });
      expect(rep.from).toBe('2026-03-09');
      const [spy, vix] = rep.series;
      expect(spy.fetched?.rejected).toBe(1);
      expect(spy.calendar.missingTradingDays.sample).toEqual(expect.arrayContaining(['2026-03-31', '2026-04-07']));
      expect(vix.calendar.nonTradingDays.sample).toEqual(['2026-04-03']);
      expect(rep.calendar?.vixOnly.inside).toEqual(expect.arrayContaining(['2026-03-31', '2026-04-03', '2026-04-07']));
      expect(spy.merge).toMatchObject({ mode: 'chain', anchor: '2026-03-19' });
      expect(vix.merge.appended).toBe(10); // 2026-08-03 … 2026-08-14
      expect(rep.lastCommon).toBe('2026-08-14');
      const { history } = await loadHistory({ dataDir });
      const i = history.dates.indexOf('2026-03-20');
      // the return across the join is the source's return, not the 1 % unit difference
      expect(history.spy[i] / history.spy[i - 1]).toBeCloseTo(spyClose('2026-03-20', false) / spyClose('2026-03-19', false), 12);
      expect(history.dates).not.toContain('2026-03-31');
      // a second update is idempotent on the stored series
      const again = await updateFromMassive({ dataDir, baseUrl: base, apiKey: KEY, to: '2026-08-14' });
      expect(again.series[0].merge.appended).toBe(0);
      expect((await loadHistory({ dataDir })).history.dates.length).toBe(history.dates.length);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('detects and adjusts a split in raw (unadjusted) prices', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'regime-upd-'));
    try {
      const rep = await updateFromMassive({ dataDir, baseUrl: base, apiKey: KEY, to: '2026-04-30', adjusted: false });
      const spy = rep.series[0];
      expect(spy.splits.map((s) => [s.date, s.ratio])).toEqual([['2026-04-01', 2]]);
      expect(spy.splitAdjusted).toBe(true);
      const { history } = await loadHistory({ dataDir });
      const i = history.dates.indexOf('2026-04-01');
      expect(Math.abs(Math.log(history.spy[i] / history.spy[i - 1]))).toBeLessThan(0.05);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('a failed update writes nothing', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'regime-upd-'));
    try {
      await expect(updateFromMassive({ dataDir, baseUrl: base, apiKey: 'nope', to: '2026-04-30' })).rejects.toThrow(/401/);
      expect(existsSync(join(dataDir, 'history'))).toBe(false);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
