/**
 * JSON schemas of the gateway's routes: Fastify validates query strings and bodies with them, and @fastify/swagger
 * turns them into the OpenAPI document at /docs/json. Response schemas document the bodies (the handlers serialise
 * with `jsonReplacer` themselves, so NaN becomes null and nothing is silently dropped).
 */

const num = { type: 'number' } as const;
const numOrNull = { type: 'number', nullable: true } as const;
const str = { type: 'string' } as const;
const int = { type: 'integer' } as const;

const error = {
  type: 'object',
  properties: { error: str, code: { type: 'string', nullable: true } },
  required: ['error'],
} as const;

/** The envelope every state route answers with. */
function envelope(data: Record<string, unknown>, description: string) {
  return {
    200: {
      description,
      type: 'object',
      properties: {
        status: { type: 'string', enum: ['ok', 'pending', 'unavailable', 'error'] },
        updated_at: { type: 'integer', nullable: true, description: 'epoch ms of the data' },
        reason: { type: 'string', description: 'why the section is not ok' },
        data: { ...data, nullable: true },
      },
      required: ['status', 'updated_at', 'data'],
    },
    400: error,
    404: error,
  };
}

const noQuery = { type: 'object', additionalProperties: false, properties: {} } as const;

const sviParams = {
  type: 'object',
  properties: { a: num, b: num, rho: num, m: num, sigma: num },
  required: ['a', 'b', 'rho', 'm', 'sigma'],
} as const;

const surfaceSlice = {
  type: 'object',
  additionalProperties: true,
  properties: {
    expiry: str,
    settlement: str,
    t: numOrNull,
    // null when the expiry has no usable forward (the slice then has a status and no fit)
    forward: numOrNull,
    discount: numOrNull,
    quotes: int,
    svi: { ...sviParams, nullable: true },
    rmse_vol: numOrNull,
    in_band: numOrNull,
    max_abs_z: numOrNull,
    min_g: numOrNull,
    butterfly_free: { type: 'boolean', nullable: true },
    atm_vol: numOrNull,
  },
} as const;

const surfaceJson = {
  type: 'object',
  additionalProperties: true,
  description: 'exactly the JSON of `manifold surface --json`',
  properties: { underlying: str, as_of: str, spot: num, slices: { type: 'array', items: surfaceSlice }, calendar_free: { type: 'boolean' } },
} as const;

const byStrike = {
  type: 'array',
  items: { type: 'object', properties: { strike: num, call_gex: num, put_gex: num, net_gex: num } },
} as const;
const profile = { type: 'array', items: { type: 'object', properties: { spot: num, gex: num } } } as const;

const gexSummaryProps = {
  underlying: str,
  as_of: str,
  spot: num,
  model: str,
  total_gex: num,
  flip: numOrNull,
  call_wall: numOrNull,
  put_wall: numOrNull,
  abs_gamma_strike: numOrNull,
  by_expiry: { type: 'array', items: { type: 'object', properties: { expiry: str, gex: num } } },
} as const;

const gexJson = {
  type: 'object',
  additionalProperties: true,
  description: 'exactly the JSON of `manifold gex --json`',
  properties: { ...gexSummaryProps, by_strike: byStrike, profile },
} as const;

const tags = (t: string) => [t];

export const chainRoute = {
  tags: tags('state'),
  summary: 'Summary of the current option chain (underlying, spot, expiries, loader report)',
  querystring: noQuery,
  response: envelope(
    {
      type: 'object',
      additionalProperties: true,
      properties: {
        underlying: str,
        as_of: str,
        as_of_date: str,
        spot: num,
        multiplier: num,
        contracts: int,
        source: str,
        expiries: {
          type: 'array',
          items: {
            type: 'object',
            properties: { index: int, expiry: str, root: str, settlement: str, expiry_ms: num, contracts: int },
          },
        },
        report: { type: 'object', additionalProperties: true, nullable: true },
      },
    },
    'chain summary',
  ),
} as const;

export const ivRoute = {
  tags: tags('state'),
  summary: 'Implied volatilities and Greeks per contract, one page at a time',
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      expiry: { type: 'integer', minimum: 0, maximum: 65535, description: 'expiry index from /chain (all expiries if absent)' },
      offset: { type: 'integer', minimum: 0, maximum: 10_000_000, default: 0 },
      limit: { type: 'integer', minimum: 1, maximum: 5000, default: 500 },
    },
  },
  response: envelope(
    {
      type: 'object',
      additionalProperties: true,
      properties: {
        expiries: { type: 'array', items: { type: 'object', additionalProperties: true } },
        status_codes: { type: 'object', additionalProperties: { type: 'string' } },
        total: int,
        offset: int,
        limit: int,
        rows: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              symbol: str,
              expiry_index: int,
              expiry: str,
              right: { type: 'string', enum: ['C', 'P'] },
              strike: num,
              k: numOrNull,
              bid: numOrNull,
              ask: numOrNull,
              bid_iv: numOrNull,
              mid_iv: numOrNull,
              ask_iv: numOrNull,
              status: int,
              delta: numOrNull,
              gamma: numOrNull,
              vega: numOrNull,
            },
          },
        },
      },
    },
    'a page of IV rows',
  ),
} as const;

export const surfaceRoute = {
  tags: tags('state'),
  summary: 'The fitted SVI surface (contract of `manifold surface --json`)',
  querystring: noQuery,
  response: envelope(surfaceJson, 'surface'),
} as const;

export const surfaceParamsRoute = {
  tags: tags('state'),
  summary: 'Raw SVI parameters per slice',
  querystring: noQuery,
  response: envelope(
    {
      type: 'object',
      properties: {
        underlying: str,
        as_of: str,
        slices: { type: 'array', items: { type: 'object', properties: { expiry: str, settlement: str, t: num, forward: num, svi: sviParams } } },
      },
    },
    'SVI parameters',
  ),
} as const;

export const surfaceQualityRoute = {
  tags: tags('state'),
  summary: 'Fit quality and arbitrage checks per slice',
  querystring: noQuery,
  response: envelope(
    {
      type: 'object',
      properties: {
        calendar_free: { type: 'boolean' },
        slices: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              expiry: str,
              settlement: str,
              quotes: int,
              rmse_vol: numOrNull,
              in_band: numOrNull,
              max_abs_z: numOrNull,
              min_g: numOrNull,
              butterfly_free: { type: 'boolean' },
            },
          },
        },
      },
    },
    'quality',
  ),
} as const;

export const surfaceGridRoute = {
  tags: tags('state'),
  summary: 'Implied vol of the fitted surface on a (log-moneyness, time) grid; t is uniform in √t',
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      nk: { type: 'integer', minimum: 2, maximum: 201, default: 41 },
      nt: { type: 'integer', minimum: 2, maximum: 101, default: 30 },
      kmin: { type: 'number', minimum: -3, maximum: 3, default: -0.3 },
      kmax: { type: 'number', minimum: -3, maximum: 3, default: 0.15 },
      tmin: { type: 'number', minimum: 0.0001, maximum: 30, description: 'default: shortest slice' },
      tmax: { type: 'number', minimum: 0.0001, maximum: 30, description: 'default: longest slice' },
    },
  },
  response: envelope(
    {
      type: 'object',
      properties: {
        model: { type: 'string', description: 'what the grid samples, e.g. essvi (the calendar-free surface across slices)' },
        k: { type: 'array', items: num },
        t: { type: 'array', items: num },
        iv: { type: 'array', items: { type: 'array', items: numOrNull }, description: 'iv[j][i] at (k[i], t[j])' },
      },
    },
    'grid',
  ),
} as const;

export const surfaceQuotesRoute = {
  tags: tags('state'),
  summary: 'Market bid/mid/ask IVs of the out-of-the-money quotes per slice, in log-moneyness',
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: { expiry: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'only this expiry date' } },
  },
  response: envelope(
    {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          expiry: str,
          t: num,
          forward: num,
          k: { type: 'array', items: num },
          strike: { type: 'array', items: num },
          bid_iv: { type: 'array', items: numOrNull },
          ask_iv: { type: 'array', items: numOrNull },
          mid_iv: { type: 'array', items: numOrNull },
        },
      },
    },
    'quotes per slice',
  ),
} as const;

export const gexRoute = {
  tags: tags('state'),
  summary: 'Gamma exposure (contract of `manifold gex --json`)',
  querystring: noQuery,
  response: envelope(gexJson, 'GEX'),
} as const;

export const gexSummaryRoute = {
  tags: tags('state'),
  summary: 'GEX totals, flip, walls and by-expiry sums (no per-strike rows, no profile)',
  querystring: noQuery,
  response: envelope({ type: 'object', additionalProperties: true, properties: gexSummaryProps }, 'GEX summary'),
} as const;

export const gexStrikesRoute = {
  tags: tags('state'),
  summary: 'Call, put and net GEX by strike, optionally within [min, max] or spot·(1 ± window)',
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      min: { type: 'number', minimum: 0, maximum: 1e9 },
      max: { type: 'number', minimum: 0, maximum: 1e9 },
      window: { type: 'number', minimum: 0.0001, maximum: 1, description: 'fraction of spot, e.g. 0.1' },
    },
  },
  response: envelope(
    { type: 'object', properties: { spot: num, flip: numOrNull, call_wall: numOrNull, put_wall: numOrNull, by_strike: byStrike } },
    'GEX by strike',
  ),
} as const;

export const gexProfileRoute = {
  tags: tags('state'),
  summary: 'Total GEX as a function of a hypothetical spot (sticky strike)',
  querystring: noQuery,
  response: envelope({ type: 'object', properties: { spot: num, flip: numOrNull, model: str, profile } }, 'GEX profile'),
} as const;

const probs = { type: 'array', items: num } as const;

export const regimeRoute = {
  tags: tags('state'),
  summary: 'Current market regime and state probabilities',
  querystring: noQuery,
  response: envelope(
    {
      type: 'object',
      additionalProperties: true,
      properties: { as_of: str, state: int, label: str, labels: { type: 'array', items: str }, probabilities: probs },
    },
    'regime now',
  ),
} as const;

export const regimeHistoryRoute = {
  tags: tags('state'),
  summary: 'Regime history (most recent `limit` points)',
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: { limit: { type: 'integer', minimum: 1, maximum: 100_000, default: 1000 } },
  },
  response: envelope(
    {
      type: 'object',
      properties: {
        labels: { type: 'array', items: str },
        history: { type: 'array', items: { type: 'object', properties: { date: str, state: int, probabilities: probs } } },
      },
    },
    'regime history',
  ),
} as const;

export const healthRoute = {
  tags: tags('state'),
  summary: 'Feed, pipeline stages and WebSocket stream health',
  querystring: noQuery,
  response: envelope(
    {
      type: 'object',
      properties: {
        feed: {
          type: 'object',
          properties: {
            source: str,
            status: { type: 'string', enum: ['live', 'static', 'down', 'connecting'] },
            msg_rate: num,
            last_message_at: numOrNull,
            gaps: int,
            reconnects: int,
            bad_rows: int,
          },
        },
        pipeline: {
          type: 'array',
          items: {
            type: 'object',
            properties: { name: str, status: str, last_ms: numOrNull, rate: num, lag_ms: numOrNull, errors: int, last_error: str },
          },
        },
        api: {
          type: 'object',
          properties: {
            clients: int,
            connected_total: int,
            dropped_slow: int,
            messages_sent: int,
            bytes_sent: int,
            buffered_bytes: int,
          },
        },
      },
    },
    'health',
  ),
} as const;

export const adminOptionsRoute = {
  tags: tags('admin'),
  summary: 'Choices accepted by POST /admin/reload (chain files, GEX models)',
  querystring: noQuery,
  response: {
    200: {
      type: 'object',
      properties: { chains: { type: 'array', items: str }, gex_models: { type: 'array', items: str } },
    },
  },
} as const;

export const adminReloadRoute = {
  tags: tags('admin'),
  summary: 'Reload the chain (optionally another file from the chain folder) and/or switch the GEX positioning model',
  description: 'State-changing: needs `Authorization: Bearer <api.token>`; refused with 403 when no token is configured.',
  security: [{ bearer: [] }],
  body: {
    type: 'object',
    nullable: true,
    additionalProperties: false,
    properties: {
      chain: { type: 'string', minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9_.-]+$', description: 'file name from /admin/options' },
      gex_model: { type: 'string', minLength: 1, maxLength: 40, description: 'model from /admin/options' },
    },
  },
  response: {
    200: {
      type: 'object',
      properties: {
        chain: str,
        gex_model: str,
        updated_at: int,
        sections: { type: 'object', additionalProperties: { type: 'string' } },
      },
    },
    400: error,
    401: error,
    403: error,
    404: error,
    409: error,
    413: error,
    415: error,
  },
} as const;

export const streamRoute = {
  tags: tags('stream'),
  summary: 'WebSocket: latest-state updates for the chosen topics (conflated per client)',
  description:
    'Upgrade to a WebSocket. Each message is {topic, status, updated_at, reason?, data} with the same data as the REST ' +
    'route of the topic (surface: /surface, gex: /gex, regime: now + recent history, health: /health, chain: /chain ' +
    'without the loader report). The current state is sent on connect. Updates are conflated: a client that falls ' +
    'behind receives only the newest message of each topic. A client whose unread data stays above the buffer cap is ' +
    'closed with code 4008 and a reason. Send {"subscribe": [...]} or {"unsubscribe": [...]} to change topics, ' +
    '{"interval_ms": n} to change the interval.',
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      topics: {
        type: 'string',
        maxLength: 200,
        pattern: '^[a-z,]*$',
        description: 'comma-separated subset of chain,surface,gex,regime,health (default: all)',
      },
      interval_ms: {
        type: 'integer',
        minimum: 0,
        maximum: 60000,
        description: 'send each topic at most once per this many ms, its newest message (default 0: every update the socket can take)',
      },
    },
  },
  response: { 101: { description: 'switching protocols', type: 'null' }, 400: error },
} as const;

/** The stream route as an OpenAPI path item (added by hand: @fastify/websocket hides WebSocket routes). */
export const streamPathItem = {
  get: {
    tags: streamRoute.tags,
    summary: streamRoute.summary,
    description: streamRoute.description,
    parameters: [
      {
        name: 'topics',
        in: 'query',
        required: false,
        description: streamRoute.querystring.properties.topics.description,
        schema: { type: 'string', maxLength: 200, pattern: '^[a-z,]*$' },
      },
      {
        name: 'interval_ms',
        in: 'query',
        required: false,
        description: streamRoute.querystring.properties.interval_ms.description,
        schema: { type: 'integer', minimum: 0, maximum: 60000 },
      },
    ],
    responses: {
      '101': { description: 'Switching Protocols: the WebSocket is open; messages are JSON {topic, status, updated_at, reason?, data}' },
      '404': { description: 'not a WebSocket upgrade request' },
    },
  },
} as const;
