import { memo } from 'react';
// Regime radar: the current state probabilities and their history.
import { Area, AreaChart, PolarAngleAxis, PolarGrid, PolarRadiusAxis, Radar, RadarChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { RegimeStream } from './api';
import { pct } from './format';

const COLORS = ['#3fb950', '#e3b341', '#f85149', '#a371f7', '#58a6ff', '#db61a2'];

export const Regime = memo(function Regime({ regime }: { regime: RegimeStream }) {
  const { now, history } = regime;
  const labels = now.labels.length ? now.labels : now.probabilities.map((_, i) => `state ${i}`);
  const radar = labels.map((label, i) => ({ label, p: now.probabilities[i] ?? 0 }));
  const hist = history.map((h) => Object.fromEntries([['date', h.date], ...labels.map((l, i) => [l, h.probabilities[i] ?? 0])]));
  return (
    <div className="regime">
      <div className="row">
        <span className="regime-now" data-testid="regime-now">
          <b style={{ color: COLORS[now.state % COLORS.length] }}>{now.label}</b> {pct(now.probabilities[now.state], 0)} · as of {now.as_of}
        </span>
      </div>
      <div className="regime-charts">
        <ResponsiveContainer width="45%" height={190}>
          <RadarChart data={radar} outerRadius="70%">
            <PolarGrid stroke="#30363d" />
            <PolarAngleAxis dataKey="label" stroke="#8b949e" fontSize={11} />
            <PolarRadiusAxis domain={[0, 1]} tick={false} axisLine={false} />
            <Radar dataKey="p" stroke="#58a6ff" fill="#58a6ff" fillOpacity={0.4} isAnimationActive={false} />
            <Tooltip contentStyle={{ background: '#161b22', border: '1px solid #30363d' }} formatter={(v: unknown) => [typeof v === 'number' ? pct(v, 1) : '–', 'probability']} />
          </RadarChart>
        </ResponsiveContainer>
        <ResponsiveContainer width="55%" height={190}>
          <AreaChart data={hist} margin={{ top: 8, right: 8, bottom: 4, left: 0 }}>
            <XAxis dataKey="date" stroke="#8b949e" fontSize={10} minTickGap={40} />
            <YAxis domain={[0, 1]} tickFormatter={(v: number) => pct(v, 0)} stroke="#8b949e" fontSize={10} width={38} />
            <Tooltip contentStyle={{ background: '#161b22', border: '1px solid #30363d' }} formatter={(v: unknown, n: unknown) => [typeof v === 'number' ? pct(v, 1) : '–', String(n)]} />
            {labels.map((l, i) => (
              <Area key={l} dataKey={l} stackId="p" stroke={COLORS[i % COLORS.length]} fill={COLORS[i % COLORS.length]} fillOpacity={0.6} isAnimationActive={false} />
            ))}
          </AreaChart>
        </ResponsiveContainer>
      </div>
    </div>
  );
});
