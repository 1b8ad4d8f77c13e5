/**
 * What the console monitor shows, derived from an `AnalyticsState` (the same sections the gateway serves, so the
 * console and the dashboard never disagree): GEX meter, SVI panel, feed health, regime, pipeline stages. Pure data;
 * the ink view and the one-line log format both render it.
 */
import type { AnalyticsState, StageHealth } from '../api/state.js';

export interface GexMeter {
  spot: number;
  total: number;
  model: string;
  flip: number | null;
  /** (flip − spot) / spot, percent. */
  flipDistancePct: number | null;
  callWall: number | null;
  putWall: number | null;
  ageMs: number | null;
}

export interface SviRow {
  expiry: string;
  settlement: string;
  quotes: number;
  rmse: number | null;
  inBand: number | null;
  butterflyFree: boolean | null;
  atmVol: number | null;
}

export interface MonitorModel {
  underlying: string;
  asOf: string;
  contracts: number;
  gex: GexMeter | null;
  gexReason?: string;
  svi: { rows: SviRow[]; fitted: number; total: number; calendarFree: boolean; refitAgeMs: number | null } | null;
  sviReason?: string;
  feed: {
    source: string;
    status: string;
    msgRate: number;
    latencyP50Ms: number | null;
    gaps: number;
    gapTotalMs: number;
    reconnects: number;
    outages: number;
    lastMessageAgeMs: number | null;
  } | null;
  regime: {
    label: string;
    asOf: string;
    probs: Array<{ label: string; p: number }>;
    /** Provisional intraday state from the live VIX (null: none, see `intradayReason`). */
    intraday: { label: string; vix: number; source: string; probs: Array<{ label: string; p: number }> } | null;
    intradayReason?: string;
  } | null;
  regimeReason?: string;
  stages: StageHealth[];
}

function num(x: unknown): number | null {
  return typeof x === 'number' && Number.isFinite(x) ? x : null;
}

export function monitorModel(state: AnalyticsState, now = Date.now()): MonitorModel {
  const chain = state.chain().data;
  const g = state.gex();
  const s = state.surface();
  const h = state.health().data;
  const r = state.regime();
  const m: MonitorModel = {
    underlying: chain?.underlying ?? '—',
    asOf: chain?.as_of ?? '—',
    contracts: chain?.contracts ?? 0,
    gex: null,
    svi: null,
    feed: null,
    regime: null,
    stages: h?.pipeline ?? [],
  };
  if (g.data) {
    const d = g.data;
    m.gex = {
      spot: d.spot,
      total: d.total_gex,
      model: d.model,
      flip: d.flip,
      flipDistancePct: d.flip === null ? null : ((d.flip - d.spot) / d.spot) * 100,
      callWall: d.call_wall,
      putWall: d.put_wall,
      ageMs: g.updatedAt === null ? null : now - g.updatedAt,
    };
  }
  if (g.status !== 'ok') m.gexReason = `${g.status}${g.reason ? `: ${g.reason}` : ''}`;
  if (s.data) {
    const j = s.data.json;
    const refit = num(j.refit_at) ?? s.updatedAt;
    m.svi = {
      rows: j.slices.map((x) => ({
        expiry: x.expiry,
        settlement: x.settlement,
        quotes: x.quotes,
        rmse: x.rmse_vol,
        inBand: x.in_band,
        butterflyFree: x.butterfly_free,
        atmVol: x.atm_vol,
      })),
      fitted: j.slices.filter((x) => x.svi !== null).length,
      total: j.slices.length,
      calendarFree: j.calendar_free,
      refitAgeMs: refit === null ? null : now - refit,
    };
  }
  if (s.status !== 'ok') m.sviReason = `${s.status}${s.reason ? `: ${s.reason}` : ''}`;
  if (h) {
    const f = h.feed as typeof h.feed & Record<string, unknown>;
    m.feed = {
      source: f.source,
      status: f.status,
      msgRate: f.msg_rate,
      latencyP50Ms: num(f.exchange_to_receive_p50_ms),
      gaps: f.gaps,
      gapTotalMs: num(f.gap_total_ms) ?? 0,
      reconnects: f.reconnects,
      outages: num(f.outages) ?? 0,
      lastMessageAgeMs: null,
    };
  }
  if (r.data) {
    const n = r.data.now;
    const i = n.intraday;
    m.regime = {
      label: n.label,
      asOf: n.as_of,
      probs: n.labels.map((l, j) => ({ label: l, p: n.probabilities[j] })),
      intraday: i ? { label: i.label, vix: i.vix, source: i.vix_source, probs: i.labels.map((l, j) => ({ label: l, p: i.probabilities[j] })) } : null,
      intradayReason: n.intraday_reason,
    };
  }
  if (r.status !== 'ok') m.regimeReason = `${r.status}${r.reason ? `: ${r.reason}` : ''}`;
  return m;
}

/** $ with sign and a scale suffix: +$22.46bn. */
export function fmtMoney(v: number): string {
  const a = Math.abs(v);
  const s = a >= 1e9 ? `${(a / 1e9).toFixed(2)}bn` : a >= 1e6 ? `${(a / 1e6).toFixed(1)}m` : a >= 1e3 ? `${(a / 1e3).toFixed(1)}k` : a.toFixed(0);
  return `${v < 0 ? '-' : '+'}$${s}`;
}

export function fmtAge(ms: number | null): string {
  if (ms === null) return '—';
  return ms < 1000 ? `${Math.round(ms)}ms` : ms < 120_000 ? `${(ms / 1000).toFixed(1)}s` : `${Math.round(ms / 60_000)}m`;
}

const median = (xs: number[]): number | null => {
  if (xs.length === 0) return null;
  const a = [...xs].sort((x, y) => x - y);
  const h = a.length >> 1;
  return a.length % 2 ? a[h] : (a[h - 1] + a[h]) / 2;
};

/** One line per interval for logs (the non-TTY monitor). */
export function summaryLine(m: MonitorModel, now = new Date()): string {
  const parts: string[] = [now.toISOString().slice(11, 19)];
  if (m.gex) {
    const g = m.gex;
    const flip = g.flip === null ? 'flip none' : `flip ${g.flip.toFixed(1)} (${g.flipDistancePct! >= 0 ? '+' : ''}${g.flipDistancePct!.toFixed(2)}%)`;
    parts.push(`${m.underlying} ${g.spot.toFixed(2)}`, `GEX ${fmtMoney(g.total)}/1% ${flip} walls C ${g.callWall ?? '—'} P ${g.putWall ?? '—'}`);
  } else parts.push(`GEX ${m.gexReason ?? 'pending'}`);
  if (m.svi) {
    const rm = median(m.svi.rows.map((r) => r.rmse).filter((x): x is number => x !== null));
    const bad = m.svi.rows.filter((r) => r.butterflyFree === false).length;
    parts.push(`SVI ${m.svi.fitted}/${m.svi.total} rmse ${rm === null ? '—' : rm.toFixed(2)} arb ${bad}${m.svi.calendarFree ? '' : '+cal'} refit ${fmtAge(m.svi.refitAgeMs)} ago`);
  } else parts.push(`SVI ${m.sviReason ?? 'pending'}`);
  if (m.feed) parts.push(`feed ${m.feed.status} ${Math.round(m.feed.msgRate)} msg/s gaps ${m.feed.gaps} reconnects ${m.feed.reconnects}`);
  if (m.regime) parts.push(`regime ${m.regime.label} ${m.regime.probs.map((p) => `${p.label} ${(100 * p.p).toFixed(0)}%`).join(' ')}`);
  if (m.regime?.intraday) parts.push(`intraday ${m.regime.intraday.label} (VIX ${m.regime.intraday.vix.toFixed(2)})`);
  else parts.push(`regime ${m.regimeReason ?? 'pending'}`);
  const errs = m.stages.reduce((a, s) => a + s.errors, 0);
  if (errs) parts.push(`stage errors ${errs}`);
  return parts.join(' | ');
}
