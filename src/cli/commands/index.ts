// Every CLI subcommand module, in help order. Each exports `register(program)`.
import type { Command } from 'commander';
import { register as chain } from './chain.js';
import { register as bench } from './bench.js';

export const commandModules: Array<(program: Command) => void> = [chain, bench];
