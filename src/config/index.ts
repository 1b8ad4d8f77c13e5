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
    })
    .default({ wsUrl: 'wss://socket.massive.com/options', restUrl: 'https://api.massive.com' }),
  store: z
    .object({
      /** PostgreSQL URL; absent means embedded PGlite in `<dataDir>/pglite`. */
      databaseUrl: z.string().optional(),
      /** Redis URL; absent means in-memory latest state. */
      redisUrl: z.string().optional(),
    })
    .default({}),
  bus: z
    .object({
      kind: z.enum(['inproc', 'zmq']).default('inproc'),
      /** ZeroMQ endpoints used when kind = zmq (or a role is given). */
      pubEndpoint: z.string().default('tcp://127.0.0.1:5555'),
      snapshotEndpoint: z.string().default('tcp://127.0.0.1:5556'),
    })
    .default({ kind: 'inproc', pubEndpoint: 'tcp://127.0.0.1:5555', snapshotEndpoint: 'tcp://127.0.0.1:5556' }),
  api: z
    .object({
      host: z.string().default('127.0.0.1'),
      port: z.number().int().min(0).max(65535).default(8787),
      /** Bearer token required by state-changing routes; absent means those routes are refused. */
      token: z.string().optional(),
    })
    .default({ host: '127.0.0.1', port: 8787 }),
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
  MANIFOLD_API_HOST: 'api.host',
  MANIFOLD_API_PORT: 'api.port',
  MANIFOLD_API_TOKEN: 'api.token',
};

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let node = target;
  for (const p of parts.slice(0, -1)) {
    if (typeof node[p] !== 'object' || node[p] === null) node[p] = {};
    node = node[p] as Record<string, unknown>;
  }
  node[parts[parts.length - 1]] = value;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): ManifoldConfig {
  const file = resolve(cwd, env.MANIFOLD_CONFIG ?? 'manifold.config.json');
  let raw: Record<string, unknown> = {};
  if (existsSync(file)) {
    try {
      raw = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    } catch (e) {
      throw new Error(`config file ${file} is not valid JSON: ${(e as Error).message}`);
    }
  } else if (env.MANIFOLD_CONFIG) {
    throw new Error(`config file ${file} (MANIFOLD_CONFIG) does not exist`);
  }
  for (const [name, path] of Object.entries(ENV_VARS)) {
    const v = env[name];
    if (v === undefined || v === '') continue;
    setPath(raw, path, path === 'api.port' ? Number(v) : v);
  }
  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`invalid configuration at ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return parsed.data;
}
