// Shared helpers of the feed tests: a small real chain, a simulator + session in-process, waiting for quiet.
import { join } from 'node:path';
import { loadChainFile } from '../../src/feed/chain-file.js';
import type { OptionChain } from '../../src/market/chain.js';
import { repoRoot } from '../support/cli.js';
import type { FeedSession } from '../../src/feed/session.js';
import type { LiveChain } from '../../src/feed/live-chain.js';
import type { SimMarket } from '../../src/feed/sim/market.js';

export const SHIPPED_CHAIN = join(repoRoot, 'data/chains/SPX_2023-04-14_eod.csv');

let cached: OptionChain | undefined;

/** The shipped SPX 2023-04-14 chain. */
export async function spxChain(): Promise<OptionChain> {
  cached ??= (await loadChainFile(SHIPPED_CHAIN)).chain;
  return cached;
}

/**
 * The first `n` expiries of the shipped chain (every row of them, real quotes): small enough that a full REST
 * snapshot is a few pages, so tests stay fast.
 */
export async function smallChain(n = 3): Promise<OptionChain> {
  const c = await spxChain();
  const keep: number[] = [];
  const expiries = c.expiries.slice(0, n);
  const newExp = expiries.map((e) => ({ ...e, rows: new Int32Array(0) }));
  const lists: number[][] = expiries.map(() => []);
  for (let r = 0; r < c.size; r++) {
    const e = c.expiryIndex[r];
    if (e < n) {
      lists[e].push(keep.length);
      keep.push(r);
    }
  }
  newExp.forEach((e, i) => (e.rows = Int32Array.from(lists[i])));
  const pick = <T extends Float64Array | Uint8Array | Uint16Array>(a: T): T => {
    const out = new (a.constructor as new (n: number) => T)(keep.length);
    keep.forEach((r, i) => (out[i] = a[r]));
    return out;
  };
  return {
    ...c,
    size: keep.length,
    symbol: keep.map((r) => c.symbol[r]),
    expiryIndex: pick(c.expiryIndex),
    right: pick(c.right),
    strike: pick(c.strike),
    bid: pick(c.bid),
    ask: pick(c.ask),
    last: pick(c.last),
    volume: pick(c.volume),
    openInterest: pick(c.openInterest),
    vendorIv: pick(c.vendorIv),
    vendorDelta: pick(c.vendorDelta),
    vendorGamma: pick(c.vendorGamma),
    expiries: newExp,
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Wait until the session is live, not resyncing and has nothing queued. */
export async function settle(s: FeedSession, timeoutMs = 20_000): Promise<void> {
  const t0 = Date.now();
  for (;;) {
    if (s.client.state === 'live' && !s.pipeline.isResyncing && s.pipeline.pending === 0) {
      await s.pipeline.idle();
      await sleep(50);
      if (s.client.state === 'live' && !s.pipeline.isResyncing && s.pipeline.pending === 0) return;
    }
    if (Date.now() - t0 > timeoutMs) throw new Error(`session did not settle (state ${s.client.state}, resyncing ${s.pipeline.isResyncing})`);
    await sleep(20);
  }
}

/** Rows of the client's chain whose state differs from the simulator's truth. */
export function diffWithSim(chain: LiveChain, market: SimMarket, rows: Iterable<number>): string[] {
  const out: string[] = [];
  for (const r of rows) {
    const sr = market.rowOf.get(chain.massive[r]);
    if (sr === undefined) {
      out.push(`${chain.massive[r]}: not in the simulator`);
      continue;
    }
    const a = chain.rowState(r);
    const b = market.rowState(sr);
    for (const k of Object.keys(a) as Array<keyof typeof a>) {
      const x = a[k];
      const y = b[k];
      if (!(x === y || (Number.isNaN(x) && Number.isNaN(y)))) out.push(`${chain.massive[r]}.${k}: client ${x} sim ${y}`);
    }
  }
  return out;
}
