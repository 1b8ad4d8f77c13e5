// REST client against a local HTTP server serving the official client's fixtures (copied in test/fixtures/massive).
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MassiveRest, RestError, universeFromContracts } from '../../src/feed/rest.js';
import { repoRoot } from '../support/cli.js';

const fx = (name: string) => readFileSync(join(repoRoot, 'test/fixtures/massive', name), 'utf8');

let server: Server;
let base: string;
const hits: Array<{ path: string; auth?: string }> = [];
let flaky429 = 0;
let flaky503 = 0;

function handler(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://x');
  hits.push({ path: url.pathname + url.search, auth: req.headers.authorization });
  const json = (status: number, body: string, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(body);
  };
  if (url.pathname === '/v3/snapshot/options/AAPL') {
    // Three pages: the fixture's contract under three tickers; next_url names the public host like the real API.
    const page = Number(url.searchParams.get('cursor') ?? 0);
    const base = JSON.parse(fx('v3_snapshot_options_AAPL.json')) as { results: Array<{ details: { ticker: string; strike_price: number } }>; next_url?: string };
    const r = base.results[0];
    r.details.strike_price = 150 + page * 5;
    r.details.ticker = `O:AAPL230616C00${150 + page * 5}000`;
    if (page < 2) base.next_url = `https://api.massive.com/v3/snapshot/options/AAPL?cursor=${page + 1}&limit=250`;
    if (page === 1 && flaky429-- > 0) return json(429, '{"status":"ERROR","error":"too many requests"}', { 'retry-after': '0' });
    return json(200, JSON.stringify(base));
  }
  if (url.pathname === '/v3/reference/options/contracts/O:EVRI240119C00002500') return json(200, fx('v3_reference_options_contract_OEVRI240119C00002500.json'));
  if (url.pathname === '/v3/reference/options/contracts') {
    const body = JSON.parse(fx('v3_reference_options_contracts.json')) as { next_url?: string };
    if (url.searchParams.get('cursor')) delete body.next_url;
    return json(200, JSON.stringify(body));
  }
  if (url.pathname === '/v2/aggs/ticker/AAPL/range/1/day/2005-04-01/2005-04-04') {
    if (flaky503-- > 0) return json(503, 'upstream unavailable');
    return json(200, fx('v2_aggs_AAPL_1day_2005-04-01_2005-04-04.json'));
  }
  if (url.pathname === '/v1/marketstatus/now') return json(200, fx('v1_marketstatus_now.json'));
  if (url.pathname === '/v2/aggs/ticker/DOWN/range/1/day/2005-04-01/2005-04-04') return json(500, 'boom');
  return json(404, '{"status":"NOT_FOUND","message":"Not found"}');
}

beforeAll(async () => {
  server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const client = (o: Partial<ConstructorParameters<typeof MassiveRest>[0]> = {}) => new MassiveRest({ baseUrl: base, apiKey: 'sekret', backoffMs: 5, maxBackoffMs: 20, ...o });

describe('Massive REST client', () => {
  it('pages the option chain snapshot by next_url (re-based on our origin), 250 per page, ns → ms', async () => {
    hits.length = 0;
    flaky429 = 1;
    const rest = client();
    const snap = await rest.optionChainSnapshot('AAPL');
    expect(snap.pages).toBe(3);
    expect(snap.contracts.map((c) => c.strike)).toEqual([150, 155, 160]);
    const c = snap.contracts[0];
    // Fixture: last_quote.last_updated 1651254260800059648 ns, sip_timestamp 1678718527714665700 ns.
    expect(c.quoteTimeMs).toBeCloseTo(1651254260800.06, 2);
    expect(c.tradeTimeMs).toBeCloseTo(1678718527714.67, 2);
    expect([c.bid, c.ask, c.bidSize, c.askSize, c.last, c.volume, c.openInterest, c.right, c.expiration]).toEqual([28.9, 29.25, 294, 209, 29.25, 8, 8133, 'C', '2023-06-16']);
    expect(snap.underlyingPrice).toBe(159.9606);
    // every request stayed on our server, asked for 250 per page, carried the key as a header (never in the URL)
    expect(hits.every((h) => h.auth === 'Bearer sekret' && !h.path.includes('sekret'))).toBe(true);
    expect(hits[0].path).toContain('limit=250');
    expect(rest.retries).toBe(1); // the 429 was retried
    const u = universeFromContracts('AAPL', snap.contracts);
    expect(u.symbol).toEqual(['AAPL  230616C00150000', 'AAPL  230616C00155000', 'AAPL  230616C00160000']);
    expect(u.expiries[0]).toMatchObject({ date: '2023-06-16', settlement: 'PM', exercise: 'american' });
  });

  it('reads contract reference, contract listing and daily aggregates', async () => {
    const rest = client();
    const c = await rest.optionContract('O:EVRI240119C00002500');
    expect(c).toMatchObject({ underlying_ticker: 'EVRI', strike_price: 2.5, expiration_date: '2024-01-19', contract_type: 'call' });
    const list = await rest.optionContracts({ underlying_ticker: 'A' });
    expect(list.length).toBe(20); // two pages of the 10-contract fixture
    flaky503 = 2;
    const bars = await rest.dailyAggregates('AAPL', '2005-04-01', '2005-04-04');
    expect(bars.map((b) => b.t)).toEqual([1112331600000, 1112587200000]); // aggregate bar times are ms
    expect(bars[0].c).toBe(1.4604);
    expect(rest.retries).toBe(2);
    expect(await rest.serverTimeMs()).toBe(Date.parse('2022-04-28T16:48:08-04:00'));
  });

  it('gives up after maxRetries on 5xx, and fails at once with the API message on 4xx', async () => {
    const rest = client({ maxRetries: 2 });
    await expect(rest.dailyAggregates('DOWN', '2005-04-01', '2005-04-04')).rejects.toThrow(/failed after 3 attempts: HTTP 500/);
    const before = rest.requests;
    const err = await rest.optionContract('O:NOPE').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RestError);
    expect((err as RestError).status).toBe(404);
    expect((err as Error).message).toMatch(/HTTP 404: Not found/);
    expect(rest.requests - before).toBe(1);
  });
});
