import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCboeChain } from '../../src/market/cboe.js';
import { CALL, PUT } from '../../src/market/chain.js';
import { findRow, invalidateStrikeIndex, strikeIndex } from '../../src/market/chain-index.js';
import { parseOptionSymbol } from '../../src/market/symbols.js';
import { repoRoot } from '../support/cli.js';

const text = readFileSync(join(repoRoot, 'data', 'chains', 'SPX_2023-04-14_eod.csv'), 'utf8');
const { chain } = parseCboeChain(text, 'sample');

describe('per-strike index', () => {
  it('pairs every call with its put, strike by strike, for every expiry', () => {
    let rows = 0;
    for (let e = 0; e < chain.expiries.length; e++) {
      const idx = strikeIndex(chain, e);
      expect(strikeIndex(chain, e)).toBe(idx); // cached
      for (let i = 0; i < idx.strikes.length; i++) {
        if (i > 0) expect(idx.strikes[i]).toBeGreaterThan(idx.strikes[i - 1]);
        for (const [row, right] of [
          [idx.call[i], 'C'],
          [idx.put[i], 'P'],
        ] as const) {
          // Cboe rows always carry both sides.
          expect(row).toBeGreaterThanOrEqual(0);
          const c = parseOptionSymbol(chain.symbol[row]);
          expect(c.strike).toBe(idx.strikes[i]);
          expect(c.right).toBe(right);
          expect(chain.expiryIndex[row]).toBe(e);
          rows++;
        }
      }
    }
    expect(rows).toBe(chain.size);
  });

  it('finds rows by (expiry, strike, right)', () => {
    const e = chain.expiries.findIndex((x) => x.root === 'SPX' && x.date === '2023-04-21');
    const r = findRow(chain, e, 4050, CALL);
    expect(chain.symbol[r]).toBe('SPX   230421C04050000');
    expect(chain.symbol[findRow(chain, e, 4050, PUT)]).toBe('SPX   230421P04050000');
    expect(findRow(chain, e, 4050.5, CALL)).toBe(-1);
    expect(() => strikeIndex(chain, chain.expiries.length)).toThrow(RangeError);
  });

  it('marks a missing side with -1 and rebuilds after invalidation', () => {
    const copy = { ...chain, right: chain.right.slice() };
    const e = 0;
    const first = strikeIndex(copy, e);
    const putRow = first.put[0];
    copy.right[putRow] = CALL; // now two calls at that strike, no put
    invalidateStrikeIndex(copy);
    const again = strikeIndex(copy, e);
    expect(again).not.toBe(first);
    expect(again.put[0]).toBe(-1);
    expect(again.call[0]).toBe(first.call[0]);
  });
});
