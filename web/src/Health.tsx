// Feed and pipeline health.
import type { HealthWithApi } from './api';
import { age, num } from './format';

export function Health({ health, connected, now }: { health: HealthWithApi; connected: boolean; now: number }) {
  const f = health.feed;
  return (
    <div className="health">
      <div className="kpis">
        <div className={`kpi ${f.status === 'down' ? 'negative' : ''}`} data-testid="feed-status">
          <span>feed</span>
          <b>{f.status}</b>
          <small>{f.source}</small>
        </div>
        <div className="kpi">
          <span>msg/s</span>
          <b>{num(f.msg_rate, 0)}</b>
          <small>last {age(f.last_message_at, now)}</small>
        </div>
        <div className="kpi">
          <span>gaps / reconnects</span>
          <b>
            {f.gaps} / {f.reconnects}
          </b>
          <small>{f.bad_rows} bad rows</small>
        </div>
        <div className={`kpi ${connected ? '' : 'negative'}`}>
          <span>stream</span>
          <b>{connected ? 'connected' : 'down'}</b>
          <small>{health.api ? `${health.api.clients} clients · ${health.api.dropped_slow} dropped` : ''}</small>
        </div>
      </div>
      <table data-testid="pipeline-table">
        <thead>
          <tr>
            <th>stage</th>
            <th>status</th>
            <th>last run</th>
            <th>rate/s</th>
            <th>age</th>
            <th>errors</th>
          </tr>
        </thead>
        <tbody>
          {health.pipeline.map((s) => (
            <tr key={s.name} className={s.status}>
              <td>{s.name}</td>
              <td title={s.last_error ?? ''}>{s.status}</td>
              <td>{s.last_ms === null ? '–' : `${s.last_ms.toFixed(1)} ms`}</td>
              <td>{num(s.rate, 1)}</td>
              <td>{s.lag_ms === null ? '–' : age(now - s.lag_ms, now)}</td>
              <td>{s.errors}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {health.pipeline.some((s) => s.last_error) ? (
        <ul className="errors">
          {health.pipeline
            .filter((s) => s.last_error)
            .map((s) => (
              <li key={s.name}>
                <b>{s.name}</b>: {s.last_error}
              </li>
            ))}
        </ul>
      ) : null}
    </div>
  );
}
