/**
 * Per-stage accounting of the live pipeline: runs per second (over a sliding window), wall time of the last run,
 * the age of the stage's output (lag), errors with the last message. What the monitor, the health section and the
 * `manifold bench pipeline` report read.
 */
import type { SectionStatus, StageHealth } from '../api/state.js';

const WINDOW_MS = 5000;

export class StageMeter {
  status: SectionStatus = 'pending';
  runs = 0;
  errors = 0;
  lastMs: number | null = null;
  updatedAt: number | null = null;
  lastError?: string;
  /** Items the stage handled in total (contracts, slices, rows; what "item" means is the stage's). */
  items = 0;
  private readonly times: number[] = [];

  constructor(readonly name: string) {}

  ok(ms: number, items = 0): void {
    const now = Date.now();
    this.runs++;
    this.items += items;
    this.lastMs = ms;
    this.updatedAt = now;
    this.status = 'ok';
    delete this.lastError;
    this.times.push(now);
    this.trim(now);
  }

  fail(ms: number, err: unknown): void {
    this.errors++;
    this.lastMs = ms;
    this.status = 'error';
    this.lastError = err instanceof Error ? err.message : String(err);
  }

  /** Runs per second over the last few seconds. */
  rate(now = Date.now()): number {
    this.trim(now);
    return this.times.length / (WINDOW_MS / 1000);
  }

  private trim(now: number): void {
    while (this.times.length && this.times[0] < now - WINDOW_MS) this.times.shift();
  }

  health(now = Date.now()): StageHealth {
    const h: StageHealth = {
      name: this.name,
      status: this.status,
      last_ms: this.lastMs,
      rate: this.rate(now),
      lag_ms: this.updatedAt === null ? null : now - this.updatedAt,
      errors: this.errors,
    };
    if (this.lastError !== undefined) h.last_error = this.lastError;
    return h;
  }
}

/**
 * Timed run of one stage: records success or failure, returns the value or undefined. A failing stage never stops
 * the pipeline; its section keeps the last good value and says 'error'.
 */
export function runStage<T>(m: StageMeter, f: () => T, items?: (v: T) => number): { ok: true; value: T } | { ok: false; error: unknown } {
  const t0 = performance.now();
  try {
    const value = f();
    m.ok(performance.now() - t0, items ? items(value) : 0);
    return { ok: true, value };
  } catch (error) {
    m.fail(performance.now() - t0, error);
    return { ok: false, error };
  }
}
