import type { Command } from 'commander';
import type { LiveFeedOpts } from './feed.js';

export function register(program: Command): void {
  program
    .command('record')
    .description('run the live feed and record its raw frames (compressed, append-only, crash-safe blocks)')
    .argument('<file>', 'recording to create (must not exist)')
    .requiredOption('--underlying <symbol>', 'underlying, e.g. SPY or SPX')
    .option('--simulator <url>', 'record from a `manifold simulate` server instead of Massive')
    .option('--interval <s>', 'seconds between stats lines', '1')
    .option('--duration <s>', 'stop after this many seconds')
    .option('--max-contracts <n>', 'option quote contracts to subscribe around spot (≤ 1000)')
    .option('--json', 'stats as JSON lines')
    .action(async (file: string, o: LiveFeedOpts) => {
      const { existsSync } = await import('node:fs');
      const { UserError } = await import('../errors.js');
      if (existsSync(file)) throw new UserError(`${file} already exists; recordings are never overwritten`);
      const { runLiveFeed } = await import('./feed.js');
      await runLiveFeed(o, file);
    });
}
