// The one way CLI commands load a chain file: loader errors the user can fix (missing, unreadable, malformed file,
// a bad --as-of date) become one-line UserErrors; anything else is a bug and propagates.
import { UserError } from './errors.js';
import type { OptionChain } from '../market/chain.js';
import type { ChainLoadReport } from '../market/cboe.js';

export async function loadChainForCli(file: string, opts: { asOf?: string } = {}): Promise<{ chain: OptionChain; report: ChainLoadReport }> {
  const { loadChainFile, ChainFileError, ChainFormatError } = await import('../feed/chain-file.js');
  const { CalendarError } = await import('../market/calendar.js');
  try {
    return await loadChainFile(file, opts.asOf !== undefined ? { asOfDate: opts.asOf } : {});
  } catch (err) {
    if (err instanceof ChainFileError || err instanceof ChainFormatError) throw new UserError(err.message);
    if (err instanceof CalendarError) throw new UserError(`--as-of: ${err.message}`);
    throw err;
  }
}
