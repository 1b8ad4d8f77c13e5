import type { Command } from 'commander';
import { benchModules } from '../bench/index.js';

/** `manifold bench <what>`: each benchmark prints exactly one JSON line on stdout. */
export function register(program: Command): void {
  const bench = program
    .command('bench')
    .description('run a benchmark; each prints one JSON line (see docs/BENCHMARKS.md)');
  for (const registerBench of benchModules) registerBench(bench);
}
