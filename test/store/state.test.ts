import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryState, RedisState, type LatestState } from '../../src/store/state.js';

const prefix = `manifold_test_${randomBytes(5).toString('hex')}:`;
const opened: LatestState[] = [];
afterAll(async () => {
  for (const s of opened) {
    if (s instanceof RedisState) await s.clear();
    await s.close();
  }
});

const makers: Record<string, () => Promise<LatestState>> = {
  memory: async () => new MemoryState(),
  redis: async () => RedisState.open('redis://127.0.0.1:6379', prefix),
};

for (const [name, make] of Object.entries(makers)) {
  describe(`latest state (${name})`, () => {
    it('keeps the latest value per kind and key, readable by another client', async () => {
      const a = await make();
      opened.push(a);
      const surface = { underlying: 'SPX', slices: [{ expiry: '2026-12-18', svi: { a: 0.01, b: 0.1, rho: -0.6, m: 0, sigma: 0.1 } }] };
      await a.set('surface', 'SPX', { ...surface, v: 1 });
      await a.set('surface', 'SPX', { ...surface, v: 2 });
      await a.set('surface', 'SPY', { v: 3 });
      await a.set('health', 'massive', { connected: true, lastMessageMs: 123 });
      const b = name === 'redis' ? await make() : a; // a second process would open its own client
      if (b !== a) opened.push(b);
      const got = await b.get<{ v: number; slices: unknown[] }>('surface', 'SPX');
      expect(got!.value.v).toBe(2);
      expect(got!.value.slices).toEqual(surface.slices);
      expect(Math.abs(got!.updatedMs - Date.now())).toBeLessThan(60_000);
      expect(Object.keys(await b.all('surface')).sort()).toEqual(['SPX', 'SPY']);
      expect(await b.get('gex', 'SPX')).toBeUndefined();
      expect((await b.get<{ connected: boolean }>('health', 'massive'))!.value.connected).toBe(true);
      await b.delete('surface', 'SPY');
      expect(Object.keys(await a.all('surface'))).toEqual(['SPX']);
      await expect(a.set('bogus' as 'gex', 'k', 1)).rejects.toThrow(/unknown state kind/);
      await expect(a.set('gex', '', 1)).rejects.toThrow(/non-empty/);
    });
  });
}

it('reports an unreachable Redis clearly', async () => {
  await expect(RedisState.open('redis://127.0.0.1:1', prefix)).rejects.toThrow(/cannot connect to Redis/);
});
