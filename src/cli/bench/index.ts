// Every `manifold bench <name>` subcommand module. Each exports `register(bench)`.
import type { Command } from 'commander';
import { register as busBench } from './bus.js';
import { register as storeBench } from './store.js';
import { register as gexBench } from './gex.js';
import { register as regimeBench } from './regime.js';
import { register as greeksBench } from './greeks.js';
import { register as marketBench } from './market.js';
import { register as feedBench } from './feed.js';
import { register as surfaceBench } from './surface.js';
import { register as pipelineBench } from './pipeline.js';

export const benchModules: Array<(bench: Command) => void> = [busBench, storeBench, gexBench, regimeBench, greeksBench, marketBench, feedBench, surfaceBench, pipelineBench];
