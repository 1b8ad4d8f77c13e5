// The chain-file provider over the shipped SPX chain: every section computed by the real analytics modules, the
// surface and GEX bodies equal to the modules' own JSON (the CLI contracts), and reloads that are validated.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChainFileProvider } from '../../src/api/chain-provider.js';
import { ReloadError, type Topic } from '../../src/api/state.js';
import { loadChainFile } from '../../src/feed/chain-file.js';
import { computeChainIv } from '../../src/analytics/chain-iv.js';
import { fitSurface, surfaceJson } from '../../src/analytics/surface.js';
import { computeGex } from '../../src/analytics/gex.js';
import { repoRoot, sharedRoot } from '../support/cli.js';

const SPX = join(sharedRoot, 'data/options/cboe_quotedata/SPX/SPX_2023-04-14_eod.csv');
const QQQ = join(sharedRoot, 'data/options/cboe_quotedata/QQQ/QQQ_2023-05-12_eod.csv');
let dir: string;
let p: ChainFileProvider;

beforeAll(async () => {
  // A chain folder of our own: the shipped SPX chain, a QQQ chain and a file that is not a chain.
  dir = mkdtempSync(join(tmpdir(), 'manifold-chains-'));
  copyFileSync(existsSync(join(repoRoot, 'data/chains/SPX_2023-04-14_eod.csv')) ? join(repoRoot, 'data/chains/SPX_2023-04-14_eod.csv') : SPX, join(dir, 'SPX.csv'));
  copyFileSync(QQQ, join(dir, 'QQQ.csv'));
  writeFileSync(join(dir, 'broken.csv'), 'this is not,a chain\n1,2\n');
  p = await ChainFileProvider.open({ chainPath: join(dir, 'SPX.csv') });
}, 120_000);

afterAll(async () => {
  await p?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('ChainFileProvider', () => {
  it('computes every section from the chain', () => {
    for (const s of [p.chain(), p.iv(), p.surface(), p.gex(), p.regime(), p.health()]) {
      expect(s.status, s.reason).toBe('ok');
      expect(s.updatedAt).toBeGreaterThan(0);
    }
    const chain = p.chain().data!;
    expect(chain.underlying).toBe('SPX');
    expect(chain.spot).toBeCloseTo(4137.64, 2);
    expect(chain.contracts).toBe(18096);
    const iv = p.iv().data!;
    expect(iv.rows).toBe(18096);
    const okRows = Array.from(iv.rowsOf(), (i) => iv.row(i)).filter((r) => r.status === 0);
    expect(okRows.length).toBeGreaterThan(5000);
    expect(okRows.every((r) => r.mid_iv > 0 && r.mid_iv < 10)).toBe(true);
    const regime = p.regime().data!;
    expect(regime.now.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    expect(regime.now.labels).toHaveLength(regime.now.probabilities.length);
    expect(regime.history.length).toBeGreaterThan(500);
    expect(p.health().data!.pipeline.map((s) => s.status)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
  });

  it('serves exactly the JSON of the surface and GEX modules (the CLI contracts)', async () => {
    const { chain } = await loadChainFile(join(dir, 'SPX.csv'));
    const civ = computeChainIv(chain);
    const fit = fitSurface(chain, civ);
    const expectedSurface = JSON.parse(JSON.stringify(surfaceJson(fit, 'svi')));
    expect(JSON.parse(JSON.stringify(p.surface().data!.json))).toEqual(expectedSurface);
    const expectedGex = JSON.parse(JSON.stringify(computeGex(chain, civ, { model: { kind: 'naive' }, surface: { volAt: (k, t) => fit.query.vol(k, t) } })));
    expect(JSON.parse(JSON.stringify(p.gex().data))).toEqual(expectedGex);
    // The grid query is the fitted surface's.
    expect(p.surface().data!.volAt(-0.05, 0.25)).toBe(fit.query.vol(-0.05, 0.25));
  }, 60_000);

  it('puts each fitted slice quote at its log-moneyness with bid ≤ mid ≤ ask', () => {
    const s = p.surface().data!;
    expect(s.quotes).toHaveLength(s.json.slices.length);
    let n = 0;
    for (const q of s.quotes) {
      for (let i = 0; i < q.k.length; i++) {
        expect(q.k[i]).toBeCloseTo(Math.log(q.strike[i] / q.forward), 12);
        const [b, m, a] = [q.bid_iv[i], q.mid_iv[i], q.ask_iv[i]];
        if (b !== null && a !== null && m !== null) {
          expect(b).toBeLessThanOrEqual(m + 1e-12);
          expect(m).toBeLessThanOrEqual(a + 1e-12);
          n++;
        }
      }
    }
    expect(n).toBeGreaterThan(3000);
  });

  it('changes the GEX model on reload without refitting the rest, and announces it', async () => {
    const topics: Topic[] = [];
    const off = p.subscribe((t) => topics.push(t));
    const surfaceAt = p.surface().updatedAt;
    const before = p.gex().data!.total_gex;
    const r = await p.reload({ gexModel: 'all-short' });
    off();
    expect(r.gexModel).toBe('all-short');
    expect(p.gex().data!.model).toMatch(/all-short/);
    expect(p.gex().data!.total_gex).not.toBe(before);
    expect(p.surface().updatedAt).toBe(surfaceAt);
    expect(topics).toContain('gex');
    expect(topics).not.toContain('surface');
    await p.reload({ gexModel: 'naive' });
  }, 60_000);

  it('switches to another chain of its folder and refuses paths, unknown files and broken chains', async () => {
    expect(p.chainFiles()).toEqual(['QQQ.csv', 'SPX.csv', 'broken.csv']);
    await expect(p.reload({ chain: '../SPX.csv' })).rejects.toBeInstanceOf(ReloadError);
    await expect(p.reload({ chain: '/etc/passwd' })).rejects.toThrow(/without a path/);
    await expect(p.reload({ chain: 'missing.csv' })).rejects.toThrow(/not in the chain folder/);
    await expect(p.reload({ gexModel: 'flow' })).rejects.toThrow(/unknown GEX model/);

    const r = await p.reload({ chain: 'QQQ.csv' });
    expect(r.chain).toBe('QQQ.csv');
    expect(p.chain().data!.underlying).toBe('QQQ');
    expect(p.gex().data!.underlying).toBe('QQQ');
    expect(p.surface().data!.json.underlying).toBe('QQQ');

    // A broken file is refused (409) with the loader's reason; the last good state stays served, health records it.
    await expect(p.reload({ chain: 'broken.csv' })).rejects.toThrow(/cannot load chain: .*broken\.csv.*still serving QQQ\.csv/);
    expect(p.chain().status).toBe('ok');
    expect(p.chain().data!.underlying).toBe('QQQ');
    expect(p.health().data!.pipeline[0]).toMatchObject({ name: 'load', status: 'error', errors: 1 });
    expect(p.health().data!.feed.source).toBe('file:QQQ.csv');
  }, 120_000);

  it('refuses to open a missing chain file', async () => {
    await expect(ChainFileProvider.open({ chainPath: join(dir, 'nope.csv') })).rejects.toThrow(/does not exist/);
    await expect(ChainFileProvider.open({ chainPath: join(dir, 'SPX.csv'), gexModel: 'flow' })).rejects.toThrow(/unknown GEX model/);
  });
});
