// The surface worker gives the same fit as fitting inline (the query object rebuilt from the eSSVI nodes included),
// and the live provider's admin route switches the GEX model but refuses chain files.
import { afterAll, expect, it } from 'vitest';
import { loadChainFile } from '../../src/feed/chain-file.js';
import { computeChainIv } from '../../src/analytics/chain-iv.js';
import { SurfaceRunner } from '../../src/pipeline/surface-runner.js';
import { LiveProvider } from '../../src/pipeline/live-provider.js';
import { ReloadError } from '../../src/api/state.js';
import { repoRoot } from '../support/cli.js';
import { join } from 'node:path';

const runner = new SurfaceRunner(true);
afterAll(() => runner.close());

it('fits on the worker exactly as inline', async () => {
  const { chain } = await loadChainFile(join(repoRoot, 'data/chains/SPX_2023-04-14_eod.csv'));
  const civ = computeChainIv(chain);
  const inline = await new SurfaceRunner(false).fit(chain, civ, new Map());
  const threaded = await runner.fit(chain, civ, new Map());
  expect(threaded.slices.length).toBe(inline.slices.length);
  expect(threaded.slices.filter((s) => s.svi).length).toBeGreaterThan(40);
  for (let i = 0; i < inline.slices.length; i++) {
    expect(threaded.slices[i].key).toBe(inline.slices[i].key);
    expect(threaded.slices[i].svi).toEqual(inline.slices[i].svi);
    expect(threaded.slices[i].quality?.rmseVol).toBe(inline.slices[i].quality?.rmseVol);
  }
  expect(threaded.essviArbitrageFree).toBe(inline.essviArbitrageFree);
  for (const [k, t] of [[-0.1, 0.05], [0, 0.25], [0.05, 1], [-0.3, 2]]) {
    const a = inline.query.vol(k, t);
    expect(Number.isFinite(a)).toBe(true);
    expect(threaded.query.vol(k, t)).toBe(a);
  }
  // Warm-started from the first fit: still a fit of every slice that had one.
  const warm = new Map(threaded.slices.filter((s) => s.svi).map((s) => [s.key, s.svi!]));
  const again = await runner.fit(chain, civ, warm);
  expect(again.slices.filter((s) => s.svi).length).toBe(threaded.slices.filter((s) => s.svi).length);
}, 60_000);

it('live provider: reload switches the GEX model and refuses a chain file', async () => {
  const p = new LiveProvider();
  await expect(p.reload({ gexModel: 'naive' })).rejects.toThrow(/not running/);
  let model = 'naive';
  p.attach({ gexModels: () => ['naive', 'all-short'], gexModel: () => model, setGexModel: (m) => (model = m), healthNow: () => ({ feed: { source: 'x', status: 'live', msg_rate: 1, last_message_at: null, gaps: 0, reconnects: 0, bad_rows: 0 }, pipeline: [] }) });
  const r = await p.reload({ gexModel: 'all-short' });
  expect(r.gexModel).toBe('all-short');
  await expect(p.reload({ gexModel: 'bogus' })).rejects.toThrow(ReloadError);
  await expect(p.reload({ chain: 'x.csv' })).rejects.toThrow(/live pipeline follows its feed/);
  expect(p.chainFiles()).toEqual([]);
  expect(p.health().data?.feed.status).toBe('live');
});
