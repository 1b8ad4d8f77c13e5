/**
 * Massive symbol → row index, built once per subscribed contract set.
 *
 * The hot decode path looks symbols up straight from the frame's bytes, so no string is allocated per event:
 * an open-addressing table keyed by the FNV-1a hash of the ASCII bytes, with the key bytes kept in one pool for the
 * equality check. `get(string)` serves the slow path and everything else.
 */

/** Row code for the underlying itself (a stock/index event whose `sym` is the underlying ticker). */
export const UNDERLYING_ROW = -2;
/** Row code for a symbol that is not in the set (not subscribed / unknown). */
export const NO_ROW = -1;

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1a over bytes [start, end). Exported so the scanner can hash while it scans. */
export function fnv1a(bytes: Uint8Array, start: number, end: number): number {
  let h = FNV_OFFSET;
  for (let i = start; i < end; i++) h = Math.imul(h ^ bytes[i], FNV_PRIME);
  return h >>> 0;
}

export class SymbolIndex {
  private readonly map = new Map<string, number>();
  private slots: Int32Array; // entry id + 1, 0 = empty
  private mask: number;
  private keyStart: Int32Array;
  private keyLen: Int32Array;
  private value: Int32Array;
  private pool: Uint8Array;
  private poolUsed = 0;
  private count = 0;

  constructor(capacity = 1024) {
    let size = 16;
    while (size < capacity * 2) size <<= 1;
    this.slots = new Int32Array(size);
    this.mask = size - 1;
    this.keyStart = new Int32Array(capacity);
    this.keyLen = new Int32Array(capacity);
    this.value = new Int32Array(capacity);
    this.pool = new Uint8Array(capacity * 24);
  }

  get size(): number {
    return this.count;
  }

  /** Add (or re-point) a symbol. Symbols are ASCII (Massive tickers); anything else is refused. */
  set(sym: string, row: number): void {
    if (!/^[\x21-\x7e]{1,64}$/.test(sym)) throw new Error(`symbol '${sym}' is not a printable ASCII ticker`);
    const existing = this.map.get(sym);
    this.map.set(sym, row);
    if (existing !== undefined) {
      const id = this.findId(Buffer.from(sym, 'latin1'), 0, sym.length);
      this.value[id] = row;
      return;
    }
    if (this.count + 1 > this.keyStart.length) this.growEntries();
    if ((this.count + 1) * 2 > this.slots.length) this.rehash(this.slots.length * 2);
    if (this.poolUsed + sym.length > this.pool.length) {
      const p = new Uint8Array(Math.max(this.pool.length * 2, this.poolUsed + sym.length));
      p.set(this.pool.subarray(0, this.poolUsed));
      this.pool = p;
    }
    const id = this.count++;
    for (let i = 0; i < sym.length; i++) this.pool[this.poolUsed + i] = sym.charCodeAt(i);
    this.keyStart[id] = this.poolUsed;
    this.keyLen[id] = sym.length;
    this.value[id] = row;
    this.poolUsed += sym.length;
    this.insertSlot(id, fnv1a(this.pool, this.keyStart[id], this.poolUsed));
  }

  get(sym: string): number {
    return this.map.get(sym) ?? NO_ROW;
  }

  symbols(): IterableIterator<[string, number]> {
    return this.map.entries();
  }

  /** Row of the symbol whose bytes are bytes[start, end) with the given FNV-1a hash, or NO_ROW. */
  lookup(bytes: Uint8Array, start: number, end: number, hash: number): number {
    const len = end - start;
    const pool = this.pool;
    let s = hash & this.mask;
    for (;;) {
      const slot = this.slots[s];
      if (slot === 0) return NO_ROW;
      const id = slot - 1;
      if (this.keyLen[id] === len) {
        const ks = this.keyStart[id];
        let i = 0;
        while (i < len && pool[ks + i] === bytes[start + i]) i++;
        if (i === len) return this.value[id];
      }
      s = (s + 1) & this.mask;
    }
  }

  private findId(bytes: Uint8Array, start: number, end: number): number {
    const len = end - start;
    let s = fnv1a(bytes, start, end) & this.mask;
    for (;;) {
      const id = this.slots[s] - 1;
      if (id < 0) return -1;
      if (this.keyLen[id] === len) {
        let i = 0;
        while (i < len && this.pool[this.keyStart[id] + i] === bytes[start + i]) i++;
        if (i === len) return id;
      }
      s = (s + 1) & this.mask;
    }
  }

  private insertSlot(id: number, hash: number): void {
    let s = hash & this.mask;
    while (this.slots[s] !== 0) s = (s + 1) & this.mask;
    this.slots[s] = id + 1;
  }

  private growEntries(): void {
    const n = this.keyStart.length * 2;
    const grow = (a: Int32Array): Int32Array => {
      const b = new Int32Array(n);
      b.set(a);
      return b;
    };
    this.keyStart = grow(this.keyStart);
    this.keyLen = grow(this.keyLen);
    this.value = grow(this.value);
  }

  private rehash(size: number): void {
    this.slots = new Int32Array(size);
    this.mask = size - 1;
    for (let id = 0; id < this.count; id++) {
      this.insertSlot(id, fnv1a(this.pool, this.keyStart[id], this.keyStart[id] + this.keyLen[id]));
    }
  }
}
