/**
 * Configuration: built-in defaults < git-ignored `manifold.config.json` (or the file named by MANIFOLD_CONFIG)
 * < environment variables. Every default is embedded (PGlite, in-memory state, in-process bus), so a fresh clone
 * runs with no servers. Secrets (API keys, tokens) only come from the environment or the git-ignored file and are
 * never logged (see util/log.ts redaction).
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';

export const ConfigSchema = z.object({
  /** Folder for embedded data (PGlite data directory, recordings, spool files). */
  dataDir: z.string().default('.manifold'),
  massive: z
    .object({
      apiKey: z.string().optional(),
      wsUrl: z.string().default('wss://socket.massive.com/options'),
      restUrl: z.string().default('https://api.massive.com'),
      /** Option quote contracts per connection (Massive's limit is 1,000). */
      maxContracts: z.number().int().min(1).max(1000).default(1000),
      /** Reconnect backoff: first delay and cap, ms (jittered ±50%, doubling). */
      reconnectInitialMs: z.number().int().min(10).default(250),
      reconnectMaxMs: z.number().int().min(100).default(15_000),
      /** Resync from the REST snapshot after every (re)subscribe. */
      resync: z.boolean().default(true),
    })
    .default({
      wsUrl: 'wss://socket.massive.com/options',
      restUrl: 'https://api.massive.com',
      maxContracts: 1000,
      reconnectInitialMs: 250,
      reconnectMaxMs: 15_000,
      resync: true,
    }),
  store: z
    .object({
      /** PostgreSQL URL; absent means embedded PGlite in `<dataDir>/pglite`. */
      databaseUrl: z.string().optional(),
      /** Redis URL; absent means in-memory latest state. */
      redisUrl: z.string().optional(),
      /** Key prefix of the latest-state keys in Redis. */
      redisPrefix: z.string().default('manifold:'),
      /** Spool folder for writes made while the database is away; default `<dataDir>/spool`. */
      spoolDir: z.string().optional(),
      /** Rows per batched INSERT and the longest a row waits in the buffer before a flush, ms. */
      batchRows: z.number().int().min(1).max(100_000).default(5000),
      flushMs: z.number().int().min(1).max(60_000).default(250),
      /** Bound of the in-memory write buffer, rows; beyond it rows go straight to the spool file. */
      maxBufferRows: z.number().int().min(1).default(200_000),
      /** Embedded PGlite on its own worker thread (its SQL then never blocks the pipeline's thread). */
      pgliteThread: z.boolean().default(true),
    })
    .default({ redisPrefix: 'manifold:', batchRows: 5000, flushMs: 250, maxBufferRows: 200_000, pgliteThread: true }),
  bus: z
    .object({
      kind: z.enum(['inproc', 'zmq']).default('inproc'),
      /** ZeroMQ endpoints used when kind = zmq (or a role is given). */
      pubEndpoint: z.string().default('tcp://127.0.0.1:5555'),
      snapshotEndpoint: z.string().default('tcp://127.0.0.1:5556'),
      /** Where every process PUSHes what it publishes; the hub PULLs, sequences and republishes. */
      collectEndpoint: z.string().default('tcp://127.0.0.1:5557'),
      /** The role whose process hosts the hub (binds the three endpoints). */
      hubRole: z.enum(['feed', 'analytics', 'store', 'api']).default('feed'),
      heartbeatMs: z.number().int().min(10).max(10_000).default(200),
      /** ZeroMQ high-water marks in messages (a message is a batch of items). */
      sendHwm: z.number().int().min(1).default(10_000),
      recvHwm: z.number().int().min(1).default(10_000),
    })
    .default({
      kind: 'inproc',
      pubEndpoint: 'tcp://127.0.0.1:5555',
      snapshotEndpoint: 'tcp://127.0.0.1:5556',
      collectEndpoint: 'tcp://127.0.0.1:5557',
      hubRole: 'feed',
      heartbeatMs: 200,
      sendHwm: 10_000,
      recvHwm: 10_000,
    }),
  api: z
    .object({
      host: z.string().default('127.0.0.1'),
      port: z.number().int().min(0).max(65535).default(8787),
      /** Bearer token required by state-changing routes; absent means those routes are refused. */
      token: z.string().optional(),
      /** Origins allowed by CORS (exact strings). Empty (the default) sends no CORS headers: same-origin only. */
      corsOrigins: z.array(z.string()).default([]),
    })
    .default({ host: '127.0.0.1', port: 8787, corsOrigins: [] }),
  /** Live pipeline cadences (src/pipeline/live.ts, docs/ARCHITECTURE.md "Live pipeline"). */
  pipeline: z
    .object({
      /**
       * Pause between two analytics cycles, ms. Each cycle takes the rows changed since the previous one (conflated)
       * and recomputes chain IV and GEX; tick → state latency is about pause + cycle time.
       */
      cycleMs: z.number().int().min(0).max(60_000).default(25),
      /**
       * Surface refit cadence, ms: 0 refits whenever quotes changed and no refit is running (live refits are local
       * polishes of the previous fit, a few ms); a positive value refits at most that often.
       */
      surfaceEveryMs: z.number().int().min(0).max(3_600_000).default(0),
    })
    .prefault({}),
  /** Regime model (src/regime, docs/ARCHITECTURE.md "Regime"). */
  regime: z
    .object({
      /** First history date used (Yahoo's SPY closes before 2010 are noisy; see data/PROVENANCE.md). */
      historyStart: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).default('2010-01-01'),
      /** Training window in trading days (≈ 5 years). */
      trainDays: z.number().int().min(50).default(1260),
      /** Walk-forward: first refit once this many feature rows exist. */
      minTrainDays: z.number().int().min(50).default(504),
      states: z.union([z.number().int().min(1).max(10), z.literal('auto')]).default(3),
      restarts: z.number().int().min(1).default(10),
      seed: z.number().int().default(1),
      covarianceType: z.enum(['full', 'diag']).default('full'),
      refit: z.enum(['monthly', 'weekly', 'daily']).default('monthly'),
      features: z.array(z.enum(['spy_return', 'realized_vol', 'log_vix', 'vix_change'])).min(1).default(['spy_return', 'realized_vol', 'log_vix', 'vix_change']),
      realizedVolWindow: z.number().int().min(2).default(21),
      vixChange: z.enum(['log', 'diff']).default('log'),
    })
    .prefault({}),
});

export type ManifoldConfig = z.infer<typeof ConfigSchema>;

/** Environment variables and the config path each one sets. */
export const ENV_VARS: Record<string, string> = {
  MANIFOLD_DATA_DIR: 'dataDir',
  MASSIVE_API_KEY: 'massive.apiKey',
  MASSIVE_WS_URL: 'massive.wsUrl',
  MASSIVE_REST_URL: 'massive.restUrl',
  MANIFOLD_DATABASE_URL: 'store.databaseUrl',
  MANIFOLD_REDIS_URL: 'store.redisUrl',
  MANIFOLD_BUS: 'bus.kind',
  MANIFOLD_ZMQ_PUB: 'bus.pubEndpoint',
  MANIFOLD_ZMQ_SNAPSHOT: 'bus.snapshotEndpoint',
  MANIFOLD_ZMQ_COLLECT: 'bus.collectEndpoint',
  MANIFOLD_BUS_HUB_ROLE: 'bus.hubRole',
  MANIFOLD_SPOOL_DIR: 'store.spoolDir',
  MANIFOLD_REDIS_PREFIX: 'store.redisPrefix',
  MANIFOLD_API_HOST: 'api.host',
  MANIFOLD_API_PORT: 'api.port',
  MANIFOLD_API_TOKEN: 'api.token',
  MANIFOLD_CYCLE_MS: 'pipeline.cycleMs',
  MANIFOLD_SURFACE_EVERY_MS: 'pipeline.surfaceEveryMs',
  MANIFOLD_PGLITE_THREAD: 'store.pgliteThread',
};

/** Config paths whose environment variable is a number. */
const NUMERIC_PATHS = new Set(['api.port', 'pipeline.cycleMs', 'pipeline.surfaceEveryMs']);
/** Config paths whose environment variable is a switch: 1/true/yes/on or 0/false/no/off. */
const BOOLEAN_PATHS = new Set(['store.pgliteThread']);

function envValue(path: string, v: string): unknown {
  if (NUMERIC_PATHS.has(path)) return Number(v);
  if (BOOLEAN_PATHS.has(path)) {
    if (/^(1|true|yes|on)$/i.test(v)) return true;
    if (/^(0|false|no|off)$/i.test(v)) return false;
  }
  return v; // anything else fails validation with the path named
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let node = target;
  for (const p of parts.slice(0, -1)) {
    if (typeof node[p] !== 'object' || node[p] === null) node[p] = {};
    node = node[p] as Record<string, unknown>;
  }
  node[parts[parts.length - 1]] = value;
}

/** Reads `KEY=value` lines of a git-ignored `.env` file; real environment variables win over it. */
export function readDotEnv(path: string): Record<string, string> {
  if (!existsSync(path)) return {};
  const out: Record<string, string> = {};
  for (const line of readFileSync(path, 'utf8').split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!m || line.trimStart().startsWith('#')) continue;
    out[m[1]] = m[2].replace(/^(['"])(.*)\1$/, '$2');
  }
  return out;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): ManifoldConfig {
  env = { ...readDotEnv(resolve(cwd, '.env')), ...env };
  const file = resolve(cwd, env.MANIFOLD_CONFIG ?? 'manifold.config.json');
  let raw: Record<string, unknown> = {};
  if (existsSync(file)) {
    try {
      raw = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    } catch (e) {
      throw new Error(`config file ${file} is not valid JSON: ${(e as Error).message}`, { cause: e });
    }
  } else if (env.MANIFOLD_CONFIG) {
    throw new Error(`config file ${file} (MANIFOLD_CONFIG) does not exist`);
  }
  for (const [name, path] of Object.entries(ENV_VARS)) {
    const v = env[name];
    if (v === undefined || v === '') continue;
    setPath(raw, path, envValue(path, v));
  }
  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`invalid configuration at ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return parsed.data;
}
