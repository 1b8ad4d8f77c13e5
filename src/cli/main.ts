// The `manifold` command line. Each subcommand lives in ./commands/<name>.ts and registers itself here;
// heavy modules are imported inside the action handlers so that `manifold --help` stays fast.
import { Command, CommanderError } from 'commander';
import { UserError } from './errors.js';
import { VERSION } from '../version.js';
import { commandModules } from './commands/index.js';

export function buildProgram(): Command {
  const program = new Command('manifold')
    .description('Real-time options analytics: IV and Greeks, SVI surfaces, GEX, regimes, live pipeline.')
    .version(VERSION, '-V, --version', 'print the version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  for (const register of commandModules) register(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander already printed help/version/usage messages; only map the code.
      return err.exitCode === 0 ? 0 : 2;
    }
    if (err instanceof UserError) {
      process.stderr.write(`manifold: ${err.message}\n`);
      return err.exitCode;
    }
    const e = err as Error;
    process.stderr.write(`manifold: internal error: ${e?.message ?? String(err)}\n`);
    if (process.env.MANIFOLD_DEBUG) process.stderr.write(`${e?.stack ?? ''}\n`);
    return 1;
  }
}
