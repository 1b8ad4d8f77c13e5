/**
 * Late binding to the analytics modules the chain-file provider needs (chain loader, chain IV, surface, GEX, regime).
 * They are imported lazily (the gateway must start fast, and `manifold serve --help` must not load three.js-sized
 * numerics), and a missing or incompatible module makes only its own section `unavailable` with the reason, instead
 * of taking the whole gateway down.
 */

export class ModuleUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModuleUnavailable';
  }
}

/**
 * Import `../<rel>.js` (relative to this file) and return it, or throw ModuleUnavailable when the file is absent.
 * Any other failure (a syntax or runtime error inside the module) propagates as is: that is a bug, not absence.
 */
export async function importModule(rel: string): Promise<Record<string, unknown>> {
  const url = new URL(`../${rel}.js`, import.meta.url).href;
  try {
    return (await import(url)) as Record<string, unknown>;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err?.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes(rel.split('/').pop() as string)) {
      throw new ModuleUnavailable(`module src/${rel}.ts is not available`);
    }
    throw e;
  }
}

/** Pick a named function export or explain which one is missing. */
export function fn<T extends (...args: never[]) => unknown>(mod: Record<string, unknown>, rel: string, name: string): T {
  const f = mod[name];
  if (typeof f !== 'function') throw new ModuleUnavailable(`src/${rel}.ts does not export ${name}()`);
  return f as T;
}
