// Docker does not run on this machine: the compose file is checked for YAML syntax and, with a schema of the
// fields it uses, for the things that matter (images, volumes, health checks, and env vars Manifold reads).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { expect, it } from 'vitest';
import { ENV_VARS, loadConfig } from '../../src/config/index.js';
import { repoRoot } from '../support/cli.js';

const healthcheck = z.object({
  test: z.union([z.array(z.string()).min(2), z.string()]),
  interval: z.string().regex(/^\d+(ms|s|m)$/),
  timeout: z.string().regex(/^\d+(ms|s|m)$/),
  retries: z.number().int().positive(),
  start_period: z.string().optional(),
});
const service = z.object({
  image: z.string().regex(/^[a-z0-9./-]+:[A-Za-z0-9._-]+$/, 'image with an explicit tag'),
  restart: z.enum(['no', 'always', 'on-failure', 'unless-stopped']).optional(),
  command: z.array(z.string()).optional(),
  working_dir: z.string().optional(),
  profiles: z.array(z.string()).optional(),
  environment: z.record(z.string(), z.string()).optional(),
  ports: z.array(z.string().regex(/^(127\.0\.0\.1:)?\d+:\d+$/)).optional(),
  volumes: z.array(z.string().regex(/^[^:]+:\/[^:]*$/)).optional(),
  healthcheck: healthcheck.optional(),
  depends_on: z.record(z.string(), z.object({ condition: z.enum(['service_started', 'service_healthy', 'service_completed_successfully']) })).optional(),
}).strict();
const compose = z.object({
  name: z.string().optional(),
  services: z.record(z.string(), service),
  volumes: z.record(z.string(), z.null().or(z.object({}).passthrough())),
}).strict();

it('docker-compose.yml parses, matches the schema, and points Manifold at healthy TimescaleDB and Redis', () => {
  const doc = compose.parse(parse(readFileSync(join(repoRoot, 'docker-compose.yml'), 'utf8'), { strict: true, uniqueKeys: true }));
  const { timescaledb, redis, manifold } = doc.services;
  expect(timescaledb.image).toMatch(/^timescale\/timescaledb:/);
  expect(redis.image).toMatch(/^redis:/);
  for (const s of [timescaledb, redis]) {
    expect(s.healthcheck).toBeDefined();
    // Every named volume used is declared.
    for (const v of s.volumes ?? []) expect(Object.keys(doc.volumes)).toContain(v.split(':')[0]);
  }
  // The app service waits for both to be healthy and gets URLs that match their credentials and service names.
  expect(manifold.depends_on).toEqual({ timescaledb: { condition: 'service_healthy' }, redis: { condition: 'service_healthy' } });
  const env = manifold.environment!;
  for (const k of Object.keys(env)) expect(Object.keys(ENV_VARS), `unknown env var ${k}`).toContain(k);
  const e = timescaledb.environment!;
  expect(env.MANIFOLD_DATABASE_URL).toBe(`postgres://${e.POSTGRES_USER}:${e.POSTGRES_PASSWORD}@timescaledb:5432/${e.POSTGRES_DB}`);
  expect(env.MANIFOLD_REDIS_URL).toBe('redis://redis:6379');
  // And Manifold's own config loader accepts exactly this environment.
  const cfg = loadConfig(env, repoRoot);
  expect(cfg.store.databaseUrl).toBe(env.MANIFOLD_DATABASE_URL);
  expect(cfg.store.redisUrl).toBe(env.MANIFOLD_REDIS_URL);
});
