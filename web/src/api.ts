// Talking to the gateway: REST fetches of the state sections and one WebSocket for their updates.
import { useEffect, useRef, useState } from 'react';
import type { GexJson, HealthState, RegimeNow, RegimeHistoryPoint, SliceQuotes, SurfaceJson } from './types';

export interface Envelope<T> {
  status: 'ok' | 'pending' | 'unavailable' | 'error';
  updated_at: number | null;
  reason?: string;
  data: T | null;
}

export interface ChainInfo {
  underlying: string;
  as_of: string;
  as_of_date: string;
  spot: number;
  contracts: number;
  source: string;
  expiries: { index: number; expiry: string; root: string; settlement: string; contracts: number }[];
}

export interface RegimeStream {
  now: RegimeNow;
  history: RegimeHistoryPoint[];
}

export interface HealthWithApi extends HealthState {
  api?: { clients: number; connected_total: number; dropped_slow: number; messages_sent: number; bytes_sent: number };
}

export interface Grid {
  k: number[];
  t: number[];
  iv: (number | null)[][];
}

export type Topic = 'chain' | 'surface' | 'gex' | 'regime' | 'health';

export interface LiveState {
  connected: boolean;
  /** Last connection error, shown while disconnected. */
  error: string | null;
  chain: Envelope<ChainInfo> | null;
  surface: Envelope<SurfaceJson> | null;
  gex: Envelope<GexJson> | null;
  regime: Envelope<RegimeStream> | null;
  health: Envelope<HealthWithApi> | null;
  /** Messages received per topic (the dashboard shows that numbers update). */
  received: Record<Topic, number>;
}

export async function getJson<T>(path: string): Promise<T> {
  const r = await fetch(path, { headers: { accept: 'application/json' } });
  const body = (await r.json()) as T & { error?: string };
  if (!r.ok) throw new Error(body.error ?? `${r.status} ${r.statusText}`);
  return body;
}

const initial: LiveState = {
  connected: false,
  error: null,
  chain: null,
  surface: null,
  gex: null,
  regime: null,
  health: null,
  received: { chain: 0, surface: 0, gex: 0, regime: 0, health: 0 },
};

/**
 * One WebSocket to /api/v1/stream: the gateway sends every topic's current state on connect and then conflated
 * updates. Reconnects with backoff (1 s → 10 s) and keeps the last data on screen while disconnected.
 */
export function useLiveState(): LiveState {
  const [state, setState] = useState<LiveState>(initial);
  const retry = useRef(1000);
  useEffect(() => {
    let ws: WebSocket | null = null;
    let timer: ReturnType<typeof setTimeout> | null = null;
    let stopped = false;
    const connect = () => {
      const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/v1/stream`;
      ws = new WebSocket(url);
      ws.onopen = () => {
        retry.current = 1000;
        setState((s) => ({ ...s, connected: true, error: null }));
      };
      ws.onmessage = (ev) => {
        let msg: { topic?: Topic } & Envelope<unknown>;
        try {
          msg = JSON.parse(String(ev.data));
        } catch {
          return;
        }
        const topic = msg.topic;
        if (!topic || !(topic in initial.received)) return;
        const env: Envelope<unknown> = { status: msg.status, updated_at: msg.updated_at, reason: msg.reason, data: msg.data };
        setState((s) => ({ ...s, [topic]: env, received: { ...s.received, [topic]: s.received[topic] + 1 } }));
      };
      ws.onclose = (ev) => {
        if (stopped) return;
        setState((s) => ({ ...s, connected: false, error: ev.reason || `connection closed (${ev.code})` }));
        timer = setTimeout(connect, retry.current);
        retry.current = Math.min(10_000, retry.current * 2);
      };
      ws.onerror = () => setState((s) => ({ ...s, error: 'cannot reach the gateway' }));
    };
    connect();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      ws?.close();
    };
  }, []);
  return state;
}

/** Fetch `path` whenever `key` changes (e.g. the surface's updated_at); keeps the previous value while loading. */
export function useFetch<T>(path: string | null, key: unknown): { data: T | null; error: string | null } {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (!path) return;
    let live = true;
    getJson<T>(path)
      .then((d) => {
        if (live) {
          setData(d);
          setError(null);
        }
      })
      .catch((e: Error) => live && setError(e.message));
    return () => {
      live = false;
    };
  }, [path, key]);
  return { data, error };
}

export type { SliceQuotes };
