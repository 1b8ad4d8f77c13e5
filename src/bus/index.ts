// Bus factory: configuration picks the implementation; everything else sees only the Bus interface.
import { InprocBus } from './inproc.js';
import type { Bus } from './types.js';

export * from './types.js';
export * from './topics.js';
export { InprocBus } from './inproc.js';

export interface CreateBusOptions {
  /** Override config.bus.kind. */
  kind?: 'inproc' | 'zmq';
  /** For ZeroMQ: host the hub in this process (bind) instead of connecting to it. */
  hub?: boolean;
}

/** The `bus` section of the configuration (src/config), restated here so the bus depends only on util. */
export interface BusConfig {
  kind: 'inproc' | 'zmq';
  pubEndpoint: string;
  snapshotEndpoint: string;
  collectEndpoint: string;
  heartbeatMs: number;
  sendHwm: number;
  recvHwm: number;
}

export async function createBus(cfg: BusConfig, opts: CreateBusOptions = {}): Promise<Bus> {
  const kind = opts.kind ?? cfg.kind;
  if (kind === 'inproc') return new InprocBus();
  const { ZmqBus } = await import('./zmq.js'); // loads the native addon only when ZeroMQ is used
  return ZmqBus.create({
    hub: opts.hub ?? false,
    pubEndpoint: cfg.pubEndpoint,
    snapshotEndpoint: cfg.snapshotEndpoint,
    collectEndpoint: cfg.collectEndpoint,
    heartbeatMs: cfg.heartbeatMs,
    sendHwm: cfg.sendHwm,
    recvHwm: cfg.recvHwm,
  });
}
