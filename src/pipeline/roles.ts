/**
 * The components each role runs in the product. The store role persists history rows and latest state published
 * on the bus; the feed, analytics and api roles are filled in by the live pipeline.
 */
import { StoreSink } from './store-sink.js';
import type { RoleRegistry } from './topology.js';

export const productRoles: RoleRegistry = {
  feed: [],
  analytics: [],
  store: [() => new StoreSink()],
  api: [],
};
