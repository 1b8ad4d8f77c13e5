/**
 * Feed metrics: message/byte rates, decode errors by kind, exchange-to-receive and receive-to-applied latency,
 * reconnects, gaps, late and duplicate events (the last two live in LiveChain.counters).
 */
import { DECODE_ERROR_KINDS, type DecodeErrorKind } from './protocol.js';

/** Wall clock in epoch ms with sub-ms resolution (receive times, latencies). */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * Log-linear histogram of non-negative integers (µs): 32 sub-buckets per power of two, so any quantile is within
 * ~3% of the true value. Recording is a few integer operations (no Math.log).
 */
export class Histogram {
  private static readonly SUB = 5; // 2^5 sub-buckets
  private readonly counts = new Float64Array(64 << Histogram.SUB);
  count = 0;
  max = 0;
  sum = 0;

  /** Record value v (µs) `times` times (a frame's events share one receive→applied latency). */
  record(v: number, times = 1): void {
    let x = v > 0 ? Math.floor(v) : 0;
    if (x > 0x7fffffff) x = 0x7fffffff;
    this.counts[Histogram.bucket(x)] += times;
    this.count += times;
    this.sum += x * times;
    if (x > this.max) this.max = x;
  }

  private static bucket(x: number): number {
    const S = Histogram.SUB;
    if (x < 1 << S) return x;
    const e = 31 - Math.clz32(x); // floor(log2 x) ≥ S
    const sub = (x >>> (e - S)) & ((1 << S) - 1);
    return ((e - S + 1) << S) + sub;
  }

  private static lowerBound(b: number): number {
    const S = Histogram.SUB;
    if (b < 1 << S) return b;
    const e = (b >>> S) + S - 1;
    const sub = b & ((1 << S) - 1);
    return (1 << e) + sub * (1 << (e - S));
  }

  /** Value at quantile q in [0, 1] (lower edge of the bucket, NaN when empty). */
  quantile(q: number): number {
    if (this.count === 0) return NaN;
    const target = Math.max(1, Math.ceil(q * this.count));
    let acc = 0;
    for (let b = 0; b < this.counts.length; b++) {
      acc += this.counts[b];
      if (acc >= target) return Math.min(Histogram.lowerBound(b), this.max);
    }
    return this.max;
  }

  reset(): void {
    this.counts.fill(0);
    this.count = 0;
    this.max = 0;
    this.sum = 0;
  }
}

export interface GapRecord {
  startMs: number;
  endMs: number;
  reason: string;
}

export class FeedMetrics {
  frames = 0;
  messages = 0;
  bytes = 0;
  readonly decodeErrors: Record<DecodeErrorKind, number> = Object.fromEntries(DECODE_ERROR_KINDS.map((k) => [k, 0])) as Record<DecodeErrorKind, number>;
  reconnects = 0;
  connects = 0;
  resubscribes = 0;
  resyncs = 0;
  resyncFailures = 0;
  statusEvents = 0;
  /** Highest number of raw frames waiting to be decoded. */
  queueHighWater = 0;
  /** Times the socket was paused because the raw queue hit its byte bound. */
  socketPauses = 0;
  readonly gaps: GapRecord[] = [];
  /** Exchange timestamp → receive, µs (ms-resolution exchange clock). Negative (clock skew) counts as 0. */
  readonly exchangeToReceiveUs = new Histogram();
  /** Receive → applied to chain state, µs, one sample per event. */
  readonly receiveToAppliedUs = new Histogram();
  private lastRate = { t: nowMs(), messages: 0, bytes: 0 };

  get decodeErrorTotal(): number {
    let s = 0;
    for (const k of DECODE_ERROR_KINDS) s += this.decodeErrors[k];
    return s;
  }

  /** Messages and bytes per second since the previous call. */
  rates(): { msgsPerSec: number; bytesPerSec: number } {
    const t = nowMs();
    const dt = (t - this.lastRate.t) / 1000;
    const r = {
      msgsPerSec: dt > 0 ? (this.messages - this.lastRate.messages) / dt : 0,
      bytesPerSec: dt > 0 ? (this.bytes - this.lastRate.bytes) / dt : 0,
    };
    this.lastRate = { t, messages: this.messages, bytes: this.bytes };
    return r;
  }

  gapSummary(): { count: number; totalMs: number; maxMs: number } {
    let total = 0;
    let max = 0;
    for (const g of this.gaps) {
      const d = g.endMs - g.startMs;
      total += d;
      if (d > max) max = d;
    }
    return { count: this.gaps.length, totalMs: total, maxMs: max };
  }

  summary(): Record<string, unknown> {
    const errs = Object.fromEntries(Object.entries(this.decodeErrors).filter(([, v]) => v > 0));
    return {
      frames: this.frames,
      messages: this.messages,
      bytes: this.bytes,
      decode_errors: errs,
      reconnects: this.reconnects,
      resubscribes: this.resubscribes,
      resyncs: this.resyncs,
      resync_failures: this.resyncFailures,
      gaps: this.gapSummary(),
      queue_high_water: this.queueHighWater,
      socket_pauses: this.socketPauses,
      exchange_to_receive_ms: {
        p50: this.exchangeToReceiveUs.quantile(0.5) / 1000,
        p99: this.exchangeToReceiveUs.quantile(0.99) / 1000,
      },
      receive_to_applied_us: {
        p50: this.receiveToAppliedUs.quantile(0.5),
        p99: this.receiveToAppliedUs.quantile(0.99),
        max: this.receiveToAppliedUs.max,
      },
    };
  }
}
