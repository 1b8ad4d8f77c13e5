// GEX profile: call, put and net GEX by strike near spot with spot/flip lines and the walls labelled, and total GEX
// as a function of a hypothetical spot.
import { memo, useMemo } from 'react';
import { Bar, CartesianGrid, ComposedChart, Legend, Line, LineChart, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { GexJson } from './types';
import { money, num } from './format';

const WINDOW = 0.08;

export const Gex = memo(function Gex({ gex }: { gex: GexJson }) {
  const strikes = useMemo(() => {
    const lo = gex.spot * (1 - WINDOW);
    const hi = gex.spot * (1 + WINDOW);
    return gex.by_strike.filter((x) => x.strike >= lo && x.strike <= hi);
  }, [gex]);
  const sign = gex.total_gex >= 0 ? 'positive' : 'negative';
  const tip = { contentStyle: { background: '#161b22', border: '1px solid #30363d' }, formatter: (v: unknown, n: unknown) => [typeof v === 'number' ? money(v) : '–', String(n)] as [string, string] };
  return (
    <div className="gex">
      <div className="kpis" data-testid="gex-kpis">
        <div className={`kpi ${sign}`}>
          <span>total GEX</span>
          <b data-testid="gex-total">{money(gex.total_gex)}</b>
          <small>per 1% move · {gex.model}</small>
        </div>
        <div className="kpi">
          <span>spot</span>
          <b>{num(gex.spot, 2)}</b>
        </div>
        <div className="kpi">
          <span>flip</span>
          <b data-testid="gex-flip">{num(gex.flip, 0)}</b>
          <small>{gex.flip !== null ? `${(((gex.flip - gex.spot) / gex.spot) * 100).toFixed(2)}% from spot` : 'no sign change'}</small>
        </div>
        <div className="kpi">
          <span>call wall</span>
          <b>{num(gex.call_wall, 0)}</b>
        </div>
        <div className="kpi">
          <span>put wall</span>
          <b>{num(gex.put_wall, 0)}</b>
        </div>
      </div>
      <ResponsiveContainer width="100%" height={220}>
        <ComposedChart data={strikes} margin={{ top: 16, right: 8, bottom: 4, left: 4 }} barGap={0}>
          <CartesianGrid stroke="#21262d" />
          <XAxis dataKey="strike" type="number" domain={['dataMin', 'dataMax']} stroke="#8b949e" fontSize={11} />
          <YAxis tickFormatter={(v: number) => money(v)} stroke="#8b949e" fontSize={11} width={60} />
          <Tooltip {...tip} labelFormatter={(v: unknown) => `strike ${String(v)}`} />
          <Legend wrapperStyle={{ fontSize: 11 }} />
          <Bar dataKey="call_gex" name="call" fill="#3fb950" isAnimationActive={false} />
          <Bar dataKey="put_gex" name="put" fill="#f85149" isAnimationActive={false} />
          <Line dataKey="net_gex" name="net" stroke="#e3b341" dot={false} strokeWidth={2} isAnimationActive={false} />
          <ReferenceLine x={gex.spot} stroke="#f0f6fc" strokeDasharray="4 3" label={{ value: `spot ${gex.spot.toFixed(0)}`, fill: '#f0f6fc', fontSize: 11, position: 'top' }} />
          {gex.flip !== null ? <ReferenceLine x={gex.flip} stroke="#a371f7" label={{ value: `flip ${gex.flip.toFixed(0)}`, fill: '#a371f7', fontSize: 11, position: 'insideTopLeft' }} /> : null}
          {gex.call_wall !== null ? <ReferenceLine x={gex.call_wall} stroke="#3fb950" strokeDasharray="2 2" label={{ value: `call wall ${gex.call_wall}`, fill: '#3fb950', fontSize: 11, position: 'insideBottomLeft' }} /> : null}
          {gex.put_wall !== null ? <ReferenceLine x={gex.put_wall} stroke="#f85149" strokeDasharray="2 2" label={{ value: `put wall ${gex.put_wall}`, fill: '#f85149', fontSize: 11, position: 'insideBottomRight' }} /> : null}
        </ComposedChart>
      </ResponsiveContainer>
      <h3>GEX vs hypothetical spot</h3>
      <ResponsiveContainer width="100%" height={150}>
        <LineChart data={gex.profile} margin={{ top: 8, right: 8, bottom: 4, left: 4 }}>
          <CartesianGrid stroke="#21262d" />
          <XAxis dataKey="spot" type="number" domain={['dataMin', 'dataMax']} tickFormatter={(v: number) => v.toFixed(0)} stroke="#8b949e" fontSize={11} />
          <YAxis tickFormatter={(v: number) => money(v)} stroke="#8b949e" fontSize={11} width={60} />
          <Tooltip {...tip} labelFormatter={(v: unknown) => `spot ${typeof v === 'number' ? v.toFixed(1) : String(v)}`} />
          <ReferenceLine y={0} stroke="#484f58" />
          <ReferenceLine x={gex.spot} stroke="#f0f6fc" strokeDasharray="4 3" />
          {gex.flip !== null ? <ReferenceLine x={gex.flip} stroke="#a371f7" /> : null}
          <Line dataKey="gex" name="total GEX" stroke="#e3b341" dot={false} strokeWidth={2} isAnimationActive={false} />
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
});
