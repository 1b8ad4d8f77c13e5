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
    .option('--surface-every <ms>', 'surface refit cadence (0 = back to back)', '0')
    .option('--inline-surface', 'fit the surface on the main thread instead of the worker thread')
    .option('--cycle <ms>', 'pause between analytics cycles', '10')
    .option('--store', 'also run the store role (embedded PGlite in a temporary folder) and check the history rows')
    .action(async (opts: { rate: string; duration: string; warmup: string; surfaceEvery: string; inlineSurface?: boolean; cycle: string; store?: boolean }) => {
      let o;
      try {
        o = {
          rate: parseNumberOption('--rate', opts.rate, 1, 10_000_000),
          durationS: parseNumberOption('--duration', opts.duration, 1, 86_400),
          warmupS: parseNumberOption('--warmup', opts.warmup, 0, 3600),
          surfaceEveryMs: parseNumberOption('--surface-every', opts.surfaceEvery, 0, 3_600_000),
          store: Boolean(opts.store),
          inlineSurface: Boolean(opts.inlineSurface),
          cycleMs: parseNumberOption('--cycle', opts.cycle, 0, 60_000),
        };
      } catch (e) {
        throw new UserError((e as Error).message);
      }
      const { runPipelineBench } = await import('../../pipeline/bench.js');
      printJson(await runPipelineBench(o), true);
    });
}
