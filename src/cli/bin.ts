// Process entry: runs the CLI and sets the exit code. Kept apart from main.ts so tests can call main() in-process.
import { main } from './main.js';

// `manifold iv chain.csv | head` closes our stdout early: that is the reader's choice, not an error to report.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

process.exitCode = await main(process.argv.slice(2));
