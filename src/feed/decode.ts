/**
 * Frame decoder: bytes of one WebSocket frame → an `EventBatch` (struct of arrays), all or nothing.
 *
 * Fast path, for the two shapes that make up nearly all traffic (Q and T objects with flat numeric/string fields):
 * first an exact template of the field order Massive sends (no key parsing at all), then a generic scanner for any
 * key order. Both work on the raw bytes, look symbols up without allocating strings, and parse numbers exactly
 * (mantissa ≤ 15 digits divided by an exact power of ten is correctly rounded, i.e. identical to JSON.parse). The
 * fast path never rejects anything itself: whenever it meets something it does not handle (escapes, exponents,
 * status/aggregate events, unknown keys, duplicate keys, out-of-range values...) it gives up and the slow path
 * (JSON.parse + strict validation in protocol.ts) decides. So the fast path accepts only frames the slow path
 * accepts, with identical values (test/feed/decode.test.ts checks this on 20,000 random frames).
 *
 * A frame is applied only after the whole frame has been decoded and validated: a malformed frame never half-applies.
 */
import { FrameError, LIMITS, parseFrame, type DecodeErrorKind, type MassiveEvent, type StatusEvent, type AggregateEvent } from './protocol.js';
import { NO_ROW, SymbolIndex } from './symbol-index.js';

export const K_QUOTE = 1;
export const K_TRADE = 2;
export const K_AGG = 3;
export const K_STATUS = 4;

/** Decoded events of one frame, column-wise and reused from frame to frame. */
export class EventBatch {
  n = 0;
  kind: Uint8Array;
  row: Int32Array;
  /** Q: bid price; T: trade price; A/AM: close. */
  bid: Float64Array;
  /** Q: ask price. */
  ask: Float64Array;
  /** Q: bid size; T: trade size; A/AM: accumulated volume (`av`). */
  bidSize: Float64Array;
  askSize: Float64Array;
  /** Exchange timestamp, ms (A/AM: window end). */
  t: Float64Array;
  /** Sequence number (NaN for aggregates). */
  q: Float64Array;
  /** For K_STATUS / K_AGG: index into `statuses` / `aggregates`; -1 otherwise. */
  ref: Int32Array;
  statuses: StatusEvent[] = [];
  aggregates: AggregateEvent[] = [];
  /** Symbols of events whose symbol was not in the index (for counting/diagnostics). */
  unknownSymbols = 0;

  constructor(capacity = 1024) {
    this.kind = new Uint8Array(capacity);
    this.row = new Int32Array(capacity);
    this.bid = new Float64Array(capacity);
    this.ask = new Float64Array(capacity);
    this.bidSize = new Float64Array(capacity);
    this.askSize = new Float64Array(capacity);
    this.t = new Float64Array(capacity);
    this.q = new Float64Array(capacity);
    this.ref = new Int32Array(capacity);
  }

  get capacity(): number {
    return this.kind.length;
  }

  reset(): void {
    this.n = 0;
    this.unknownSymbols = 0;
    if (this.statuses.length) this.statuses = [];
    if (this.aggregates.length) this.aggregates = [];
  }

  grow(): void {
    const cap = this.capacity * 2;
    const g8 = (a: Uint8Array) => { const b = new Uint8Array(cap); b.set(a); return b; };
    const g32 = (a: Int32Array) => { const b = new Int32Array(cap); b.set(a); return b; };
    const g64 = (a: Float64Array) => { const b = new Float64Array(cap); b.set(a); return b; };
    this.kind = g8(this.kind);
    this.row = g32(this.row);
    this.ref = g32(this.ref);
    this.bid = g64(this.bid);
    this.ask = g64(this.ask);
    this.bidSize = g64(this.bidSize);
    this.askSize = g64(this.askSize);
    this.t = g64(this.t);
    this.q = g64(this.q);
  }
}

export type DecodeResult = { ok: true; fast: boolean } | { ok: false; kind: DecodeErrorKind; message: string };

// Exact powers of ten (all ≤ 1e22 are exactly representable doubles).
const POW10 = Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));

// Key codes for the fast scanner.
const F_EV = 1, F_SYM = 2, F_BX = 4, F_AX = 8, F_BP = 16, F_AP = 32, F_BS = 64, F_AS = 128, F_T = 256, F_Q = 512;
const F_X = 1024, F_P = 2048, F_S = 4096, F_C = 8192, F_I = 16384, F_Z = 32768, F_TRFI = 65536, F_TRFT = 131072;
const Q_REQ = F_EV | F_SYM | F_BP | F_AP | F_BS | F_AS | F_T | F_Q;
const Q_ALLOWED = Q_REQ | F_BX | F_AX | F_C | F_I | F_Z;
const T_REQ = F_EV | F_SYM | F_P | F_S | F_T | F_Q;
const T_ALLOWED = T_REQ | F_X | F_C | F_I | F_Z | F_TRFI | F_TRFT;

const lit = (x: string) => new TextEncoder().encode(x);
const LIT_Q_HEAD = lit('{"ev":"Q","sym":');
const LIT_T_HEAD = lit('{"ev":"T","sym":');
const LIT_BX = lit(',"bx":');
const LIT_AX = lit(',"ax":');
const LIT_BP = lit(',"bp":');
const LIT_AP = lit(',"ap":');
const LIT_BS = lit(',"bs":');
const LIT_AS = lit(',"as":');
const LIT_T = lit(',"t":');
const LIT_Q = lit(',"q":');
const LIT_X = lit(',"x":');
const LIT_P = lit(',"p":');
const LIT_S = lit(',"s":');
const LIT_C = lit(',"c":');

/**
 * Decoder bound to one symbol index. Not re-entrant: one decoder per pipeline. The scanner state lives in fields so
 * the hot loop does not allocate.
 */
export class FrameDecoder {
  private b: Uint8Array = new Uint8Array(0);
  private pos = 0;
  private num = 0;
  private symRow = NO_ROW;
  private strStart = 0;
  private strEnd = 0;
  /** Frames that took the fast path / the slow path (for the benchmark and diagnostics). */
  fastFrames = 0;
  slowFrames = 0;

  constructor(readonly symbols: SymbolIndex) {}

  /**
   * Decode `bytes` into `out` (reset first). On failure `out.n` is 0 and the kind says why; the caller must not
   * apply anything.
   */
  decode(bytes: Uint8Array, out: EventBatch): DecodeResult {
    out.reset();
    if (bytes.length > LIMITS.maxFrameBytes) return { ok: false, kind: 'too_large', message: `frame of ${bytes.length} bytes` };
    if (this.scanFrame(bytes, out)) {
      this.fastFrames++;
      return { ok: true, fast: true };
    }
    out.reset();
    this.slowFrames++;
    let events: MassiveEvent[];
    try {
      events = parseFrame(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
    } catch (e) {
      if (e instanceof FrameError) return { ok: false, kind: e.kind, message: e.message };
      // JSON.parse can throw RangeError on pathological input even within the depth limit; count it as not JSON.
      return { ok: false, kind: 'not_json', message: (e as Error).message.slice(0, 120) };
    }
    this.fill(events, out);
    return { ok: true, fast: false };
  }

  /** Put validated events into the batch. */
  private fill(events: MassiveEvent[], out: EventBatch): void {
    for (const e of events) {
      if (out.n === out.capacity) out.grow();
      const i = out.n++;
      out.ref[i] = -1;
      switch (e.ev) {
        case 'Q':
          out.kind[i] = K_QUOTE;
          out.row[i] = this.symbols.get(e.sym);
          out.bid[i] = e.bp;
          out.ask[i] = e.ap;
          out.bidSize[i] = e.bs;
          out.askSize[i] = e.as;
          out.t[i] = e.t;
          out.q[i] = e.q;
          break;
        case 'T':
          out.kind[i] = K_TRADE;
          out.row[i] = this.symbols.get(e.sym);
          out.bid[i] = e.p;
          out.bidSize[i] = e.s;
          out.ask[i] = NaN;
          out.askSize[i] = NaN;
          out.t[i] = e.t;
          out.q[i] = e.q;
          break;
        case 'A':
        case 'AM':
          out.kind[i] = K_AGG;
          out.row[i] = this.symbols.get(e.sym);
          out.bid[i] = e.c;
          out.bidSize[i] = e.av;
          out.t[i] = e.e;
          out.q[i] = NaN;
          out.ref[i] = out.aggregates.length;
          out.aggregates.push(e);
          break;
        case 'status':
          out.kind[i] = K_STATUS;
          out.row[i] = NO_ROW;
          out.ref[i] = out.statuses.length;
          out.statuses.push(e);
          continue;
      }
      if (out.row[i] === NO_ROW) out.unknownSymbols++;
    }
  }

  // ---- fast scanner -------------------------------------------------------------------------------------------

  private ws(): void {
    const b = this.b;
    let p = this.pos;
    while (p < b.length) {
      const c = b[p];
      if (c === 32 || c === 10 || c === 13 || c === 9) p++;
      else break;
    }
    this.pos = p;
  }

  /** Returns true when the whole frame was decoded by the fast path. */
  private scanFrame(bytes: Uint8Array, out: EventBatch): boolean {
    this.b = bytes;
    this.pos = 0;
    this.ws();
    if (bytes[this.pos] !== 91 /* [ */) return false;
    this.pos++;
    this.ws();
    if (bytes[this.pos] === 93 /* ] */) {
      this.pos++;
      this.ws();
      return this.pos === bytes.length;
    }
    for (;;) {
      if (bytes[this.pos] !== 123 /* { */) return false;
      if (out.n === out.capacity) out.grow();
      if (!this.scanEvent(out)) return false;
      this.ws();
      const c = bytes[this.pos];
      if (c === 44 /* , */) {
        this.pos++;
        this.ws();
        continue;
      }
      if (c !== 93) return false;
      this.pos++;
      this.ws();
      return this.pos === bytes.length;
    }
  }

  /** Scan a string token; sets strStart/strEnd; bails on escapes and control characters. */
  private scanString(): boolean {
    const b = this.b;
    let p = this.pos;
    if (b[p] !== 34) return false;
    p++;
    const start = p;
    while (p < b.length) {
      const c = b[p];
      if (c === 34) {
        this.strStart = start;
        this.strEnd = p;
        this.pos = p + 1;
        return true;
      }
      if (c === 92 || c < 32) return false;
      p++;
    }
    return false;
  }

  /** Scan a symbol string, hashing as it goes, and resolve its row. */
  private scanSymbol(): boolean {
    const b = this.b;
    let p = this.pos;
    if (b[p] !== 34) return false;
    p++;
    const start = p;
    let h = 0x811c9dc5;
    while (p < b.length) {
      const c = b[p];
      if (c === 34) {
        const len = p - start;
        if (len === 0 || len > LIMITS.maxSymbolLength) return false;
        this.symRow = this.symbols.lookup(b, start, p, h >>> 0);
        this.pos = p + 1;
        return true;
      }
      // Tickers are printable ASCII; anything else (escapes, UTF-8, control) goes to the slow path.
      if (c === 92 || c < 33 || c > 126) return false;
      h = Math.imul(h ^ c, 0x01000193);
      p++;
    }
    return false;
  }

  /** Scan a JSON number exactly; bails on exponents and on more than 15 significant digits. */
  private scanNumber(): boolean {
    const b = this.b;
    let p = this.pos;
    let neg = false;
    if (b[p] === 45) {
      neg = true;
      p++;
    }
    let c = b[p];
    if (c === undefined || c < 48 || c > 57) return false;
    let m = 0;
    let digits = 0;
    if (c === 48) {
      p++;
      c = b[p];
      if (c !== undefined && c >= 48 && c <= 57) return false; // leading zero
    } else {
      while (c !== undefined && c >= 48 && c <= 57) {
        m = m * 10 + (c - 48);
        digits++;
        c = b[++p];
      }
    }
    let frac = 0;
    if (c === 46) {
      c = b[++p];
      if (c === undefined || c < 48 || c > 57) return false;
      while (c !== undefined && c >= 48 && c <= 57) {
        m = m * 10 + (c - 48);
        if (m !== 0) digits++;
        frac++;
        c = b[++p];
      }
    }
    if (c === 101 || c === 69) return false; // exponent
    if (digits > 15 || frac > 22) return false;
    const v = frac === 0 ? m : m / POW10[frac];
    this.num = neg ? -v : v;
    this.pos = p;
    return true;
  }

  /** Skip an array of integers (trade conditions / indicators). */
  private scanIntArray(): boolean {
    const b = this.b;
    if (b[this.pos] !== 91) return false;
    this.pos++;
    this.ws();
    if (b[this.pos] === 93) {
      this.pos++;
      return true;
    }
    let count = 0;
    for (;;) {
      if (!this.scanNumber() || !Number.isInteger(this.num)) return false;
      if (++count > LIMITS.maxConditions) return false;
      this.ws();
      const c = b[this.pos];
      if (c === 44) {
        this.pos++;
        this.ws();
        continue;
      }
      if (c !== 93) return false;
      this.pos++;
      return true;
    }
  }

  private scanGeneric(out: EventBatch): boolean {
    const b = this.b;
    this.pos++; // {
    this.ws();
    let seen = 0;
    let evKind = 0;
    let cArray = false;
    let iArray = false;
    let iString = false;
    let row = NO_ROW;
    let bp = NaN, ap = NaN, bs = NaN, as = NaN, t = NaN, q = NaN, p = NaN, s = NaN;
    let ints = true; // every field that must be an integer is
    if (b[this.pos] === 125) return false; // {} → slow path reports missing ev
    for (;;) {
      if (!this.scanString()) return false;
      const ks = this.strStart;
      const kl = this.strEnd - ks;
      this.ws();
      if (b[this.pos] !== 58 /* : */) return false;
      this.pos++;
      this.ws();
      let f = 0;
      const k0 = b[ks];
      const k1 = kl > 1 ? b[ks + 1] : 0;
      if (kl === 1) {
        f = k0 === 116 ? F_T : k0 === 113 ? F_Q : k0 === 120 ? F_X : k0 === 112 ? F_P : k0 === 115 ? F_S : k0 === 99 ? F_C : k0 === 105 ? F_I : k0 === 122 ? F_Z : 0;
      } else if (kl === 2) {
        if (k1 === 112) f = k0 === 98 ? F_BP : k0 === 97 ? F_AP : 0; // bp ap
        else if (k1 === 115) f = k0 === 98 ? F_BS : k0 === 97 ? F_AS : 0; // bs as
        else if (k1 === 120) f = k0 === 98 ? F_BX : k0 === 97 ? F_AX : 0; // bx ax
        else if (k0 === 101 && k1 === 118) f = F_EV;
      } else if (kl === 3) {
        if (k0 === 115 && k1 === 121 && b[ks + 2] === 109) f = F_SYM;
      } else if (kl === 4 && k0 === 116 && k1 === 114 && b[ks + 2] === 102) {
        f = b[ks + 3] === 105 ? F_TRFI : b[ks + 3] === 116 ? F_TRFT : 0;
      }
      if (f === 0 || (seen & f) !== 0) return false; // unknown or duplicate key
      seen |= f;
      if (f === F_EV) {
        if (!this.scanString()) return false;
        const l = this.strEnd - this.strStart;
        const e0 = b[this.strStart];
        if (l !== 1) return false; // status, A, AM, anything else → slow path
        if (e0 === 81) evKind = K_QUOTE;
        else if (e0 === 84) evKind = K_TRADE;
        else return false;
      } else if (f === F_SYM) {
        if (!this.scanSymbol()) return false;
        row = this.symRow;
      } else if (f === F_C && b[this.pos] === 91) {
        if (!this.scanIntArray()) return false;
        cArray = true;
      } else if (f === F_I && b[this.pos] === 91) {
        if (!this.scanIntArray()) return false;
        iArray = true;
      } else if (f === F_I && b[this.pos] === 34) {
        if (!this.scanString()) return false;
        iString = true;
      } else {
        if (!this.scanNumber()) return false;
        const v = this.num;
        switch (f) {
          case F_BP: bp = v; break;
          case F_AP: ap = v; break;
          case F_BS: bs = v; break;
          case F_AS: as = v; break;
          case F_T: t = v; break;
          case F_Q: q = v; break;
          case F_P: p = v; break;
          case F_S: s = v; break;
          default:
            // bx, ax, x, z, c (quote condition), trfi, trft: integers we do not keep. Same bound as the slow path
            // (ids ≤ 1e6); trft is a timestamp, above it, so such frames simply take the slow path.
            if (!(v >= 0 && v <= 1e6 && Number.isInteger(v))) ints = false;
        }
      }
      this.ws();
      const c = b[this.pos];
      if (c === 44) {
        this.pos++;
        this.ws();
        continue;
      }
      if (c !== 125) return false;
      this.pos++;
      break;
    }
    if (!ints) return false;
    if (evKind === K_QUOTE) {
      if ((seen & Q_REQ) !== Q_REQ || (seen & ~Q_ALLOWED) !== 0 || cArray || iString) return false;
      return this.commitQuote(out, row, bp, ap, bs, as, t, q);
    }
    if (evKind === K_TRADE) {
      if ((seen & T_REQ) !== T_REQ || (seen & ~T_ALLOWED) !== 0 || iArray) return false;
      if ((seen & F_C) !== 0 && !cArray) return false;
      return this.commitTrade(out, row, p, s, t, q);
    }
    return false;
  }

  private commitQuote(out: EventBatch, row: number, bp: number, ap: number, bs: number, as: number, t: number, q: number): boolean {
    if (!(t >= LIMITS.minTimeMs && t <= LIMITS.maxTimeMs && Number.isInteger(t))) return false;
    if (!(q >= 0 && q <= LIMITS.maxSeq && Number.isInteger(q))) return false;
    if (!(bp >= 0 && bp <= LIMITS.maxPrice && ap >= 0 && ap <= LIMITS.maxPrice)) return false;
    if (!(bs >= 0 && bs <= LIMITS.maxSize && Number.isInteger(bs) && as >= 0 && as <= LIMITS.maxSize && Number.isInteger(as))) return false;
    const i = out.n;
    out.kind[i] = K_QUOTE;
    out.row[i] = row;
    out.bid[i] = bp;
    out.ask[i] = ap;
    out.bidSize[i] = bs;
    out.askSize[i] = as;
    out.t[i] = t;
    out.q[i] = q;
    out.ref[i] = -1;
    if (row === NO_ROW) out.unknownSymbols++;
    out.n = i + 1;
    return true;
  }

  private commitTrade(out: EventBatch, row: number, p: number, s: number, t: number, q: number): boolean {
    if (!(t >= LIMITS.minTimeMs && t <= LIMITS.maxTimeMs && Number.isInteger(t))) return false;
    if (!(q >= 0 && q <= LIMITS.maxSeq && Number.isInteger(q))) return false;
    if (!(p >= 0 && p <= LIMITS.maxPrice && s >= 0 && s <= LIMITS.maxSize && Number.isInteger(s))) return false;
    const i = out.n;
    out.kind[i] = K_TRADE;
    out.row[i] = row;
    out.bid[i] = p;
    out.bidSize[i] = s;
    out.ask[i] = NaN;
    out.askSize[i] = NaN;
    out.t[i] = t;
    out.q[i] = q;
    out.ref[i] = -1;
    if (row === NO_ROW) out.unknownSymbols++;
    out.n = i + 1;
    return true;
  }

  /** Match `lit` at the cursor and step over it. */
  private lit(l: Uint8Array): boolean {
    const b = this.b;
    const p = this.pos;
    const n = l.length;
    if (p + n > b.length) return false;
    for (let i = 0; i < n; i++) if (b[p + i] !== l[i]) return false;
    this.pos = p + n;
    return true;
  }

  /**
   * Template path: the exact field order and spelling Massive sends (spec examples; the simulator uses the same).
   * No key parsing at all. Anything different (order, whitespace, extra or missing field) falls back to the
   * generic scanner from the start of the object.
   */
  private scanTemplate(out: EventBatch): boolean {
    if (this.lit(LIT_Q_HEAD)) {
      if (!this.scanSymbol()) return false;
      const row = this.symRow;
      if (!this.lit(LIT_BX) || !this.scanNumber()) return false;
      const bx = this.num;
      if (!this.lit(LIT_AX) || !this.scanNumber()) return false;
      const ax = this.num;
      if (!this.lit(LIT_BP) || !this.scanNumber()) return false;
      const bp = this.num;
      if (!this.lit(LIT_AP) || !this.scanNumber()) return false;
      const ap = this.num;
      if (!this.lit(LIT_BS) || !this.scanNumber()) return false;
      const bs = this.num;
      if (!this.lit(LIT_AS) || !this.scanNumber()) return false;
      const as = this.num;
      if (!this.lit(LIT_T) || !this.scanNumber()) return false;
      const t = this.num;
      if (!this.lit(LIT_Q) || !this.scanNumber()) return false;
      const q = this.num;
      if (this.b[this.pos] !== 125) return false;
      this.pos++;
      if (!(bx >= 0 && bx <= 1e6 && Number.isInteger(bx) && ax >= 0 && ax <= 1e6 && Number.isInteger(ax))) return false;
      return this.commitQuote(out, row, bp, ap, bs, as, t, q);
    }
    if (this.lit(LIT_T_HEAD)) {
      if (!this.scanSymbol()) return false;
      const row = this.symRow;
      if (!this.lit(LIT_X) || !this.scanNumber()) return false;
      const x = this.num;
      if (!this.lit(LIT_P) || !this.scanNumber()) return false;
      const p = this.num;
      if (!this.lit(LIT_S) || !this.scanNumber()) return false;
      const s = this.num;
      if (!this.lit(LIT_C) || !this.scanIntArray()) return false;
      if (!this.lit(LIT_T) || !this.scanNumber()) return false;
      const t = this.num;
      if (!this.lit(LIT_Q) || !this.scanNumber()) return false;
      const q = this.num;
      if (this.b[this.pos] !== 125) return false;
      this.pos++;
      if (!(x >= 0 && x <= 1e6 && Number.isInteger(x))) return false;
      return this.commitTrade(out, row, p, s, t, q);
    }
    return false;
  }

  private scanEvent(out: EventBatch): boolean {
    const start = this.pos;
    if (this.scanTemplate(out)) return true;
    this.pos = start;
    return this.scanGeneric(out);
  }
}
