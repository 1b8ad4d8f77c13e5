// Process entry: runs the CLI and sets the exit code. Kept apart from main.ts so tests can call main() in-process.
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2));
