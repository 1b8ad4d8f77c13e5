/**
 * The console monitor (ink): GEX meter, SVI panel, feed health, regime, pipeline stages. It re-reads the state a
 * few times a second; ink redraws only the lines that changed, so the screen does not flicker.
 */
import { Box, Text } from 'ink';
import { useEffect, useState } from 'react';
import type { AnalyticsState } from '../api/state.js';
import { fmtAge, fmtMoney, monitorModel, type MonitorModel } from './model.js';

const pct = (v: number | null, d = 1) => (v === null ? '—' : `${v.toFixed(d)}%`);

/** A horizontal meter: GEX as a bar from the centre, scaled to the largest magnitude seen so far. */
function bar(value: number, scale: number, half = 20): string {
  const n = scale > 0 ? Math.min(half, Math.round((Math.abs(value) / scale) * half)) : 0;
  const left = value < 0 ? ' '.repeat(half - n) + '█'.repeat(n) : ' '.repeat(half);
  const right = value > 0 ? '█'.repeat(n) + ' '.repeat(half - n) : ' '.repeat(half);
  return `${left}│${right}`;
}

function GexPanel({ m, scale }: { m: MonitorModel; scale: number }) {
  const g = m.gex;
  if (!g) return <Text color="yellow">GEX {m.gexReason ?? 'waiting for the first cycle'}</Text>;
  const color = g.total >= 0 ? 'green' : 'red';
  return (
    <Box flexDirection="column">
      <Text>
        <Text bold>GEX </Text>
        <Text color={color} bold>{fmtMoney(g.total)}</Text> per 1% move ({g.model}) · {g.total >= 0 ? 'long gamma: dealers damp moves' : 'short gamma: dealers chase moves'}
      </Text>
      <Text color={color}>{bar(g.total, scale)}</Text>
      <Text>
        spot <Text bold>{g.spot.toFixed(2)}</Text> · flip {g.flip === null ? 'none in range' : `${g.flip.toFixed(1)} (${g.flipDistancePct! >= 0 ? '+' : ''}${g.flipDistancePct!.toFixed(2)}% from spot)`} · call wall {g.callWall ?? '—'} · put wall{' '}
        {g.putWall ?? '—'} · age {fmtAge(g.ageMs)}
      </Text>
    </Box>
  );
}

function SviPanel({ m }: { m: MonitorModel }) {
  const s = m.svi;
  if (!s) return <Text color="yellow">SVI {m.sviReason ?? 'waiting for the first fit'}</Text>;
  const rows = s.rows.slice(0, 8);
  return (
    <Box flexDirection="column">
      <Text>
        <Text bold>SVI </Text>
        {s.fitted}/{s.total} slices fitted · calendar-free {s.calendarFree ? 'yes' : <Text color="red">no</Text>} · last refit {fmtAge(s.refitAgeMs)} ago
      </Text>
      <Text dimColor>{'expiry        quotes   RMSE  in-band  ATM vol  arbitrage'}</Text>
      {rows.map((r) => (
        <Text key={`${r.expiry}${r.settlement}`}>
          {`${r.expiry} ${r.settlement}`.padEnd(14)}
          {String(r.quotes).padStart(6)}
          {(r.rmse === null ? '—' : r.rmse.toFixed(2)).padStart(7)}
          {pct(r.inBand === null ? null : 100 * r.inBand, 0).padStart(9)}
          {pct(r.atmVol).padStart(9)}
          {'  '}
          {r.butterflyFree === false ? <Text color="red">butterfly</Text> : r.butterflyFree === null ? <Text dimColor>not fitted</Text> : <Text color="green">none</Text>}
        </Text>
      ))}
    </Box>
  );
}

function FeedPanel({ m }: { m: MonitorModel }) {
  const f = m.feed;
  if (!f) return <Text color="yellow">feed: no health yet</Text>;
  const color = f.status === 'live' ? 'green' : f.status === 'down' ? 'red' : 'yellow';
  return (
    <Text>
      <Text bold>Feed </Text>
      <Text color={color} bold>{f.status.toUpperCase()}</Text> {f.source} · {Math.round(f.msgRate)} msg/s · latency p50 {f.latencyP50Ms === null ? '—' : `${f.latencyP50Ms.toFixed(1)}ms`} · gaps {f.gaps}
      {f.gapTotalMs ? ` (${fmtAge(f.gapTotalMs)})` : ''} · reconnects {f.reconnects} · outages {f.outages}
    </Text>
  );
}

function RegimePanel({ m }: { m: MonitorModel }) {
  const r = m.regime;
  if (!r) return <Text color="yellow">Regime {m.regimeReason ?? 'computing'}</Text>;
  return (
    <Text>
      <Text bold>Regime </Text>
      <Text bold>{r.label}</Text> as of {r.asOf} ·{' '}
      {r.probs.map((p) => `${p.label} ${(100 * p.p).toFixed(0)}%`).join('  ')}
      {r.intraday ? (
        <Text>
          {' '}· intraday <Text bold>{r.intraday.label}</Text> (VIX {r.intraday.vix.toFixed(2)} {r.intraday.source === 'chain' ? 'from the SPX chain' : 'feed'}){' '}
          {r.intraday.probs.map((p) => `${p.label} ${(100 * p.p).toFixed(0)}%`).join('  ')}
        </Text>
      ) : null}
    </Text>
  );
}

function StagesPanel({ m }: { m: MonitorModel }) {
  return (
    <Text dimColor>
      stages:{' '}
      {m.stages
        .map((s) => `${s.name} ${s.rate.toFixed(1)}/s ${s.last_ms === null ? '—' : `${s.last_ms.toFixed(0)}ms`}${s.errors ? ` ${s.errors} err` : ''}`)
        .join(' · ')}
    </Text>
  );
}

export function MonitorApp({ state, refreshMs = 250, footer }: { state: AnalyticsState; refreshMs?: number; footer?: string }) {
  const [m, setM] = useState<MonitorModel>(() => monitorModel(state));
  const [scale, setScale] = useState(0);
  useEffect(() => {
    const t = setInterval(() => {
      const next = monitorModel(state);
      setM(next);
      if (next.gex) setScale((s) => Math.max(s, Math.abs(next.gex!.total)));
    }, refreshMs);
    return () => clearInterval(t);
  }, [state, refreshMs]);
  return (
    <Box flexDirection="column">
      <Text>
        <Text bold color="cyan">Manifold</Text> · {m.underlying} · {m.contracts} contracts · as of {m.asOf}
      </Text>
      <GexPanel m={m} scale={scale} />
      <SviPanel m={m} />
      <FeedPanel m={m} />
      <RegimePanel m={m} />
      <StagesPanel m={m} />
      {footer ? <Text dimColor>{footer}</Text> : null}
    </Box>
  );
}
