/**
 * Everything GEX says about one book: totals (gamma, delta, vanna, charm exposure), by-strike table and its levels,
 * by-expiry and by-DTE-bucket sums, next-expiry split, profile vs spot with the zero-gamma flip, optional profiles
 * under vol shifts. Pure composition of the kernels in this folder; the chain-facing side is `analytics/gex.ts`.
 */
import type { GexBook } from './book.js';
import { validateBook } from './book.js';
import { bookExposures, bookGreeks, type BookExposures } from './greeks.js';
import { aggregateByGroup, aggregateByStrike, dteBucket, DTE_BUCKETS, strikeLevels, sum, type DteBucket, type StrikeLevels, type StrikeTable } from './aggregate.js';
import { nearestCrossing, planProfile, profileInto, spotGridInfo, zeroCrossings, type ProfilePlan, type ZeroCrossing } from './profile.js';

export interface GexSummaryOptions {
  /** Number of expiry groups (book.expiryGroup values are in [0, groups)). */
  groups: number;
  /** Whole calendar days from the as-of date to each group's expiry date (for DTE buckets). */
  groupDays: ArrayLike<number>;
  /** 1 for groups that expire at the next expiry date (what rolls off first). */
  nextGroups?: ArrayLike<number>;
  /** Profile points (default 201: odd, so the middle point is the spot itself). */
  profilePoints?: number;
  /** Profile half-width as a fraction of spot (default 0.2 = ±20 %). */
  halfWidth?: number;
  /** Optional vol shifts (decimal, e.g. [-0.05, 0.05]) for extra profiles with every IV shifted. */
  volShifts?: number[];
}

export interface Totals {
  /** $ per 1 % move. */
  gex: number;
  /** Shares (underlying units) per $1 move. */
  gexShares: number;
  /** Dealer dollar delta. */
  dex: number;
  dexShares: number;
  /** $ of dealer dollar delta per +1 vol point. */
  vex: number;
  /** $ of dealer dollar delta per calendar day. */
  cex: number;
  /** GEX of calls and of puts separately. */
  callGex: number;
  putGex: number;
}

export interface VolShiftProfile {
  volShift: number;
  gex: Float64Array;
  flip: ZeroCrossing | null;
  droppedNonPositiveVol: number;
}

export interface GexSummary {
  spot: number;
  contracts: number;
  totals: Totals;
  exposures: BookExposures;
  byStrike: StrikeTable;
  levels: StrikeLevels;
  byGroup: { gex: Float64Array; callGex: Float64Array; putGex: Float64Array; gexShares: Float64Array };
  byBucket: Record<DteBucket, number>;
  /** GEX that expires at the next expiry date, and everything else. */
  nextGex: number;
  exNextGex: number;
  /** Profile over an even-in-ln-S grid; `spotIndex` is where the grid point equals the spot exactly. */
  profile: { spots: Float64Array; gex: Float64Array; exNext: Float64Array; spotIndex: number };
  crossings: ZeroCrossing[];
  flip: ZeroCrossing | null;
  exNextFlip: ZeroCrossing | null;
  volProfiles: VolShiftProfile[];
  plan: ProfilePlan;
}

function totalsOf(e: BookExposures, right: Uint8Array, n: number): Totals {
  let callGex = 0;
  let putGex = 0;
  for (let i = 0; i < n; i++) {
    if (right[i] === 0) callGex += e.gex[i];
    else putGex += e.gex[i];
  }
  return {
    gex: sum(e.gex, n),
    gexShares: sum(e.gexShares, n),
    dex: sum(e.dex, n),
    dexShares: sum(e.dexShares, n),
    vex: sum(e.vex, n),
    cex: sum(e.cex, n),
    callGex,
    putGex,
  };
}

export function summarizeBook(book: GexBook, opts: GexSummaryOptions): GexSummary {
  const bad = validateBook(book);
  if (bad) throw new Error(`invalid GEX book: ${bad}`);
  const n = book.n;
  for (let i = 0; i < n; i++) {
    const g = book.expiryGroup[i];
    if (!(g >= 0 && g < opts.groups)) throw new Error(`contract ${i}: expiry group ${g} outside [0, ${opts.groups})`);
  }
  const greeks = bookGreeks(book);
  const exposures = bookExposures(book, greeks);
  const totals = totalsOf(exposures, book.right, n);
  const byStrike = aggregateByStrike(book.strike, book.right, exposures.gex, n);
  const levels = strikeLevels(byStrike);

  const callOnly = new Float64Array(n);
  const putOnly = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (book.right[i] === 0) callOnly[i] = exposures.gex[i];
    else putOnly[i] = exposures.gex[i];
  }
  const byGroup = {
    gex: aggregateByGroup(book.expiryGroup, exposures.gex, n, opts.groups),
    callGex: aggregateByGroup(book.expiryGroup, callOnly, n, opts.groups),
    putGex: aggregateByGroup(book.expiryGroup, putOnly, n, opts.groups),
    gexShares: aggregateByGroup(book.expiryGroup, exposures.gexShares, n, opts.groups),
  };
  const byBucket = Object.fromEntries(DTE_BUCKETS.map((b) => [b, 0])) as Record<DteBucket, number>;
  for (let g = 0; g < opts.groups; g++) {
    const b = dteBucket(opts.groupDays[g]);
    if (b) byBucket[b] += byGroup.gex[g];
  }

  const nextMask = new Uint8Array(n);
  let nextGex = 0;
  if (opts.nextGroups) {
    for (let i = 0; i < n; i++) {
      if (opts.nextGroups[book.expiryGroup[i]] === 1) {
        nextMask[i] = 1;
        nextGex += exposures.gex[i];
      }
    }
  }

  const grid = spotGridInfo(book.spot, opts.halfWidth ?? 0.2, opts.profilePoints ?? 201);
  const spots = grid.spots;
  const plan = planProfile(book, { nextMask });
  const gex = new Float64Array(spots.length);
  const nextProfile = new Float64Array(spots.length);
  profileInto(plan, spots, gex, nextProfile);
  const exNext = new Float64Array(spots.length);
  for (let j = 0; j < spots.length; j++) exNext[j] = gex[j] - nextProfile[j];
  const crossings = zeroCrossings(plan, spots, gex, 'all');
  const flip = nearestCrossing(crossings, book.spot);
  const exNextFlip = nearestCrossing(zeroCrossings(plan, spots, exNext, 'ex-next'), book.spot);

  const volProfiles: VolShiftProfile[] = [];
  for (const shift of opts.volShifts ?? []) {
    const p = planProfile(book, { volShift: shift });
    const g = new Float64Array(spots.length);
    profileInto(p, spots, g);
    volProfiles.push({ volShift: shift, gex: g, flip: nearestCrossing(zeroCrossings(p, spots, g), book.spot), droppedNonPositiveVol: p.droppedNonPositiveVol });
  }

  return {
    spot: book.spot,
    contracts: n,
    totals,
    exposures,
    byStrike,
    levels,
    byGroup,
    byBucket,
    nextGex,
    exNextGex: totals.gex - nextGex,
    profile: { spots, gex, exNext, spotIndex: grid.spotIndex },
    crossings,
    flip,
    exNextFlip,
    volProfiles,
    plan,
  };
}
