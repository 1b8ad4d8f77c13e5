// The dashboard: one WebSocket for the state sections, REST for the surface grid and quotes when the surface changes.
import { useEffect, useState } from 'react';
import { useFetch, useLiveState, type Grid } from './api';
import type { SliceQuotes, SurfaceJson } from './types';
import { Panel, WithData } from './Panel';
import { Surface3D, sliceFlags } from './Surface3D';
import { Smile, TermStructure } from './Smile';
import { Gex } from './Gex';
import { Regime } from './Regime';
import { Health } from './Health';
import { age, num } from './format';

function useNow(ms: number): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(id);
  }, [ms]);
  return now;
}

/** The calendar check of the raw SVI slices, in words. */
function calendarText(surface: SurfaceJson): string {
  if (surface.calendar_free) return 'calendar arbitrage-free';
  const v = Array.isArray(surface.calendar_violations) ? (surface.calendar_violations as { dw: number }[]) : [];
  if (!v.length) return '⚠ calendar arbitrage';
  const worst = Math.max(...v.map((x) => Math.abs(x.dw)));
  return `⚠ ${v.length} calendar violation${v.length > 1 ? 's' : ''} (max |Δw| ${worst.toExponential(1)})`;
}

function webglAvailable(): boolean {
  try {
    const c = document.createElement('canvas');
    return !!(c.getContext('webgl2') ?? c.getContext('webgl'));
  } catch {
    return false;
  }
}

export function App() {
  const live = useLiveState();
  const now = useNow(1000);
  const surfaceKey = live.surface?.updated_at ?? null;
  const hasSurface = live.surface?.data != null;
  const grid = useFetch<{ status: string; data: (Grid & { model?: string }) | null }>(hasSurface ? '/api/v1/surface/grid?nk=61&nt=40&kmin=-0.4&kmax=0.2' : null, surfaceKey);
  const quotes = useFetch<{ status: string; data: SliceQuotes[] | null }>(hasSurface ? '/api/v1/surface/quotes' : null, surfaceKey);
  const [selected, setSelected] = useState(-1);
  const [spinning, setSpinning] = useState(false);
  const [gl] = useState(webglAvailable);
  const chain = live.chain?.data;

  // Default smile: the first slice at least 20 days out (the front week is too noisy to be the first view).
  const slices = live.surface?.data?.slices;
  const sel = selected >= 0 && slices && selected < slices.length ? selected : Math.max(0, slices?.findIndex((s) => s.t > 20 / 365 && s.svi !== null) ?? 0);

  return (
    <div className="app">
      <header className="top">
        <h1>Manifold</h1>
        {chain ? (
          <div className="chain" data-testid="chain-summary">
            <b>{chain.underlying}</b> {num(chain.spot, 2)} · {chain.as_of_date} · {chain.contracts} contracts · {chain.expiries.length} expiries · {chain.source}
          </div>
        ) : (
          <div className="chain dim">{live.chain?.reason ?? 'no chain yet'}</div>
        )}
        <div className={`conn ${live.connected ? 'up' : 'down'}`} data-testid="connection">
          {live.connected ? '● live' : `○ ${live.error ?? 'connecting…'}`}
        </div>
      </header>
      {!live.connected && live.error ? (
        <div className="banner" data-testid="disconnected">
          Disconnected from the gateway ({live.error}). Retrying; the numbers below are the last received.
        </div>
      ) : null}
      <main className="grid">
        <Panel
          title="Volatility surface"
          testId="panel-surface"
          className="span2"
          extra={
            <span className="panel-extra">
              {live.surface?.data ? (
                <span data-testid="surface-stats">
                  {live.surface.data.slices.length} slices · {sliceFlags(live.surface.data).filter((f) => f.flagged).length} flagged · {calendarText(live.surface.data)} · updated {age(live.surface.updated_at, now)}
                </span>
              ) : null}
              <label>
                <input type="checkbox" data-testid="surface-rotate" checked={spinning} onChange={(e) => setSpinning(e.target.checked)} /> rotate
              </label>
            </span>
          }
        >
          <WithData env={live.surface} connected={live.connected} what="surface">
            {(surface) =>
              !gl ? (
                <div className="empty error">WebGL is not available in this browser: the 3D surface cannot be drawn.</div>
              ) : grid.error || quotes.error ? (
                <div className="empty error">Cannot load the surface grid: {grid.error ?? quotes.error}</div>
              ) : grid.data?.data && quotes.data?.data ? (
                <Surface3D surface={surface} gridModel={grid.data.data.model ?? 'fitted'} grid={grid.data.data} quotes={quotes.data.data} spinning={spinning} />
              ) : (
                <div className="empty">Loading the surface grid…</div>
              )
            }
          </WithData>
        </Panel>
        <Panel title="Smile and term structure" testId="panel-smile">
          <WithData env={live.surface} connected={live.connected} what="surface">
            {(surface) => (
              <>
                <Smile surface={surface} quotes={quotes.data?.data ?? null} selected={sel} onSelect={setSelected} />
                <h3>Term structure</h3>
                <TermStructure surface={surface} />
              </>
            )}
          </WithData>
        </Panel>
        <Panel title="Gamma exposure" testId="panel-gex" extra={live.gex?.updated_at ? <span className="panel-extra">updated {age(live.gex.updated_at, now)}</span> : null}>
          <WithData env={live.gex} connected={live.connected} what="GEX">
            {(gex) => <Gex gex={gex} />}
          </WithData>
        </Panel>
        <Panel title="Regime" testId="panel-regime">
          <WithData env={live.regime} connected={live.connected} what="regime">
            {(regime) => <Regime regime={regime} />}
          </WithData>
        </Panel>
        <Panel title="Feed and pipeline" testId="panel-health">
          <WithData env={live.health} connected={live.connected} what="health">
            {(health) => <Health health={health} connected={live.connected} now={now} />}
          </WithData>
        </Panel>
      </main>
    </div>
  );
}
