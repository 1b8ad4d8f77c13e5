// Smile slice (the selected expiry's SVI fit against its bid/ask/mid quotes) and term structure (ATM vol and ATM
// skew dσ/dk across expiries, both from the fitted parameters).
import { memo, useMemo } from 'react';
import { CartesianGrid, ComposedChart, ErrorBar, Legend, Line, LineChart, ResponsiveContainer, Scatter, Tooltip, XAxis, YAxis } from 'recharts';
import { sviW, sviW1 } from '../../src/quant/svi/raw';
import type { SliceQuotes, SurfaceJson } from './types';
import { num, pct } from './format';
import { sliceFlags } from './Surface3D';

export const Smile = memo(function Smile({ surface, quotes, selected, onSelect }: { surface: SurfaceJson; quotes: SliceQuotes[] | null; selected: number; onSelect: (i: number) => void }) {
  const s = surface.slices[selected] ?? surface.slices[0];
  const q = quotes?.[selected];
  const flags = useMemo(() => sliceFlags(surface), [surface]);
  const flag = flags[selected] ?? null;
  const data = useMemo(() => {
    if (!s || !s.svi) return { fit: [], pts: [] };
    const svi = s.svi;
    const ks = q && q.k.length ? q.k : [-0.2, 0.1];
    const lo = Math.min(...ks);
    const hi = Math.max(...ks);
    const pad = (hi - lo) * 0.05 + 0.005;
    const fit = [];
    for (let i = 0; i <= 80; i++) {
      const k = lo - pad + ((hi - lo + 2 * pad) * i) / 80;
      const w = sviW(svi, k);
      fit.push({ k, fit: w > 0 ? Math.sqrt(w / s.t) : null });
    }
    const pts = q
      ? q.k.map((k, i) => {
          const mid = q.mid_iv[i];
          const bid = q.bid_iv[i];
          const ask = q.ask_iv[i];
          return { k, mid, err: mid !== null && bid !== null && ask !== null ? [mid - bid, ask - mid] : [0, 0], strike: q.strike[i] };
        })
      : [];
    return { fit, pts };
  }, [s, q]);
  if (!s) return <div className="empty">No slices in the surface.</div>;
  return (
    <div className="smile">
      <div className="row">
        <label>
          Expiry{' '}
          <select data-testid="smile-expiry" value={selected} onChange={(e) => onSelect(Number(e.target.value))}>
            {surface.slices.map((x, i) => (
              <option key={i} value={i}>
                {x.expiry} {x.root ?? ''} {x.settlement} ({Math.round(x.t * 365)} d){x.svi ? '' : ` — ${x.status ?? 'not fitted'}`}{flags[i]?.flagged ? ' ⚠' : ''}
              </option>
            ))}
          </select>
        </label>
        <span className="stat" data-testid="smile-stats">
          ATM {num(s.atm_vol, 2)}% · RMSE {num(s.rmse_vol, 2)} vol pts · in band {pct(s.in_band, 0)} · {s.quotes} quotes · F {num(s.forward, 2)}
        </span>
      </div>
      {flag?.flagged ? <div className="warn">⚠ {flag.why.join(', ')}</div> : null}
      {!s.svi ? <div className="warn">This slice has no fit: {String(s.message ?? s.status ?? 'not fitted')}</div> : null}
      <ResponsiveContainer width="100%" height={210}>
        <ComposedChart margin={{ top: 8, right: 12, bottom: 4, left: 0 }}>
          <CartesianGrid stroke="#21262d" />
          <XAxis dataKey="k" type="number" domain={['dataMin', 'dataMax']} tickFormatter={(v: number) => v.toFixed(2)} stroke="#8b949e" fontSize={11} />
          <YAxis type="number" tickFormatter={(v: number) => pct(v, 0)} stroke="#8b949e" fontSize={11} width={44} domain={['auto', 'auto']} />
          <Tooltip
            contentStyle={{ background: '#161b22', border: '1px solid #30363d' }}
            formatter={(v: unknown, name: unknown) => [typeof v === 'number' ? pct(v, 2) : String(v), String(name)]}
            labelFormatter={(v: unknown) => `k = ${typeof v === 'number' ? v.toFixed(3) : String(v)}`}
          />
          <Legend wrapperStyle={{ fontSize: 11 }} />
          <Line data={data.fit} dataKey="fit" name="SVI fit" dot={false} stroke="#58a6ff" strokeWidth={2} isAnimationActive={false} />
          <Scatter data={data.pts} dataKey="mid" name="market mid (bid/ask bars)" fill="#f0f6fc" isAnimationActive={false} shape="circle" legendType="circle">
            <ErrorBar dataKey="err" direction="y" stroke="#8b949e" width={0} />
          </Scatter>
        </ComposedChart>
      </ResponsiveContainer>
    </div>
  );
});

export const TermStructure = memo(function TermStructure({ surface }: { surface: SurfaceJson }) {
  const data = useMemo(
    () =>
      surface.slices
        .filter((s) => s.t > 0 && s.svi !== null)
        .map((s) => {
          const svi = s.svi!;
          const w = sviW(svi, 0);
          // dσ/dk at k = 0 from σ = √(w/T): σ' = w' / (2 √(w T)).
          const skew = w > 0 ? sviW1(svi, 0) / (2 * Math.sqrt(w * s.t)) : null;
          return { t: s.t, days: Math.round(s.t * 365), atm: w > 0 ? Math.sqrt(w / s.t) : null, skew, label: `${s.expiry} ${s.root ?? ''} ${s.settlement}` };
        }),
    [surface],
  );
  return (
    <ResponsiveContainer width="100%" height={170}>
      <LineChart data={data} margin={{ top: 8, right: 4, bottom: 4, left: 0 }}>
        <CartesianGrid stroke="#21262d" />
        <XAxis dataKey="t" type="number" scale="sqrt" domain={['dataMin', 'dataMax']} tickFormatter={(v: number) => (v < 1 / 12 ? `${Math.round(v * 365)}d` : v < 1 ? `${Math.round(v * 12)}m` : `${v.toFixed(1)}y`)} stroke="#8b949e" fontSize={11} />
        <YAxis yAxisId="atm" tickFormatter={(v: number) => pct(v, 0)} stroke="#58a6ff" fontSize={11} width={44} domain={['auto', 'auto']} />
        <YAxis yAxisId="skew" orientation="right" tickFormatter={(v: number) => v.toFixed(2)} stroke="#f78166" fontSize={11} width={44} domain={['auto', 'auto']} />
        <Tooltip
          contentStyle={{ background: '#161b22', border: '1px solid #30363d' }}
          labelFormatter={(_v: unknown, p: readonly { payload?: { label?: string; days?: number } }[]) => (p?.[0]?.payload ? `${p[0].payload.label} (${p[0].payload.days} d)` : '')}
          formatter={(v: unknown, name: unknown) => [typeof v === 'number' ? (name === 'ATM vol' ? pct(v, 2) : v.toFixed(3)) : '–', String(name)]}
        />
        <Legend wrapperStyle={{ fontSize: 11 }} />
        <Line yAxisId="atm" dataKey="atm" name="ATM vol" stroke="#58a6ff" dot={{ r: 2 }} isAnimationActive={false} />
        <Line yAxisId="skew" dataKey="skew" name="ATM skew dσ/dk" stroke="#f78166" dot={{ r: 2 }} isAnimationActive={false} />
      </LineChart>
    </ResponsiveContainer>
  );
});
