/**
 * The components each role runs in the product (`manifold run`, with or without --role):
 *   feed       FeedComponent: the feed source (simulator, Massive, replay) → its live chain on the bus (chain-bus.ts)
 *   analytics  AnalyticsComponent: the chain from the bus → live pipeline (IV, surface, GEX, regime) → state and
 *              history rows on the bus; with `serveWithAnalytics`, also the gateway (a separate analytics process)
 *   store      StoreSink: history rows → the history store, latest state → Redis/memory
 *   api        ApiGatewayComponent: the gateway (REST, WebSocket, dashboard) over the analytics role's live pipeline
 *              when it runs in the same process (all-in-one), or over the state the analytics role publishes on the
 *              bus (`--role api`, a process of its own: BusStateProvider, api-role.ts)
 * All-in-one and one-role-per-process run these same components; only the bus differs.
 */
import { AnalyticsComponent, GatewayComponent, type AnalyticsRoleOptions } from './analytics-role.js';
import { ApiGatewayComponent, type BusStateOptions } from './api-role.js';
import { FeedComponent, type FeedRoleOptions } from './feed-role.js';
import { StoreSink } from './store-sink.js';
import type { RoleRegistry } from './topology.js';

export interface PipelineRoleOptions {
  feed: FeedRoleOptions;
  analytics?: AnalyticsRoleOptions;
  /** Serve the gateway (api role; in an analytics-only process, alongside the analytics). Default true. */
  serve?: boolean;
  /** A process running only the analytics role also hosts the api role's gateway. */
  serveWithAnalytics?: boolean;
  /** The api role in a process without the analytics role: which state on the bus to serve. */
  api?: BusStateOptions;
}

export function pipelineRoles(o: PipelineRoleOptions): RoleRegistry {
  const serve = o.serve ?? true;
  return {
    feed: [() => new FeedComponent(o.feed)],
    analytics: [() => new AnalyticsComponent(o.analytics), ...(serve && o.serveWithAnalytics ? [() => new GatewayComponent()] : [])],
    store: [() => new StoreSink()],
    api: serve ? [() => new ApiGatewayComponent(o.api)] : [],
  };
}

/**
 * Only the store role: for hosts that run their own feed and live pipeline on the topology's bus (the latency
 * benchmark and the live pipeline test drive `LivePipeline` directly on a feed source).
 */
export const productRoles: RoleRegistry = {
  feed: [],
  analytics: [],
  store: [() => new StoreSink()],
  api: [],
};
