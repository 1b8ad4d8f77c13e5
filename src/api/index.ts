/**
 * Entry point of the gateway for other areas: `startGateway(state, config)` builds it over any `AnalyticsState`
 * (the chain-file provider for `manifold serve`, the live pipeline for `manifold run`) and listens.
 */
import type { FastifyInstance } from 'fastify';
import type { ManifoldConfig } from '../config/index.js';
import { buildGateway, type GatewayOptions } from './server.js';
import type { AnalyticsState } from './state.js';

export type { AnalyticsState } from './state.js';
export { ChainFileProvider, DEFAULT_CHAIN } from './chain-provider.js';
export { buildGateway } from './server.js';

export interface RunningGateway {
  app: FastifyInstance;
  /** http://host:port/ as actually bound (port 0 resolved). */
  url: string;
  close(): Promise<void>;
}

export async function startGateway(
  state: AnalyticsState,
  api: ManifoldConfig['api'],
  extra: Partial<Omit<GatewayOptions, 'state' | 'token' | 'corsOrigins'>> = {},
): Promise<RunningGateway> {
  const { app } = await buildGateway({ ...extra, state, token: api.token, corsOrigins: api.corsOrigins });
  await app.listen({ host: api.host, port: api.port });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : api.port;
  const host = api.host.includes(':') ? `[${api.host}]` : api.host === '0.0.0.0' ? '127.0.0.1' : api.host;
  return { app, url: `http://${host}:${port}/`, close: () => app.close() };
}
