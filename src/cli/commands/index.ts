// Every CLI subcommand module, in help order (run the system, analyse a chain, data in, storage, benchmarks).
// Each exports `register(program)`.
import type { Command } from 'commander';
import { register as run } from './run.js';
import { register as serve } from './serve.js';
import { register as chain } from './chain.js';
import { register as iv } from './iv.js';
import { register as greeks } from './greeks.js';
import { register as surface } from './surface.js';
import { register as gex } from './gex.js';
import { register as regime } from './regime.js';
import { register as feed } from './feed.js';
import { register as simulate } from './simulate.js';
import { register as record } from './record.js';
import { register as replay } from './replay.js';
import { register as db } from './db.js';
import { register as bench } from './bench.js';

export const commandModules: Array<(program: Command) => void> = [
  run,
  serve,
  chain,
  iv,
  greeks,
  surface,
  gex,
  regime,
  feed,
  simulate,
  record,
  replay,
  db,
  bench,
];
