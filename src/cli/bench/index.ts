// Every `manifold bench <name>` subcommand module. Each exports `register(bench)`.
import type { Command } from 'commander';

export const benchModules: Array<(bench: Command) => void> = [];
