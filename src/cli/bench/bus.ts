import type { Command } from 'commander';
import { UserError } from '../errors.js';
import { parseNumberOption, printJson } from '../output.js';

/** `manifold bench bus` → {inproc_msgs_per_sec, zmq_msgs_per_sec, zmq_lost, ...}. */
export function register(bench: Command): void {
  bench
    .command('bus')
    .description('bus throughput: in-process, and ZeroMQ across two processes with batching (one JSON line)')
    .option('--quotes <n>', 'quotes sent through ZeroMQ', '5000000')
    .option('--batch <n>', 'quotes per ZeroMQ message', '1000')
    .option('--inproc <n>', 'single-quote messages through the in-process bus', '2000000')
    .option('--unbatched <n>', 'single-quote messages through ZeroMQ', '200000')
    .option('--runs <n>', 'repetitions; rates are medians', '3')
    .action(async (opts: { quotes: string; batch: string; inproc: string; unbatched: string; runs: string }) => {
      let o;
      try {
        o = {
          quotes: parseNumberOption('--quotes', opts.quotes, 1, 1e9),
          batch: parseNumberOption('--batch', opts.batch, 1, 100_000),
          inprocMessages: parseNumberOption('--inproc', opts.inproc, 1, 1e9),
          unbatchedMessages: parseNumberOption('--unbatched', opts.unbatched, 1, 1e8),
          runs: parseNumberOption('--runs', opts.runs, 1, 50),
        };
      } catch (e) {
        throw new UserError((e as Error).message);
      }
      const { runBusBench } = await import('../../bus/bench.js');
      printJson(await runBusBench(o), true);
    });
}
