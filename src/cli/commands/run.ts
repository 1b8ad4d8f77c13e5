import type { Command } from 'commander';
import { UserError } from '../errors.js';
import type { ManifoldConfig } from '../../config/index.js';

/** `manifold run [--role feed|analytics|store|api]`: one role over ZeroMQ, or every role in one process. */
export function register(program: Command): void {
  program
    .command('run')
    .description('run the pipeline: every role in one process (in-process bus), or one role that joins the others over ZeroMQ')
    .option('--role <role>', 'feed | analytics | store | api (the feed process hosts the ZeroMQ hub unless bus.hubRole says otherwise; api serves the gateway and dashboard from the state the analytics role publishes)')
    .option('--chain <file>', 'chain the simulator plays (--source sim) or the analytics read (--source file); default: the shipped SPX chain')
    .option('--no-serve', 'do not start the API gateway and dashboard (all-in-one, or --role analytics; use it there when a --role api process serves them)')
    .option('--source <source>', 'all-in-one or --role feed: sim (default: the simulator playing the shipped chain, live pipeline), massive (needs a key), replay:<file>, or file (static analytics of --chain)', 'sim')
    .option('--underlying <symbol>', 'underlying of --source massive', 'SPY')
    .option('--rate <n>', 'events per second of --source sim', '2000')
    .option('--no-monitor', 'live mode: no console monitor')
    .option('--speed <x>', 'replay speed of --source replay:<file>: 1 (real time), 10, ... or max', '1')
    .option('--final-state <file>', 'analytics (all-in-one or --role analytics): when the source ends (a replay), write the final chain state and a cold recompute of its surface and GEX to <file> as JSON')
    .action(
      async (opts: { role?: string; chain?: string; serve: boolean; source: string; underlying: string; rate: string; monitor: boolean; speed: string; finalState?: string }) => {
        // The interactive monitor owns the terminal: keep info-level JSON logs out of its screen.
        if (opts.role === undefined && opts.monitor && opts.source !== 'file' && process.stdout.isTTY) {
          const { setDefaultLogLevel } = await import('../../util/log.js');
          setDefaultLogLevel('warn');
        }
        const { loadConfig } = await import('../../config/index.js');
        const { parseRole, planTopology, startTopology, TopologyError } = await import('../../pipeline/topology.js');
        let cfg;
        let role;
        try {
          cfg = loadConfig();
          role = opts.role === undefined ? undefined : parseRole(opts.role);
        } catch (e) {
          throw new UserError((e as Error).message);
        }
        if (role === 'api' && !opts.serve) {
          throw new UserError('--role api with --no-serve would run nothing: the api role is the gateway (drop --no-serve, or run another role)');
        }
        const fileMode = role === undefined && opts.source === 'file';
        let registry;
        if (fileMode) registry = (await import('../../pipeline/roles.js')).productRoles;
        else {
          const spec = role === undefined || role === 'feed' ? await parseSpec(opts) : { kind: 'sim' as const };
          const { pipelineRoles } = await import('../../pipeline/roles.js');
          registry = pipelineRoles({
            feed: { spec },
            analytics: { finalStatePath: opts.finalState },
            serve: opts.serve,
            serveWithAnalytics: role === 'analytics',
          });
          if (role === undefined) process.stderr.write(`Starting the live pipeline on ${opts.source}…\n`);
        }
        const plan = planTopology(cfg, role);
        let running;
        try {
          running = await startTopology(plan, cfg, registry);
        } catch (e) {
          const err = e as NodeJS.ErrnoException;
          if (err.code === 'EADDRINUSE' || err.code === 'EACCES' || err.code === 'EADDRNOTAVAIL') {
            throw new UserError(`cannot listen on ${cfg.api.host}:${cfg.api.port} (${err.code}); set MANIFOLD_API_PORT or use --no-serve`);
          }
          const { SourceError } = await import('../../pipeline/live-source.js');
          if (e instanceof TopologyError || e instanceof SourceError || /cannot (start|connect)|database|Address already in use/i.test(err.message)) throw new UserError(err.message);
          throw e;
        }
        const names = running.components.map((c) => `${c.role}/${c.component.name}`);
        process.stderr.write(
          `manifold run: roles ${plan.roles.join(', ')} on the ${plan.bus} bus${plan.hostsHub ? ' (hub)' : ''}; components: ${names.length ? names.join(', ') : 'none'}\n`,
        );
        let gateway: { url: string; close(): Promise<void> } | undefined;
        let front: { stop(): Promise<void> } | undefined;
        let chainState: { close(): Promise<void> } | undefined;
        if (fileMode) {
          // `--source file`: the static analytics of one chain file.
          const started = await startChainAnalytics(cfg, opts.chain, opts.serve).catch(async (e) => {
            await running.stop();
            throw e;
          });
          gateway = started.gateway;
          chainState = started.state;
        } else if (role === undefined) {
          // All-in-one (the README's main job): first analytics report, dashboard address, console monitor.
          const { startLiveFront } = await import('../../pipeline/live-main.js');
          front = await startLiveFront(running, { monitor: opts.monitor }).catch(async (e) => {
            await running.stop();
            throw e;
          });
        } else {
          // Role processes announce readiness as one JSON line for supervisors and tests.
          const { localGatewayUrl } = await import('../../pipeline/live-main.js');
          const url = localGatewayUrl(running);
          process.stdout.write(JSON.stringify({ ready: true, roles: plan.roles, bus: plan.bus, hub: plan.hostsHub, components: names, ...(url ? { url } : {}) }) + '\n');
        }
        // Signal listeners and idle sockets do not keep Node alive: hold the loop open until asked to stop.
        const keepAlive = setInterval(() => undefined, 1 << 30);
        await new Promise<void>((resolve) => {
          const done = () => resolve();
          process.once('SIGINT', done);
          process.once('SIGTERM', done);
        });
        clearInterval(keepAlive);
        await front?.stop();
        await gateway?.close();
        await chainState?.close();
        await running.stop();
      },
    );
}

async function parseSpec(opts: { source: string; chain?: string; underlying: string; rate: string; speed: string }) {
  const { parseSource, SourceError } = await import('../../pipeline/live-source.js');
  const { parseNumberOption } = await import('../output.js');
  try {
    const rate = parseNumberOption('--rate', opts.rate, 1, 10_000_000);
    const speed = opts.speed === 'max' ? 'max' : parseNumberOption('--speed', opts.speed, 1e-3, 1e6);
    return parseSource(opts.source, { underlying: opts.underlying, rate, chain: opts.chain, speed: opts.source.startsWith('replay:') ? speed : undefined });
  } catch (e) {
    if (e instanceof SourceError) throw new UserError(e.message);
    throw e;
  }
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
