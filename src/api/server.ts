/**
 * The Fastify gateway: REST over an `AnalyticsState`, WebSocket streams of its updates, the OpenAPI document at
 * /docs, and the built dashboard (web/dist) at /.
 *
 * Every route validates its input with a JSON schema (Fastify's Ajv) and answers bad input with a 4xx and a one-line
 * message; state-changing routes need `Authorization: Bearer <api.token>` and are refused outright when no token is
 * configured. CORS is closed unless origins are configured. Responses are serialised with `jsonReplacer` (NaN → null,
 * typed arrays → arrays) so the surface and GEX bodies are byte-for-byte the CLI's `--json` contracts.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { jsonReplacer } from '../cli/output.js';
import { VERSION } from '../version.js';
import { packageRoot } from './chain-provider.js';
import { ReloadError, TOPICS, type AnalyticsState, type IvRow, type Section } from './state.js';
import { StreamHub, parseIntervalMs, parseTopics, type StreamOptions } from './stream.js';
import * as S from './schemas.js';

export interface GatewayOptions {
  state: AnalyticsState;
  /** Bearer token for state-changing routes; undefined disables them (403). */
  token?: string;
  /** Allowed CORS origins; empty = no CORS headers. */
  corsOrigins?: string[];
  /** Folder of the built dashboard; default `<package>/web/dist`. `false` serves no dashboard. */
  webRoot?: string | false;
  stream?: StreamOptions;
  /** Fastify logger (default off: the gateway logs through pino itself where it matters). */
  logger?: boolean;
}

const API = '/api/v1';
const MAX_BODY = 16 * 1024;

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

function sendJson(reply: FastifyReply, body: unknown, code = 200): FastifyReply {
  return reply.code(code).type('application/json; charset=utf-8').send(JSON.stringify(body, jsonReplacer));
}

function envelope<T, D>(s: Section<T>, pick: (d: T) => D): Record<string, unknown> {
  const out: Record<string, unknown> = { status: s.status, updated_at: s.updatedAt };
  if (s.reason !== undefined) out.reason = s.reason;
  out.data = s.data === null ? null : pick(s.data);
  return out;
}

export interface RouteRecord {
  method: string;
  url: string;
  /** Excluded from the OpenAPI document on purpose (static files, the docs UI itself). */
  hidden: boolean;
}

export async function buildGateway(opts: GatewayOptions): Promise<{ app: FastifyInstance; hub: StreamHub; routes: RouteRecord[] }> {
  const { state } = opts;
  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: MAX_BODY,
    ajv: { customOptions: { coerceTypes: true, removeAdditional: false, allErrors: false } },
  });
  // Every route as registered (plugins included), so that tests can check the OpenAPI document covers them all.
  const routes: RouteRecord[] = [];
  app.addHook('onRoute', (r) => {
    const methods = Array.isArray(r.method) ? r.method : [r.method];
    const hidden = !!(r.schema as { hide?: boolean } | undefined)?.hide;
    for (const m of methods) routes.push({ method: String(m), url: r.url, hidden });
  });
  const hub = new StreamHub(state, opts.stream);
  const tokenDigest = opts.token ? digest(opts.token) : null;

  // Errors: client errors keep their status and a one-line message; anything else is a bug and is logged.
  app.setErrorHandler((err: { statusCode?: number; message: string; validation?: unknown; code?: string }, req, reply) => {
    const code = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : err.validation ? 400 : 500;
    if (code >= 500) req.log.error({ err }, 'request failed');
    return sendJson(reply, { error: code >= 500 ? 'internal error' : err.message, code: err.code ?? null }, code);
  });
  app.setNotFoundHandler((req, reply) => sendJson(reply, { error: `no route ${req.method} ${req.url.split('?')[0].slice(0, 200)}` }, 404));

  await app.register(import('@fastify/cors'), {
    origin: opts.corsOrigins && opts.corsOrigins.length > 0 ? opts.corsOrigins : false,
    methods: ['GET', 'POST'],
    allowedHeaders: ['Authorization', 'Content-Type'],
  });

  await app.register(import('@fastify/swagger'), {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Manifold gateway',
        version: VERSION,
        description:
          'Latest option analytics state (chain, IVs, SVI surface, GEX, regime, health) and WebSocket streams of its ' +
          'updates. Every state body is an envelope {status, updated_at, reason?, data}; `data` of /surface and /gex ' +
          'is exactly the JSON of `manifold surface --json` / `manifold gex --json`.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      tags: [
        { name: 'state', description: 'read the latest analytics state' },
        { name: 'stream', description: 'WebSocket updates' },
        { name: 'admin', description: 'state-changing routes (bearer token)' },
      ],
    },
    // @fastify/websocket hides WebSocket routes from the document; the stream is part of the API, so it is added back.
    transformObject: (doc) => {
      const o = (doc as { openapiObject?: { paths?: Record<string, unknown> } }).openapiObject;
      if (o) o.paths = { ...o.paths, [`${API}/stream`]: S.streamPathItem };
      return (o ?? (doc as { swaggerObject: unknown }).swaggerObject) as never;
    },
  });
  await app.register(import('@fastify/swagger-ui'), { routePrefix: '/docs' });
  await app.register(import('@fastify/websocket'), {
    options: { maxPayload: 4096, perMessageDeflate: false },
  });

  // Ajv's type coercion turns "1e309" into Infinity and lets it through `integer` and `maximum`; no route takes a
  // non-finite number, so every coerced query value is checked once more here.
  app.addHook('preHandler', async (req, reply) => {
    const q = req.query as Record<string, unknown> | undefined;
    if (!q || typeof q !== 'object') return;
    for (const [key, v] of Object.entries(q)) {
      if (typeof v === 'number' && !Number.isFinite(v)) return sendJson(reply, { error: `querystring/${key} must be a finite number` }, 400);
    }
  });

  const requireToken = async (req: FastifyRequest, reply: FastifyReply) => {
    if (!tokenDigest) {
      return sendJson(reply, { error: 'state-changing routes are disabled: set api.token (MANIFOLD_API_TOKEN) to enable them' }, 403);
    }
    const h = req.headers.authorization;
    const m = typeof h === 'string' ? /^Bearer (.+)$/.exec(h) : null;
    if (!m || !timingSafeEqual(digest(m[1]), tokenDigest)) {
      return sendJson(reply.header('WWW-Authenticate', 'Bearer'), { error: 'missing or invalid bearer token' }, 401);
    }
  };

  await app.register(
    async (api) => {
      api.get('/chain', { schema: S.chainRoute }, (_req, reply) => sendJson(reply, envelope(state.chain(), (d) => d)));

      api.get('/iv', { schema: S.ivRoute }, (req, reply) => {
        const q = req.query as { expiry?: number; offset: number; limit: number };
        const s = state.iv();
        if (!s.data) return sendJson(reply, envelope(s, () => null));
        const table = s.data;
        if (q.expiry !== undefined && !table.expiries.some((e) => e.index === q.expiry)) {
          return sendJson(reply, { error: `no expiry with index ${q.expiry} (0..${table.expiries.length - 1})` }, 404);
        }
        const rows = table.rowsOf(q.expiry);
        const end = Math.min(rows.length, q.offset + q.limit);
        const page: IvRow[] = [];
        for (let j = q.offset; j < end; j++) page.push(table.row(rows[j]));
        return sendJson(
          reply,
          envelope(s, (t) => ({
            expiries: q.expiry === undefined ? t.expiries : t.expiries.filter((e) => e.index === q.expiry),
            status_codes: t.status_codes,
            total: rows.length,
            offset: q.offset,
            limit: q.limit,
            rows: page,
          })),
        );
      });

      api.get('/surface', { schema: S.surfaceRoute }, (_req, reply) => sendJson(reply, envelope(state.surface(), (d) => d.json)));
      api.get('/surface/params', { schema: S.surfaceParamsRoute }, (_req, reply) =>
        sendJson(
          reply,
          envelope(state.surface(), (d) => ({
            underlying: d.json.underlying,
            as_of: d.json.as_of,
            slices: d.json.slices.map((x) => ({ expiry: x.expiry, settlement: x.settlement, t: x.t, forward: x.forward, svi: x.svi })),
          })),
        ),
      );
      api.get('/surface/quality', { schema: S.surfaceQualityRoute }, (_req, reply) =>
        sendJson(
          reply,
          envelope(state.surface(), (d) => ({
            calendar_free: d.json.calendar_free,
            slices: d.json.slices.map((x) => ({
              expiry: x.expiry,
              settlement: x.settlement,
              quotes: x.quotes,
              rmse_vol: x.rmse_vol,
              in_band: x.in_band,
              max_abs_z: x.max_abs_z,
              min_g: x.min_g,
              butterfly_free: x.butterfly_free,
            })),
          })),
        ),
      );
      api.get('/surface/grid', { schema: S.surfaceGridRoute }, (req, reply) => {
        const q = req.query as { nk: number; nt: number; kmin: number; kmax: number; tmin?: number; tmax?: number };
        if (!(q.kmin < q.kmax)) return sendJson(reply, { error: 'kmin must be below kmax' }, 400);
        const s = state.surface();
        if (!s.data) return sendJson(reply, envelope(s, () => null));
        const ts = s.data.json.slices.map((x) => x.t).filter((t) => t > 0);
        const tmin = q.tmin ?? (ts.length ? Math.min(...ts) : 0.01);
        const tmax = q.tmax ?? (ts.length ? Math.max(...ts) : 1);
        if (!(tmin > 0 && tmin < tmax)) return sendJson(reply, { error: `need 0 < tmin < tmax, got tmin=${tmin} tmax=${tmax}` }, 400);
        return sendJson(
          reply,
          envelope(s, (d) => {
            const k = Array.from({ length: q.nk }, (_, i) => q.kmin + ((q.kmax - q.kmin) * i) / (q.nk - 1));
            // Uniform in √t: expiries crowd the short end (0DTE to 5 years on SPX), where the smile changes fastest.
            const r0 = Math.sqrt(tmin);
            const r1 = Math.sqrt(tmax);
            const t = Array.from({ length: q.nt }, (_, j) => (r0 + ((r1 - r0) * j) / (q.nt - 1)) ** 2);
            const iv = t.map((tj) => k.map((ki) => d.volAt(ki, tj)));
            return { model: d.gridModel, k, t, iv };
          }),
        );
      });
      api.get('/surface/quotes', { schema: S.surfaceQuotesRoute }, (req, reply) => {
        const q = req.query as { expiry?: string };
        const s = state.surface();
        if (s.data && q.expiry !== undefined && !s.data.quotes.some((x) => x.expiry === q.expiry)) {
          return sendJson(reply, { error: `no surface slice for expiry ${q.expiry}` }, 404);
        }
        return sendJson(reply, envelope(s, (d) => (q.expiry === undefined ? d.quotes : d.quotes.filter((x) => x.expiry === q.expiry))));
      });

      api.get('/gex', { schema: S.gexRoute }, (_req, reply) => sendJson(reply, envelope(state.gex(), (d) => d)));
      api.get('/gex/summary', { schema: S.gexSummaryRoute }, (_req, reply) =>
        sendJson(
          reply,
          envelope(state.gex(), (d) => {
            const { by_strike: _s, profile: _p, ...rest } = d;
            return rest;
          }),
        ),
      );
      api.get('/gex/strikes', { schema: S.gexStrikesRoute }, (req, reply) => {
        const q = req.query as { min?: number; max?: number; window?: number };
        return sendJson(
          reply,
          envelope(state.gex(), (d) => {
            const lo = q.min ?? (q.window !== undefined ? d.spot * (1 - q.window) : -Infinity);
            const hi = q.max ?? (q.window !== undefined ? d.spot * (1 + q.window) : Infinity);
            return { spot: d.spot, flip: d.flip, call_wall: d.call_wall, put_wall: d.put_wall, by_strike: d.by_strike.filter((x) => x.strike >= lo && x.strike <= hi) };
          }),
        );
      });
      api.get('/gex/profile', { schema: S.gexProfileRoute }, (_req, reply) =>
        sendJson(reply, envelope(state.gex(), (d) => ({ spot: d.spot, flip: d.flip, model: d.model, profile: d.profile }))),
      );

      api.get('/regime', { schema: S.regimeRoute }, (_req, reply) => sendJson(reply, envelope(state.regime(), (d) => d.now)));
      api.get('/regime/history', { schema: S.regimeHistoryRoute }, (req, reply) => {
        const q = req.query as { limit: number };
        return sendJson(reply, envelope(state.regime(), (d) => ({ labels: d.now.labels, history: d.history.slice(-q.limit) })));
      });

      api.get('/health', { schema: S.healthRoute }, (_req, reply) =>
        sendJson(reply, envelope(state.health(), (d) => ({ ...d, api: hub.getStats() }))),
      );

      api.get('/admin/options', { schema: S.adminOptionsRoute }, (_req, reply) =>
        sendJson(reply, { chains: state.chainFiles(), gex_models: state.gexModels() }),
      );
      api.post('/admin/reload', { schema: S.adminReloadRoute, onRequest: requireToken, bodyLimit: 4096 }, async (req, reply) => {
        const body = (req.body ?? {}) as { chain?: string; gex_model?: string };
        try {
          const r = await state.reload({ chain: body.chain, gexModel: body.gex_model });
          return sendJson(reply, { chain: r.chain, gex_model: r.gexModel, updated_at: r.updatedAt, sections: r.sections });
        } catch (e) {
          if (e instanceof ReloadError) return sendJson(reply, { error: e.message }, e.statusCode);
          throw e;
        }
      });

      api.get('/stream', { schema: S.streamRoute, websocket: true }, (socket, req) => {
        let topics;
        let intervalMs;
        try {
          const q = req.query as { topics?: string; interval_ms?: string | number };
          topics = parseTopics(q.topics);
          intervalMs = parseIntervalMs(q.interval_ms);
        } catch (e) {
          socket.close(4000, (e as Error).message.slice(0, 120));
          return;
        }
        hub.attach(socket, topics, intervalMs);
      });
    },
    { prefix: API },
  );

  const webRoot = opts.webRoot === undefined ? join(packageRoot(), 'web', 'dist') : opts.webRoot;
  if (webRoot && existsSync(join(webRoot, 'index.html'))) {
    await app.register(import('@fastify/static'), { root: webRoot, prefix: '/', schemaHide: true });
  } else {
    app.get('/', { schema: { hide: true } }, (_req, reply) =>
      reply
        .code(404)
        .type('text/plain; charset=utf-8')
        .send('The dashboard is not built. Run `npm run build:web`, then restart `manifold serve`. The API is at /api/v1, its documentation at /docs.\n'),
    );
  }

  app.addHook('onClose', async () => hub.close());
  return { app, hub, routes };
}

/** Topics accepted by the stream route, for the CLI's help text. */
export const STREAM_TOPICS = TOPICS;
