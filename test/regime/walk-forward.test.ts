import { describe, it, expect } from 'vitest';
import { loadHistory } from '../../src/regime/history.js';
import { walkForward, regimeNow, resolveModelConfig } from '../../src/regime/model.js';
import type { AlignedHistory } from '../../src/analytics/regime-features.js';

function cut(h: AlignedHistory, from: string, to: string): AlignedHistory {
  const i = h.dates.findIndex((d) => d >= from);
  let j = h.dates.length;
  while (j > 0 && h.dates[j - 1] > to) j--;
  return { dates: h.dates.slice(i, j), spy: h.spy.slice(i, j), vix: h.vix.slice(i, j) };
}

describe('walk-forward regime history', async () => {
  const { history } = await loadHistory();

  it('has no look-ahead: rows up to t are bit-identical with, without, or with different data after t', () => {
    const cfg = resolveModelConfig({ trainDays: 260, minTrainDays: 240, restarts: 3 });
    const h = cut(history, '2019-01-01', '2020-12-31');
    const t = '2020-06-17'; // mid-month: the segment of the June refit is cut short
    const full = walkForward(h, cfg);
    const truncated = walkForward(cut(h, '2019-01-01', t), cfg);
    // future data replaced by something else entirely
    const k = h.dates.indexOf(t) + 1;
    const alt: AlignedHistory = { dates: h.dates, spy: Float64Array.from(h.spy), vix: Float64Array.from(h.vix) };
    for (let i = k; i < alt.spy.length; i++) {
      alt.spy[i] = alt.spy[k - 1] * (1 + 0.05 * Math.sin(i));
      alt.vix[i] = 80;
    }
    const altered = walkForward(alt, cfg);
    const upTo = (rows: typeof full.rows) => rows.filter((r) => r.date <= t);
    const a = upTo(full.rows);
    expect(a.length).toBeGreaterThan(100);
    for (const other of [upTo(truncated.rows), upTo(altered.rows)]) {
      expect(other.length).toBe(a.length);
      for (let i = 0; i < a.length; i++) {
        expect(other[i].date).toBe(a[i].date);
        expect(other[i].modelDate).toBe(a[i].modelDate);
        expect(Buffer.from(other[i].probs.buffer).equals(Buffer.from(a[i].probs.buffer))).toBe(true);
      }
    }
    // ... and later rows do differ when the future differs (the test can fail)
    const after = full.rows.filter((r) => r.date > t);
    const afterAlt = altered.rows.filter((r) => r.date > t);
    expect(after.some((r, i) => r.probs[0] !== afterAlt[i].probs[0])).toBe(true);
    for (const r of full.rows) expect(r.modelDate <= r.date).toBe(true);
    // monthly cadence: refits on the first trading day of each month
    expect(new Set(full.rows.map((r) => r.modelDate.slice(0, 7))).size).toBe(full.refits);
  });

  it('skipping early refits (--from) leaves later rows unchanged', () => {
    const cfg = resolveModelConfig({ trainDays: 260, minTrainDays: 240, restarts: 3 });
    const h = cut(history, '2019-01-01', '2020-09-30');
    const full = walkForward(h, cfg).rows.filter((r) => r.date >= '2020-08-10');
    const part = walkForward(h, cfg, undefined, '2020-08-10').rows.filter((r) => r.date >= '2020-08-10');
    expect(part.map((r) => Array.from(r.probs))).toEqual(full.map((r) => Array.from(r.probs)));
  });

  it('labels known stress episodes as stressed with the default model (March 2020, June 2022, April 2025)', () => {
    const cfg = resolveModelConfig();
    for (const [day, state] of [
      ['2020-03-16', 'stressed'],
      ['2022-06-16', 'stressed'],
      ['2025-04-08', 'stressed'],
      ['2017-11-03', 'calm'], // VIX 9.14, one of its lowest closes
    ] as const) {
      const h = cut(history, '2010-01-01', day);
      const wf = walkForward(h, cfg, undefined, day);
      const row = wf.rows.at(-1)!;
      expect(row.date).toBe(day);
      expect(wf.names[row.state]).toBe(state);
    }
  });

  it('regime now gives the last date, probabilities summing to 1 and a named state', () => {
    const h = cut(history, '2018-01-01', '2020-03-20');
    const now = regimeNow(h, resolveModelConfig({ restarts: 4 }));
    expect(now.date).toBe('2020-03-20');
    expect(Object.values(now.probabilities).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(now.state).toBe('stressed');
    expect(now.model.trained_to).toBe('2020-03-20');
  });
});
