/**
 * Option contract symbols in the three forms Manifold meets, parsed and formatted both ways:
 *
 * - Massive (formerly Polygon): `O:SPY251219C00650000`, i.e. `O:` + root + YYMMDD + C/P + strike×1000 in 8 digits.
 * - OCC / Tastytrade: `SPY   251219C00650000`, the root left-justified and space-padded to 6 characters (21 chars).
 * - Cboe: `SPXW230421C04050000`, the same without padding.
 *
 * Parsing works from the right, because the tail has a fixed width (6 + 1 + 8) while roots vary in length (1–6)
 * and may carry digits (adjusted roots such as `SPY1`). It is a hand-written character scan without regular
 * expressions and without unbounded caches (only a one-entry memo of the last expiry string): the live feed parses
 * a Massive symbol per message at up to ~1M messages/s, and this keeps the cost at two small objects and a root
 * string per call. `tryParseOptionSymbol` reports a malformed symbol as a value (no exception on the hot path);
 * `parseOptionSymbol` throws a `SymbolError` carrying the reason.
 *
 * Years are two digits in every form; they are read as 2000–2099 (OCC's symbology has no century).
 */
import { daysInMonth } from './calendar.js';

export type OptionRight = 'C' | 'P';

/** The economic identity of a listed option contract. */
export interface OptionContract {
  /** OCC option root, 1–6 characters A–Z/0–9 starting with a letter (e.g. `SPXW`, `SPY1`). */
  root: string;
  /** Expiry date as printed in the symbol, `YYYY-MM-DD`. */
  expiry: string;
  right: OptionRight;
  /** Strike in underlying units; the symbols carry it to 3 decimals. */
  strike: number;
}

/** `massive` has the `O:` prefix, `occ` has space padding; an unpadded compact symbol is reported as `cboe`. */
export type SymbolFormat = 'massive' | 'occ' | 'cboe';

export interface ParsedSymbol extends OptionContract {
  format: SymbolFormat;
}

export type SymbolParseResult = { ok: true; value: ParsedSymbol } | { ok: false; reason: string };

/** A malformed symbol or an unformattable contract; `reason` says what is wrong. */
export class SymbolError extends Error {
  constructor(
    readonly symbol: string,
    readonly reason: string,
  ) {
    super(`invalid option symbol '${symbol}': ${reason}`);
    this.name = 'SymbolError';
  }
}

const TAIL = 15; // YYMMDD + C/P + 8 strike digits
const MAX_STRIKE_MILLI = 99_999_999;

let lastExpiryKey = -1;
let lastExpiry = '';

function fail(reason: string): SymbolParseResult {
  return { ok: false, reason };
}

/** Reads n ASCII digits at `from`; −1 when any is not a digit. */
function readDigits(s: string, from: number, n: number): number {
  let v = 0;
  for (let i = from; i < from + n; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

/** Why `root` is not a valid OCC root, or null when it is. */
function rootProblem(root: string): string | null {
  const n = root.length;
  if (n === 0) return 'empty root';
  if (n > 6) return `root '${root}' longer than 6 characters`;
  const c0 = root.charCodeAt(0);
  if (c0 < 65 || c0 > 90) return `root '${root}' must start with a letter A-Z`;
  for (let i = 1; i < n; i++) {
    const c = root.charCodeAt(i);
    if (!((c >= 65 && c <= 90) || (c >= 48 && c <= 57))) return `root '${root}' has a character other than A-Z, 0-9`;
  }
  return null;
}

/** Parses any of the three forms without throwing. */
export function tryParseOptionSymbol(s: string): SymbolParseResult {
  if (typeof s !== 'string') return fail('not a string');
  const len = s.length;
  if (len < TAIL + 1) return fail(`too short (${len} characters)`);
  const strikeMilli = readDigits(s, len - 8, 8);
  if (strikeMilli < 0) return fail('strike is not 8 digits');
  if (strikeMilli === 0) return fail('strike is zero');
  const r = s.charCodeAt(len - 9);
  if (r !== 67 && r !== 80) return fail(`right '${s[len - 9]}' is not C or P`);
  const p = len - TAIL;
  const yy = readDigits(s, p, 2);
  const mm = readDigits(s, p + 2, 2);
  const dd = readDigits(s, p + 4, 2);
  if (yy < 0 || mm < 0 || dd < 0) return fail('expiry is not 6 digits YYMMDD');
  if (mm < 1 || mm > 12) return fail(`expiry month ${mm} out of range`);
  if (dd < 1 || dd > daysInMonth(2000 + yy, mm)) return fail(`expiry day ${dd} out of range`);

  let format: SymbolFormat;
  let root: string;
  if (s.charCodeAt(0) === 79 && s.charCodeAt(1) === 58) {
    // 'O:' prefix → Massive; the root follows directly, unpadded.
    format = 'massive';
    root = s.slice(2, p);
  } else if (s.charCodeAt(p - 1) === 32) {
    // Trailing space before the date → OCC padded form: exactly 6 root characters, spaces only at the end.
    if (p !== 6) return fail(`OCC form needs the root padded to exactly 6 characters, got ${p}`);
    let end = p;
    while (end > 0 && s.charCodeAt(end - 1) === 32) end--;
    format = 'occ';
    root = s.slice(0, end);
  } else {
    format = 'cboe';
    root = s.slice(0, p);
  }
  const bad = rootProblem(root);
  if (bad !== null) return fail(bad);
  // One-entry memo of the last expiry string: consecutive symbols (a feed's burst, a chain's rows) mostly share an
  // expiry, and handing out the same string object makes later comparisons pointer-fast and saves the allocation.
  const key = yy * 10000 + mm * 100 + dd;
  if (key !== lastExpiryKey) {
    lastExpiryKey = key;
    lastExpiry = '20' + s.slice(p, p + 2) + '-' + s.slice(p + 2, p + 4) + '-' + s.slice(p + 4, p + 6);
  }
  return {
    ok: true,
    value: {
      root,
      expiry: lastExpiry,
      right: r === 67 ? 'C' : 'P',
      strike: strikeMilli / 1000,
      format,
    },
  };
}

/** Parses any of the three forms; throws SymbolError with the reason on a malformed symbol. */
export function parseOptionSymbol(s: string): ParsedSymbol {
  const r = tryParseOptionSymbol(s);
  if (!r.ok) throw new SymbolError(String(s), r.reason);
  return r.value;
}

/** The root + YYMMDD + C/P + 8-digit strike tail shared by the three forms; validates the contract. */
function tail(c: OptionContract): string {
  const bad = rootProblem(c.root);
  if (bad !== null) throw new SymbolError(describe(c), bad);
  const e = c.expiry;
  if (typeof e !== 'string' || e.length !== 10 || e[4] !== '-' || e[7] !== '-' || !e.startsWith('20')) {
    throw new SymbolError(describe(c), `expiry '${e}' is not YYYY-MM-DD in 2000-2099`);
  }
  const yy = readDigits(e, 2, 2);
  const mm = readDigits(e, 5, 2);
  const dd = readDigits(e, 8, 2);
  if (yy < 0 || mm < 1 || mm > 12 || dd < 1 || dd > daysInMonth(2000 + yy, mm)) {
    throw new SymbolError(describe(c), `expiry '${e}' is not a valid date`);
  }
  if (c.right !== 'C' && c.right !== 'P') throw new SymbolError(describe(c), `right '${c.right}' is not C or P`);
  const scaled = c.strike * 1000;
  const milli = Math.round(scaled);
  if (!Number.isFinite(scaled) || milli <= 0 || milli > MAX_STRIKE_MILLI) {
    throw new SymbolError(describe(c), `strike ${c.strike} outside (0, 99999.999]`);
  }
  if (Math.abs(scaled - milli) > 1e-6 * Math.max(1, milli)) {
    throw new SymbolError(describe(c), `strike ${c.strike} has more than 3 decimals`);
  }
  const k = String(milli);
  return e.slice(2, 4) + e.slice(5, 7) + e.slice(8, 10) + c.right + '00000000'.slice(k.length) + k;
}

function describe(c: OptionContract): string {
  return `${c.root} ${c.expiry} ${c.right} ${c.strike}`;
}

/** `O:SPY251219C00650000` */
export function formatMassive(c: OptionContract): string {
  return 'O:' + c.root + tail(c);
}

/** `SPY   251219C00650000` (root space-padded to 6; 21 characters). */
export function formatOcc(c: OptionContract): string {
  const t = tail(c);
  return c.root + '      '.slice(c.root.length) + t;
}

/** `SPXW230421C04050000` */
export function formatCboe(c: OptionContract): string {
  return c.root + tail(c);
}

/** Canonical OCC form of a symbol given in any of the three forms; throws SymbolError. */
export function toOccSymbol(s: string): string {
  return formatOcc(parseOptionSymbol(s));
}
