import type { Command } from 'commander';
import { UserError } from '../errors.js';
import { parseNumberOption, printJson } from '../output.js';

/** `manifold bench pipeline` → one JSON line: tick → GEX and surface latency at a simulator rate (and the soak). */
export function register(bench: Command): void {
  bench
    .command('pipeline')
    .description('live pipeline latency: simulator process at --rate msg/s → feed → IV → surface → GEX (one JSON line)')
    .option('--rate <n>', 'simulator events per second', '100000')
    .option('--duration <s>', 'measured seconds (600 for the soak)', '20')
    .option('--warmup <s>', 'seconds excluded from the latency at the start', '5')
    .option('--surface-every <ms>', 'surface refit cadence (0 = whenever quotes changed; default: the configuration, MANIFOLD_SURFACE_EVERY_MS)')
    .option('--inline-surface', 'fit the surface on the main thread instead of the worker thread')
    .option('--cycle <ms>', 'pause between analytics cycles (default: the configuration, MANIFOLD_CYCLE_MS)')
    .option('--store', 'also run the store role (embedded PGlite in a temporary folder) and check the history rows')
    .option('--path <path>', "bus: the product's feed and analytics components on the in-process bus (as manifold run); direct: the pipeline reads the feed's chain itself", 'bus')
    .action(async (opts: { rate: string; duration: string; warmup: string; surfaceEvery?: string; inlineSurface?: boolean; cycle?: string; store?: boolean; path: string }) => {
      let o;
      try {
        // The product's cadences unless overridden: the benchmark measures what `manifold run` runs.
        const { loadConfig } = await import('../../config/index.js');
        const { pipeline } = loadConfig();
        o = {
          rate: parseNumberOption('--rate', opts.rate, 1, 10_000_000),
          durationS: parseNumberOption('--duration', opts.duration, 1, 86_400),
          warmupS: parseNumberOption('--warmup', opts.warmup, 0, 3600),
          surfaceEveryMs: opts.surfaceEvery === undefined ? pipeline.surfaceEveryMs : parseNumberOption('--surface-every', opts.surfaceEvery, 0, 3_600_000),
          store: Boolean(opts.store),
          inlineSurface: Boolean(opts.inlineSurface),
          cycleMs: opts.cycle === undefined ? pipeline.cycleMs : parseNumberOption('--cycle', opts.cycle, 0, 60_000),
          path: opts.path as 'bus' | 'direct',
        };
        if (opts.path !== 'bus' && opts.path !== 'direct') throw new Error(`--path must be bus or direct, got '${opts.path}'`);
      } catch (e) {
        throw new UserError((e as Error).message);
      }
      const { runPipelineBench } = await import('../../pipeline/bench.js');
      printJson(await runPipelineBench(o), true);
    });
}
