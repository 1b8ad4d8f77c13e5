/**
 * A plain-text report of the current analytics state: what `npm start` prints before it serves the dashboard,
 * and what a log-friendly (non-TTY) monitor prints. Reads only the `AnalyticsState` sections the gateway serves,
 * so the console and the dashboard always show the same numbers.
 */
import type { AnalyticsState, Section } from '../api/state.js';

const fmtMoney = (v: number): string => {
  const a = Math.abs(v);
  const s = a >= 1e9 ? `${(a / 1e9).toFixed(2)}bn` : a >= 1e6 ? `${(a / 1e6).toFixed(1)}m` : a.toFixed(0);
  return `${v < 0 ? '-' : '+'}$${s}`;
};

const pct = (v: number | null | undefined, digits = 1): string => (v === null || v === undefined || !Number.isFinite(v) ? '—' : `${v.toFixed(digits)}%`);

function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function unavailable(name: string, s: Section<unknown>): string | null {
  if (s.status === 'ok' && s.data !== null) return null;
  return `${name}: ${s.status}${s.reason ? ` (${s.reason})` : ''}`;
}

export function formatSnapshotReport(state: AnalyticsState): string {
  const out: string[] = [];
  const chain = state.chain();
  const chainNote = unavailable('chain', chain);
  if (chainNote) return chainNote;
  const c = chain.data!;
  out.push(`${c.underlying} ${c.spot}  as of ${c.as_of}  ·  ${c.contracts} contracts in ${c.expiries.length} expiries  ·  ${c.source}`);

  const iv = state.iv();
  const ivNote = unavailable('IV', iv);
  if (ivNote) out.push(ivNote);
  else {
    const t = iv.data!;
    let inverted = 0;
    const all = t.rowsOf();
    for (let j = 0; j < all.length; j++) if (Number.isFinite(t.row(all[j]).mid_iv)) inverted++;
    const fwd = t.expiries.filter((e) => e.status === 'ok' || Number.isFinite(e.forward)).length;
    out.push(`IV      ${inverted} contracts with a mid IV; parity forwards for ${fwd}/${t.expiries.length} expiries`);
  }

  const surface = state.surface();
  const surfNote = unavailable('surface', surface);
  if (surfNote) out.push(surfNote);
  else {
    const s = surface.data!.json;
    const fitted = s.slices.filter((x) => x.svi !== null);
    const rmse = fitted.map((x) => x.rmse_vol).filter((x): x is number => x !== null && Number.isFinite(x));
    const inBand = fitted.map((x) => x.in_band).filter((x): x is number => x !== null && Number.isFinite(x));
    const bflyFree = fitted.filter((x) => x.butterfly_free === true).length;
    out.push(
      `Surface ${fitted.length}/${s.slices.length} slices fitted · median RMSE ${median(rmse).toFixed(2)} vol pts · median in-band ${(100 * median(inBand)).toFixed(0)}% · butterfly-free ${bflyFree}/${fitted.length} · calendar-free ${s.calendar_free ? 'yes' : 'no'}`,
    );
    const near = fitted.slice(0, 6).map((x) => `${x.expiry}${x.settlement === 'AM' ? ' AM' : ''} atm ${pct(x.atm_vol)} rmse ${x.rmse_vol?.toFixed(2)}`);
    if (near.length) out.push(`        ${near.join(' | ')}`);
  }

  const gex = state.gex();
  const gexNote = unavailable('GEX', gex);
  if (gexNote) out.push(gexNote);
  else {
    const g = gex.data!;
    const flip = g.flip === null ? 'none' : `${g.flip.toFixed(1)} (${(((g.flip - g.spot) / g.spot) * 100).toFixed(2)}% from spot)`;
    out.push(
      `GEX     total ${fmtMoney(g.total_gex)} per 1% move (${g.model}) · flip ${flip} · call wall ${g.call_wall ?? '—'} · put wall ${g.put_wall ?? '—'} · abs-gamma strike ${g.abs_gamma_strike ?? '—'}`,
    );
  }

  const regime = state.regime();
  const regNote = unavailable('regime', regime);
  if (regNote) out.push(regNote);
  else {
    const r = regime.data!.now;
    const probs = r.labels.map((l, i) => `${l} ${(100 * r.probabilities[i]).toFixed(0)}%`).join(', ');
    out.push(`Regime  ${r.label} as of ${r.as_of} (filtered: ${probs})`);
  }
  return out.join('\n');
}
