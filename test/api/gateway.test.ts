// REST routes, validation, auth and CORS of the gateway over a controllable state.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildGateway } from '../../src/api/server.js';
import { FakeState } from './fake-state.js';

const TOKEN = 'test-token-123';
let app: FastifyInstance;
let state: FakeState;

beforeAll(async () => {
  state = new FakeState();
  ({ app } = await buildGateway({ state, token: TOKEN, webRoot: false }));
});
afterAll(async () => app.close());

// Response bodies are JSON of many shapes; the tests index into them freely.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;
const get = async (url: string) => {
  const r = await app.inject({ method: 'GET', url });
  return { code: r.statusCode, body: r.json() as Json, headers: r.headers };
};

describe('state routes', () => {
  it('serve every section in the envelope with the contract fields', async () => {
    const surface = await get('/api/v1/surface');
    expect(surface.code).toBe(200);
    expect(surface.body.status).toBe('ok');
    expect(Object.keys(surface.body.data)).toEqual(expect.arrayContaining(['underlying', 'as_of', 'spot', 'slices', 'calendar_free']));
    expect(Object.keys(surface.body.data.slices[0])).toEqual(
      expect.arrayContaining(['expiry', 'settlement', 't', 'forward', 'discount', 'quotes', 'svi', 'rmse_vol', 'in_band', 'max_abs_z', 'min_g', 'butterfly_free', 'atm_vol']),
    );
    const gex = await get('/api/v1/gex');
    expect(Object.keys(gex.body.data)).toEqual(
      expect.arrayContaining(['underlying', 'as_of', 'spot', 'model', 'total_gex', 'flip', 'call_wall', 'put_wall', 'abs_gamma_strike', 'by_expiry', 'by_strike', 'profile']),
    );
    const summary = await get('/api/v1/gex/summary');
    expect(summary.body.data.by_strike).toBeUndefined();
    expect(summary.body.data.total_gex).toBe(gex.body.data.total_gex);
    for (const url of ['/api/v1/chain', '/api/v1/surface/params', '/api/v1/surface/quality', '/api/v1/surface/quotes', '/api/v1/gex/profile', '/api/v1/regime', '/api/v1/regime/history', '/api/v1/health', '/api/v1/admin/options']) {
      const r = await get(url);
      expect(r.code, url).toBe(200);
    }
  });

  it('samples the surface query on the requested grid (t uniform in √t)', async () => {
    const r = await get('/api/v1/surface/grid?nk=5&nt=3&kmin=-0.2&kmax=0.2&tmin=0.04&tmax=1');
    expect(r.code).toBe(200);
    const { k, t, iv } = r.body.data;
    expect(k).toEqual([-0.2, -0.1, 0, 0.1, 0.2].map((x) => expect.closeTo(x, 12)));
    expect(t[0]).toBeCloseTo(0.04, 12);
    expect(t[1]).toBeCloseTo(0.36, 12); // (0.2 + 0.4)²
    expect(t[2]).toBeCloseTo(1, 12);
    const expected = state.surface().data!.volAt(0.1, 0.36);
    expect(iv[1][3]).toBeCloseTo(expected, 12);
  });

  it('pages the IV rows and serialises NaN as null', async () => {
    const r = await get('/api/v1/iv?expiry=0&offset=1&limit=2');
    expect(r.body.data.total).toBe(4);
    expect(r.body.data.rows).toHaveLength(2);
    expect(r.body.data.rows[0].ask_iv).toBeNull();
    expect((await get('/api/v1/iv?expiry=9')).code).toBe(404);
  });

  it('rejects malformed queries with 400 and a message', async () => {
    for (const url of ['/api/v1/iv?limit=0', '/api/v1/iv?limit=abc', '/api/v1/surface/grid?nk=1', '/api/v1/surface/grid?nk=100000', '/api/v1/surface/grid?kmin=0.2&kmax=-0.2', '/api/v1/gex?foo=1', '/api/v1/surface/quotes?expiry=soon', '/api/v1/gex/strikes?window=2', '/api/v1/surface/grid?nk=1e309', '/api/v1/iv?limit=1e309', '/api/v1/gex/strikes?min=-1e400']) {
      const r = await get(url);
      expect(r.code, url).toBe(400);
      expect(typeof r.body.error).toBe('string');
    }
    expect((await get('/api/v1/nothing')).code).toBe(404);
  });
});

describe('state-changing routes', () => {
  it('refuse requests without the right bearer token', async () => {
    const before = state.reloads.length;
    for (const headers of [{}, { authorization: 'Bearer wrong' }, { authorization: TOKEN }, { authorization: `Basic ${TOKEN}` }]) {
      const r = await app.inject({ method: 'POST', url: '/api/v1/admin/reload', headers, payload: { gex_model: 'all-short' } });
      expect(r.statusCode).toBe(401);
    }
    expect(state.reloads.length).toBe(before);
  });

  it('accept the token, validate the body and change the state', async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    const ok = await app.inject({ method: 'POST', url: '/api/v1/admin/reload', headers: auth, payload: { gex_model: 'all-short' } });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().gex_model).toBe('all-short');
    expect((await get('/api/v1/gex')).body.data.model).toBe('all-short');
    const bad = await app.inject({ method: 'POST', url: '/api/v1/admin/reload', headers: auth, payload: { gex_model: 'nonsense' } });
    expect(bad.statusCode).toBe(400);
    const traversal = await app.inject({ method: 'POST', url: '/api/v1/admin/reload', headers: auth, payload: { chain: '../../etc/passwd' } });
    expect(traversal.statusCode).toBe(400);
    const extra = await app.inject({ method: 'POST', url: '/api/v1/admin/reload', headers: auth, payload: { chain: 'fake.csv', rm: true } });
    expect(extra.statusCode).toBe(400);
    const empty = await app.inject({ method: 'POST', url: '/api/v1/admin/reload', headers: auth });
    expect(empty.statusCode).toBe(200);
  });

  it('are disabled when no token is configured', async () => {
    const { app: open } = await buildGateway({ state: new FakeState(), webRoot: false });
    const r = await open.inject({ method: 'POST', url: '/api/v1/admin/reload', headers: { authorization: 'Bearer anything' }, payload: {} });
    expect(r.statusCode).toBe(403);
    expect(r.json().error).toMatch(/MANIFOLD_API_TOKEN/);
    await open.close();
  });
});

describe('CORS', () => {
  it('is closed by default', async () => {
    const r = await app.inject({ method: 'OPTIONS', url: '/api/v1/gex', headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' } });
    expect(r.headers['access-control-allow-origin']).toBeUndefined();
    const g = await app.inject({ method: 'GET', url: '/api/v1/gex', headers: { origin: 'https://evil.example' } });
    expect(g.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('allows exactly the configured origins', async () => {
    const { app: c } = await buildGateway({ state: new FakeState(), webRoot: false, corsOrigins: ['https://desk.example'] });
    const ok = await c.inject({ method: 'GET', url: '/api/v1/gex', headers: { origin: 'https://desk.example' } });
    expect(ok.headers['access-control-allow-origin']).toBe('https://desk.example');
    const no = await c.inject({ method: 'GET', url: '/api/v1/gex', headers: { origin: 'https://evil.example' } });
    expect(no.headers['access-control-allow-origin']).toBeUndefined();
    await c.close();
  });
});

describe('dashboard route', () => {
  it('explains how to build the dashboard when web/dist is absent', async () => {
    const r = await app.inject({ method: 'GET', url: '/' });
    expect(r.statusCode).toBe(404);
    expect(r.body).toMatch(/build:web/);
  });
});
