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
 * Stream updates reach React at most this often, all topics in one render. The live pipeline publishes GEX, health
 * and the chain several times a second; rendering each (Recharts redraws the whole GEX chart) kept the page's main
 * thread busy, so the 3D surface orbited at a few frames per second and, on a loaded machine, the numbers on screen
 * fell seconds behind the gateway. Once a second is as fast as anyone reads them.
 */
export const RENDER_INTERVAL_MS = 1000;

const noCounts = (): Record<Topic, number> => ({ chain: 0, surface: 0, gex: 0, regime: 0, health: 0 });

/**
 * One WebSocket to /api/v1/stream: the gateway sends every topic's current state on connect and then conflated
 * updates, each topic at most once per RENDER_INTERVAL_MS; the page conflates again (the newest message per topic, applied every RENDER_INTERVAL_MS). Reconnects
 * with backoff (1 s → 10 s) and keeps the last data on screen while disconnected.
 */
export function useLiveState(): LiveState {
  const [state, setState] = useState<LiveState>(initial);
  const retry = useRef(1000);
  useEffect(() => {
    let ws: WebSocket | null = null;
    let timer: ReturnType<typeof setTimeout> | null = null;
    let stopped = false;
    let pending: Partial<Record<Topic, Envelope<unknown>>> = {};
    let counts = noCounts();
    let flushTimer: ReturnType<typeof setTimeout> | null = null;
    let lastFlush = -Infinity;
    const flush = () => {
      if (flushTimer) clearTimeout(flushTimer);
      flushTimer = null;
      lastFlush = performance.now();
      const p = pending;
      const c = counts;
      pending = {};
      counts = noCounts();
      if (Object.keys(p).length === 0) return;
      setState((s) => ({ ...s, ...(p as Partial<LiveState>), received: { chain: s.received.chain + c.chain, surface: s.received.surface + c.surface, gex: s.received.gex + c.gex, regime: s.received.regime + c.regime, health: s.received.health + c.health } }));
    };
    const connect = () => {
      // The gateway holds each topic back to one message per render interval (its newest), so the page parses what
      // it shows and no more: at full rate the live pipeline sends ~2.5 MB/s of JSON, which a loaded browser's main
      // thread could not keep up with, and the page fell seconds behind.
      const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/v1/stream?interval_ms=${RENDER_INTERVAL_MS}`;
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
        pending[topic] = { status: msg.status, updated_at: msg.updated_at, reason: msg.reason, data: msg.data };
        counts[topic]++;
        // A short delay even when idle, so the burst of current state sent on connect lands in one render.
        flushTimer ??= setTimeout(flush, Math.max(50, lastFlush + RENDER_INTERVAL_MS - performance.now()));
      };
      ws.onclose = (ev) => {
        if (stopped) return;
        flush();
        setState((s) => ({ ...s, connected: false, error: ev.reason || `connection closed (${ev.code})` }));
        timer = setTimeout(connect, retry.current);
        retry.current = Math.min(10_000, retry.current * 2);
      };
      ws.onerror = () => setState((s) => ({ ...s, error: 'cannot reach the gateway' }));
    };
    connect();
    return () => {
      stopped = true;
      if (flushTimer) clearTimeout(flushTimer);
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
