// A dashboard panel with the standard empty / unavailable / error states.
import type { ReactNode } from 'react';
import type { Envelope } from './api';

export function Panel(props: { title: string; testId: string; extra?: ReactNode; children: ReactNode; className?: string }) {
  return (
    <section className={`panel ${props.className ?? ''}`} data-testid={props.testId}>
      <header>
        <h2>{props.title}</h2>
        {props.extra}
      </header>
      <div className="panel-body">{props.children}</div>
    </section>
  );
}

/** Render `children(data)` when the section has data, else a clear message saying why not. */
export function WithData<T>(props: { env: Envelope<T> | null; connected: boolean; what: string; children: (data: T) => ReactNode }) {
  const { env } = props;
  if (!env) {
    return <div className="empty" data-state="loading">{props.connected ? `Waiting for ${props.what}…` : 'Connecting to the gateway…'}</div>;
  }
  if (env.data === null) {
    const label = env.status === 'pending' ? `No ${props.what} yet` : env.status === 'unavailable' ? `${props.what} unavailable` : `${props.what} failed`;
    return (
      <div className={`empty ${env.status}`} data-state={env.status}>
        <strong>{label}</strong>
        {env.reason ? <div className="reason">{env.reason}</div> : null}
      </div>
    );
  }
  return (
    <>
      {env.status === 'error' ? <div className="stale" data-state="stale">Showing the last good {props.what}: {env.reason}</div> : null}
      {props.children(env.data)}
    </>
  );
}
