// Reads a Cboe quotedata CSV from disk and parses it with the pure parser in src/market/cboe.ts. This is the only
// file-reading entry point for chains, so every caller gets the same checks and the same clear errors.
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCboeChain, ChainFormatError, type CboeParseOptions, type ChainLoadReport } from '../market/cboe.js';
import type { OptionChain } from '../market/chain.js';

/** The file could not be read at all (missing, a directory, no permission, too large). */
export class ChainFileError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${path}: ${reason}`);
    this.name = 'ChainFileError';
  }
}

/** Cboe's largest full chains are ~1.6 MB; anything far larger is not one of them and is refused before reading. */
export const MAX_CHAIN_FILE_BYTES = 64 * 1024 * 1024;

export { ChainFormatError };

/** The sample chain shipped in the package (see data/PROVENANCE.md), relative to the package root. */
export const SHIPPED_CHAIN = 'data/chains/SPX_2023-04-14_eod.csv';

/**
 * Absolute path of the shipped sample chain, found from this module's location so that it works from src/ (tsx)
 * and dist/ whatever the working directory.
 */
export function shippedChainPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, SHIPPED_CHAIN);
    dir = dirname(dir);
  }
  return SHIPPED_CHAIN;
}

/**
 * Loads a chain file. Throws ChainFileError when the file cannot be read and ChainFormatError (with the file and
 * line) when its content is not a Cboe option chain; bad rows are counted in the returned report.
 */
export async function loadChainFile(path: string, opts: CboeParseOptions = {}): Promise<{ chain: OptionChain; report: ChainLoadReport }> {
  let size: number;
  try {
    const st = await stat(path);
    if (st.isDirectory()) throw new ChainFileError(path, 'is a directory, not a chain file');
    if (!st.isFile()) throw new ChainFileError(path, 'is not a regular file');
    size = st.size;
  } catch (err) {
    if (err instanceof ChainFileError) throw err;
    throw new ChainFileError(path, describeFsError(err));
  }
  if (size > MAX_CHAIN_FILE_BYTES) throw new ChainFileError(path, `file is ${size} bytes, larger than any chain (limit ${MAX_CHAIN_FILE_BYTES})`);
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new ChainFileError(path, describeFsError(err));
  }
  // Binary check on the raw bytes: a NUL byte never occurs in a CSV text file (UTF-8 or Latin-1).
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    let line = 1;
    for (let i = 0; i < nul; i++) if (bytes[i] === 10) line++;
    throw new ChainFormatError(path, line, 'binary data (NUL byte): not a CSV text file');
  }
  return parseCboeChain(bytes.toString('utf8'), path, opts);
}

function describeFsError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  switch (e?.code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory, not a chain file';
    default:
      return `cannot read: ${e?.message ?? String(err)}`;
  }
}
