/**
 * Positioning models: the assumption that turns open interest (unsigned) into a dealer position (signed).
 *
 * GEX is only as good as this assumption, and the tools traders use rarely say which one they make. Here it is an
 * explicit, selectable input and every output names it.
 *
 * - `naive` (default, the SqueezeMetrics convention): customers sell calls (overwriting) and buy puts (hedging), so
 *   dealers are LONG calls and SHORT puts: position = +OI for calls, −OI for puts.
 * - `all-short`: dealers are short everything customers hold (position = −OI), as some single-stock models assume.
 * - `flow`: a hook for the trade feed. The caller supplies the dealer's signed position per chain row (contracts;
 *   + long, − short; NaN = unknown), e.g. inferred from trade-vs-quote classification. Rows without a known
 *   position fall back to the model named in `fallback` (or are left out, if `fallback` is 'exclude').
 */
/** Right codes, identical to `market/chain.ts` (quant may not import market). */
export const RIGHT_CALL = 0;
export const RIGHT_PUT = 1;

export type NamedModel = 'naive' | 'all-short';

export interface FlowPositioning {
  kind: 'flow';
  /** Dealer position per chain row (same indexing as the chain), signed contracts; NaN = unknown. */
  dealerContracts: Float64Array;
  /** What to do for rows whose flow position is unknown. */
  fallback: NamedModel | 'exclude';
  /** Free-text description of where the positions came from (echoed in the output). */
  source?: string;
}

export type PositioningModel = { kind: NamedModel } | FlowPositioning;

export const MODEL_NAMES: readonly NamedModel[] = ['naive', 'all-short'];

/** Dealer sign for a named model: +1 long, −1 short. */
export function namedSign(model: NamedModel, right: number): number {
  if (model === 'all-short') return -1;
  return right === RIGHT_CALL ? 1 : -1;
}

/**
 * Dealer position (signed contracts) for one chain row, or NaN when the model cannot say (flow row without data and
 * fallback 'exclude'). `openInterest` must already be a positive finite number.
 */
export function dealerPosition(model: PositioningModel, row: number, right: number, openInterest: number): number {
  if (model.kind === 'flow') {
    const q = model.dealerContracts[row];
    if (Number.isFinite(q)) return q;
    if (model.fallback === 'exclude') return NaN;
    return namedSign(model.fallback, right) * openInterest;
  }
  return namedSign(model.kind, right) * openInterest;
}

/** Short label for outputs (`naive`, `all-short`, `flow`). */
export function modelLabel(model: PositioningModel): string {
  return model.kind;
}

/** One-line statement of the convention, printed with every result. */
export function modelDescription(model: PositioningModel): string {
  switch (model.kind) {
    case 'naive':
      return 'naive: dealers long calls (+OI), short puts (−OI) — the SqueezeMetrics convention';
    case 'all-short':
      return 'all-short: dealers short every contract (−OI)';
    case 'flow':
      return `flow-signed: dealer positions supplied per contract${model.source ? ` (${model.source})` : ''}; unknown rows: ${model.fallback}`;
  }
}
