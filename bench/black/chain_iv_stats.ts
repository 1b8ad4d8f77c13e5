// Chain IV against Cboe's IV column on every shared chain with quotes: share of quoted OTM contracts inverted, and
// the median / 95th percentile of |our mid IV − Cboe IV| (contracts where Cboe's IV is > 0).
// Usage: node --import tsx bench/black/chain_iv_stats.ts [dir ...]   (defaults: ../shared SPX, SPY, QQQ)
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadChainFile } from '../../src/feed/chain-file.js';
import { computeChainIv } from '../../src/analytics/chain-iv.js';
import { IvStatus, ivStatusName } from '../../src/quant/black/status.js';

const root = join(import.meta.dirname, '..', '..', '..', 'shared', 'data', 'options', 'cboe_quotedata');
const dirs = process.argv.slice(2).length ? process.argv.slice(2) : ['SPX', 'SPY', 'QQQ'].map((d) => join(root, d));
const q = (xs: number[], p: number) => (xs.length ? xs[Math.min(xs.length - 1, Math.floor(p * xs.length))] : NaN);
for (const dir of dirs) {
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.csv')).sort()) {
    const { chain } = await loadChainFile(join(dir, f));
    const civ = computeChainIv(chain);
    let quoted = 0;
    let ok = 0;
    const diffs: number[] = [];
    const near: number[] = [];
    const notOk = new Map<string, number>();
    for (let i = 0; i < chain.size; i++) {
      if (!civ.otm[i] || !(chain.ask[i] > 0 && chain.bid[i] >= 0)) continue;
      quoted++;
      if (civ.status[i] !== IvStatus.OK) {
        notOk.set(ivStatusName(civ.status[i]), (notOk.get(ivStatusName(civ.status[i])) ?? 0) + 1);
        continue;
      }
      ok++;
      const v = chain.vendorIv[i];
      if (!(v > 0)) continue;
      const d = Math.abs(civ.midIv[i] - v);
      diffs.push(d);
      // "near": two-sided quote, |delta| ≥ 0.05, T ≥ 7 days (where IV is well determined by the quote)
      if (chain.bid[i] > 0 && Math.abs(civ.delta[i]) >= 0.05 && civ.t[i] >= 7 / 365) near.push(d);
    }
    diffs.sort((a, b) => a - b);
    near.sort((a, b) => a - b);
    const noFwd = civ.expiries.filter((e) => e.status !== IvStatus.OK).length;
    console.log(
      JSON.stringify({
        file: f,
        quoted_otm: quoted,
        inverted_share: quoted ? +(ok / quoted).toFixed(4) : null,
        not_ok: Object.fromEntries(notOk),
        compared: diffs.length,
        median_abs_diff: +q(diffs, 0.5).toFixed(5),
        p95_abs_diff: +q(diffs, 0.95).toFixed(5),
        near_compared: near.length,
        near_median: +q(near, 0.5).toFixed(5),
        near_p95: +q(near, 0.95).toFixed(5),
        expiries_without_forward: noFwd,
      }),
    );
  }
}
