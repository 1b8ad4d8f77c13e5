import type { Command } from 'commander';
import { UserError } from '../errors.js';
import type { ManifoldConfig } from '../../config/index.js';

/** `manifold run [--role feed|analytics|store|api]`: one role over ZeroMQ, or every role in one process. */
export function register(program: Command): void {
  program
    .command('run')
    .description('run the pipeline: every role in one process (in-process bus), or one role that joins the others over ZeroMQ')
    .option('--role <role>', 'feed | analytics | store | api (the feed process hosts the ZeroMQ hub unless bus.hubRole says otherwise)')
    .option('--chain <file>', 'chain file the analytics and dashboard start from (default: the shipped SPX chain)')
    .option('--no-serve', 'do not start the API gateway and dashboard (all-in-one mode only)')
    .action(async (opts: { role?: string; chain?: string; serve: boolean }) => {
      const { loadConfig } = await import('../../config/index.js');
      const { parseRole, planTopology, startTopology, TopologyError } = await import('../../pipeline/topology.js');
      const { productRoles } = await import('../../pipeline/roles.js');
      let cfg;
      let role;
      try {
        cfg = loadConfig();
        role = opts.role === undefined ? undefined : parseRole(opts.role);
      } catch (e) {
        throw new UserError((e as Error).message);
      }
      const plan = planTopology(cfg, role);
      let running;
      try {
        running = await startTopology(plan, cfg, productRoles);
      } catch (e) {
        if (e instanceof TopologyError || /cannot (start|connect)|database|Address already in use/i.test((e as Error).message)) throw new UserError((e as Error).message);
        throw e;
      }
      // All-in-one mode (the README's main job): until the live pipeline lands (issue 10), analytics come from a
      // chain file: print them, then serve the same state through the gateway and dashboard.
      let gateway: { url: string; close(): Promise<void> } | undefined;
      let chainState: { close(): Promise<void> } | undefined;
      if (role === undefined) {
        const started = await startChainAnalytics(cfg, opts.chain, opts.serve).catch(async (e) => {
          await running.stop();
          throw e;
        });
        gateway = started.gateway;
        chainState = started.state;
      }
      const names = running.components.map((c) => `${c.role}/${c.component.name}`);
      process.stderr.write(
        `manifold run: roles ${plan.roles.join(', ')} on the ${plan.bus} bus${plan.hostsHub ? ' (hub)' : ''}; components: ${names.length ? names.join(', ') : 'none'}\n`,
      );
      // Role processes announce readiness as one JSON line for supervisors and tests; the all-in-one mode already
      // printed its human report above.
      if (role !== undefined) {
        process.stdout.write(JSON.stringify({ ready: true, roles: plan.roles, bus: plan.bus, hub: plan.hostsHub, components: names }) + '\n');
      }
      // Signal listeners and idle sockets do not keep Node alive: hold the loop open until asked to stop.
      const keepAlive = setInterval(() => undefined, 1 << 30);
      await new Promise<void>((resolve) => {
        const done = () => resolve();
        process.once('SIGINT', done);
        process.once('SIGTERM', done);
      });
      clearInterval(keepAlive);
      await gateway?.close();
      await chainState?.close();
      await running.stop();
    });
}

async function startChainAnalytics(
  cfg: ManifoldConfig,
  chainPath: string | undefined,
  serve: boolean,
): Promise<{ state: { close(): Promise<void> }; gateway?: { url: string; close(): Promise<void> } }> {
  const { ChainFileProvider, startGateway } = await import('../../api/index.js');
  const { ReloadError } = await import('../../api/state.js');
  const { formatSnapshotReport } = await import('../../monitor/snapshot-report.js');
  process.stderr.write(`Loading ${chainPath ?? 'the shipped SPX chain'} and computing IVs, surface, GEX and regime…\n`);
  let state;
  try {
    state = await ChainFileProvider.open({ chainPath, dataDir: cfg.dataDir });
  } catch (e) {
    if (e instanceof ReloadError) throw new UserError(e.message);
    throw e;
  }
  process.stdout.write(formatSnapshotReport(state) + '\n');
  if (!serve) return { state };
  try {
    const gateway = await startGateway(state, cfg.api);
    process.stdout.write(`Dashboard: ${gateway.url}  ·  API: ${gateway.url}api/v1  ·  OpenAPI: ${gateway.url}docs  ·  Ctrl-C stops\n`);
    return { state, gateway };
  } catch (e) {
    await state.close();
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EADDRINUSE' || err.code === 'EACCES' || err.code === 'EADDRNOTAVAIL') {
      throw new UserError(`cannot listen on ${cfg.api.host}:${cfg.api.port} (${err.code}); set MANIFOLD_API_PORT or use --no-serve`);
    }
    throw e;
  }
}
