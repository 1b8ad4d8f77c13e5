import type { Command } from 'commander';
import { UserError } from '../errors.js';
import { parseNumberOption } from '../output.js';

/** `manifold serve`: the API gateway and dashboard over one chain file (the live pipeline serves through `run`). */
export function register(program: Command): void {
  program
    .command('serve')
    .description('serve the REST/WebSocket API and the dashboard for a chain file (default: the shipped SPX chain)')
    .option('--chain <file>', 'Cboe quotedata CSV to serve (default data/chains/SPX_2023-04-14_eod.csv)')
    .option('--port <n>', 'TCP port (default api.port = 8787; 0 = any free port)')
    .option('--host <host>', 'interface to bind (default api.host = 127.0.0.1)')
    .option('--gex-model <model>', 'GEX dealer-positioning model: naive or all-short (default naive)')
    .action(async (opts: { chain?: string; port?: string; host?: string; gexModel?: string }) => {
      const { loadConfig } = await import('../../config/index.js');
      let config;
      try {
        config = loadConfig();
      } catch (e) {
        throw new UserError((e as Error).message);
      }
      const api = { ...config.api };
      if (opts.port !== undefined) {
        try {
          api.port = parseNumberOption('--port', opts.port, 0, 65535);
        } catch (e) {
          throw new UserError((e as Error).message);
        }
        if (!Number.isInteger(api.port)) throw new UserError(`--port must be an integer, got '${opts.port}'`);
      }
      if (opts.host !== undefined) api.host = opts.host;

      process.stderr.write(`Loading ${opts.chain ?? 'the shipped SPX chain'} and computing IVs, surface, GEX and regime…\n`);
      const { ChainFileProvider, startGateway } = await import('../../api/index.js');
      const { ReloadError } = await import('../../api/state.js');
      let state;
      try {
        state = await ChainFileProvider.open({ chainPath: opts.chain, gexModel: opts.gexModel, dataDir: config.dataDir });
      } catch (e) {
        if (e instanceof ReloadError) throw new UserError(e.message);
        throw e;
      }
      let gw;
      try {
        gw = await startGateway(state, api);
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        if (err.code === 'EADDRINUSE' || err.code === 'EACCES' || err.code === 'EADDRNOTAVAIL') {
          throw new UserError(`cannot listen on ${api.host}:${api.port}: ${err.code}`);
        }
        throw e;
      }
      process.stdout.write(`Manifold dashboard: ${gw.url}\nAPI: ${gw.url}api/v1  docs: ${gw.url}docs\n`);
      if (!api.token) process.stdout.write('State-changing routes are disabled (set MANIFOLD_API_TOKEN to enable them).\n');
      await new Promise<void>((resolveStop) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          resolveStop();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      await gw.close();
      await state.close();
    });
}
