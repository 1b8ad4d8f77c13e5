// Loading for `manifold gex` and `manifold bench gex`: chain file → chain → our chain IV (→ optional surface).
import { UserError } from './errors.js';
import { loadChainForCli } from './chain-input.js';
import type { OptionChain } from '../market/chain.js';
import type { ChainIv } from '../analytics/chain-iv-types.js';
import type { SurfaceVolQuery } from '../analytics/gex.js';

export interface GexInputs {
  chain: OptionChain;
  chainIv: ChainIv;
  surface: SurfaceVolQuery | null;
  /** Why there is no surface, when one was asked for. */
  surfaceNote: string | null;
}

/** Load a chain file for a command (kept under this name for the commands that import it from here). */
export async function loadChainOrUserError(file: string): Promise<OptionChain> {
  return (await loadChainForCli(file)).chain;
}

export async function prepareGexInputs(file: string, opts: { surface: boolean }): Promise<GexInputs> {
  const chain = await loadChainOrUserError(file);
  if (chain.size === 0) throw new UserError(`${file}: the chain has no contracts`);
  const { computeChainIv } = await import('../analytics/chain-iv.js');
  const chainIv = computeChainIv(chain);
  let surface: SurfaceVolQuery | null = null;
  let surfaceNote: string | null = null;
  if (opts.surface) {
    const fitted = await fitSurfaceQuery(chain, chainIv);
    surface = fitted.surface;
    surfaceNote = fitted.note;
  }
  return { chain, chainIv, surface, surfaceNote };
}

/**
 * Fit the chain's surface and expose it as GEX's vol query: the expiry's own raw SVI slice when it was fitted
 * (closest to that expiry's quotes), else the calendar-free eSSVI surface at that T. A failed fit is not an error
 * for GEX: it only means contracts without a usable quote IV are left out, and the output says so.
 */
async function fitSurfaceQuery(chain: OptionChain, chainIv: ChainIv): Promise<{ surface: SurfaceVolQuery | null; note: string | null }> {
  const { fitSurface } = await import('../analytics/surface.js');
  const { sviW } = await import('../quant/svi/raw.js');
  let fit;
  try {
    fit = fitSurface(chain, chainIv);
  } catch (err) {
    return { surface: null, note: `surface fit failed (${(err as Error).message}): contracts without a usable quote IV are left out` };
  }
  const bySlice = new Map<number, { a: number; b: number; rho: number; m: number; sigma: number }>();
  for (const s of fit.slices) if (s.svi) bySlice.set(s.expiryIndex, s.svi);
  const essviNodes = fit.query.nodes.length;
  if (bySlice.size === 0 && essviNodes === 0) {
    return { surface: null, note: 'no surface could be fitted (no slice with enough quotes): contracts without a usable quote IV are left out' };
  }
  const surface: SurfaceVolQuery = {
    volAt(k: number, t: number, expiryIndex?: number): number {
      const p = expiryIndex === undefined ? undefined : bySlice.get(expiryIndex);
      if (p) {
        const w = sviW(p, k);
        return w > 0 ? Math.sqrt(w / t) : NaN;
      }
      return essviNodes > 0 ? fit.query.vol(k, t) : NaN;
    },
  };
  return { surface, note: null };
}
