/**
 * Process topology: which roles run in this process, on which bus, with which components.
 *
 * `manifold run` (no role) runs every role in one process on the configured bus (in-process by default).
 * `manifold run --role <r>` runs one role and talks to the others over ZeroMQ; the process of `bus.hubRole`
 * (feed by default) hosts the hub. The code path is the same either way: plan → bus → components started in
 * consumer-first order (store, analytics, api, feed) so that nothing a process publishes is missed by its own
 * subscribers. Components are registered per role in a registry (the product's: `pipelineRoles()` in roles.ts);
 * components of one process can share objects through `ctx.services` (the api role serves the analytics role's
 * live pipeline that way).
 */
import type { ManifoldConfig } from '../config/index.js';
import { createBus } from '../bus/index.js';
import type { Bus } from '../bus/types.js';
import { createLogger, type Logger } from '../util/log.js';

export const ROLES = ['feed', 'analytics', 'store', 'api'] as const;
export type Role = (typeof ROLES)[number];

/** Start order within one process: consumers before producers. */
const START_ORDER: Role[] = ['store', 'analytics', 'api', 'feed'];

export interface ComponentContext {
  bus: Bus;
  config: ManifoldConfig;
  /** The role this component was started for. */
  role: Role;
  /** Every role running in this process (all four for `manifold run`). */
  localRoles: readonly Role[];
  log: Logger;
  /** Shared by the components of this process (e.g. the analytics role's live pipeline, which the api role serves). */
  services: Map<string, unknown>;
}

/** One unit of work inside a role (feed client, IV engine, history sink, API server, ...). */
export interface Component {
  readonly name: string;
  /** Resolves once the component is live (its subscriptions ready). */
  start(ctx: ComponentContext): Promise<void>;
  stop(): Promise<void>;
  /** Optional counters for `manifold run` status output. */
  stats?(): Record<string, unknown>;
}

export type ComponentFactory = (config: ManifoldConfig) => Component;
export type RoleRegistry = Partial<Record<Role, ComponentFactory[]>>;

export class TopologyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TopologyError';
  }
}

export interface TopologyPlan {
  /** undefined: every role in this process. */
  role: Role | undefined;
  roles: Role[];
  bus: 'inproc' | 'zmq';
  /** ZeroMQ only: this process binds the hub's endpoints. */
  hostsHub: boolean;
}

export function parseRole(raw: string): Role {
  if (!(ROLES as readonly string[]).includes(raw)) throw new TopologyError(`unknown role '${raw}' (expected one of ${ROLES.join(', ')})`);
  return raw as Role;
}

export function planTopology(config: ManifoldConfig, role?: Role): TopologyPlan {
  if (role === undefined) {
    const bus = config.bus.kind;
    // All roles in one process; with the ZeroMQ bus this process is also the hub other processes can join.
    return { role, roles: START_ORDER.slice(), bus, hostsHub: bus === 'zmq' };
  }
  // A single role only makes sense with other processes: always ZeroMQ.
  return { role, roles: [role], bus: 'zmq', hostsHub: role === config.bus.hubRole };
}

export interface RunningTopology {
  plan: TopologyPlan;
  bus: Bus;
  components: Array<{ role: Role; component: Component }>;
  /** What the components of this process shared (see ComponentContext.services). */
  services: Map<string, unknown>;
  stop(): Promise<void>;
}

/** Create the bus of the plan and start every registered component of its roles, consumers first. */
export async function startTopology(plan: TopologyPlan, config: ManifoldConfig, registry: RoleRegistry): Promise<RunningTopology> {
  const log = createLogger('pipeline');
  const bus = await createBus(config.bus, { kind: plan.bus, hub: plan.hostsHub });
  const started: Array<{ role: Role; component: Component }> = [];
  const services = new Map<string, unknown>();
  const stop = async () => {
    for (const { component } of started.slice().reverse()) {
      try {
        await component.stop();
      } catch (err) {
        log.error({ err, component: component.name }, 'component failed to stop cleanly');
      }
    }
    await bus.close();
  };
  try {
    for (const role of START_ORDER.filter((r) => plan.roles.includes(r))) {
      for (const factory of registry[role] ?? []) {
        const component = factory(config);
        await component.start({ bus, config, role, localRoles: plan.roles, log: log.child({ role, component: component.name }), services });
        started.push({ role, component });
      }
    }
  } catch (err) {
    await stop();
    throw err;
  }
  log.info({ roles: plan.roles, bus: plan.bus, hub: plan.hostsHub, components: started.map((s) => `${s.role}/${s.component.name}`) }, 'topology started');
  return { plan, bus, components: started, services, stop };
}
