/**
 * Append-only spool file for history writes made while the database is away. Each record is
 * `[u32 length][u32 crc32][msgpack [table, rows]]`, written with one write() and fdatasync'd, so a crash can
 * at worst leave a torn last record, which the reader detects (length/CRC) and skips with a warning.
 * Replay progress is kept in `<file>.pos` (atomic rename) so a crash during replay resumes where it stopped;
 * the record in flight at the crash is sent again and the idempotent keys absorb it.
 */
import { closeSync, existsSync, fdatasyncSync, fstatSync, ftruncateSync, mkdirSync, openSync, readFileSync, readSync, renameSync, rmSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { crc32 } from 'node:zlib';
import { Packr } from 'msgpackr';
import { createLogger } from '../util/log.js';
import type { RowValues } from './tables.js';

const log = createLogger('store.spool');
const packr = new Packr({ useRecords: false });

export interface SpoolRecord {
  table: string;
  rows: RowValues[];
}

export class Spool {
  private fd: number;
  private readonly lockFile: string;
  /** Byte offset of the first record not yet replayed. */
  private pos = 0;
  private readonly posFile: string;
  torn = 0;

  constructor(
    readonly file: string,
    private readonly opts: { fsync?: boolean } = {},
  ) {
    mkdirSync(dirname(file), { recursive: true });
    this.lockFile = `${file}.lock`;
    this.takeLock();
    this.posFile = `${file}.pos`;
    this.fd = openSync(file, 'a+');
    if (existsSync(this.posFile)) {
      const p = Number(readFileSync(this.posFile, 'utf8'));
      if (Number.isInteger(p) && p >= 0 && p <= this.size()) this.pos = p;
    }
  }

  /** One process per spool file: a second writer would interleave records and double-replay. */
  private takeLock(): void {
    try {
      writeFileSync(this.lockFile, String(process.pid), { flag: 'wx' });
    } catch {
      const other = Number(readFileSync(this.lockFile, 'utf8'));
      let alive: boolean;
      try {
        alive = Number.isInteger(other) && other !== process.pid && process.kill(other, 0);
      } catch {
        alive = false;
      }
      if (alive) throw new Error(`spool ${this.file} is in use by process ${other}`);
      writeFileSync(this.lockFile, String(process.pid));
    }
  }

  private closedSize: number | undefined;

  size(): number {
    return this.closedSize ?? fstatSync(this.fd).size;
  }

  /** Bytes appended but not yet replayed. */
  pendingBytes(): number {
    return this.size() - this.pos;
  }

  append(table: string, rows: RowValues[]): void {
    if (rows.length === 0) return;
    const body = packr.pack([table, rows]);
    const rec = Buffer.allocUnsafe(8 + body.length);
    rec.writeUInt32LE(body.length, 0);
    rec.writeUInt32LE(crc32(body), 4);
    body.copy(rec, 8);
    let off = 0;
    while (off < rec.length) off += writeSync(this.fd, rec, off, rec.length - off);
    if (this.opts.fsync !== false) fdatasyncSync(this.fd);
  }

  /** The next unreplayed record, or undefined at the end. Call `commit()` once it is safely in the database. */
  peek(): { record: SpoolRecord; next: number } | undefined {
    const size = this.size();
    if (this.pos >= size) return undefined;
    const head = Buffer.alloc(8);
    if (size - this.pos < 8 || readSync(this.fd, head, 0, 8, this.pos) < 8) return this.tornTail(size);
    const len = head.readUInt32LE(0);
    const crc = head.readUInt32LE(4);
    if (this.pos + 8 + len > size) return this.tornTail(size);
    const body = Buffer.alloc(len);
    readSync(this.fd, body, 0, len, this.pos + 8);
    if (crc32(body) !== crc) return this.tornTail(size);
    const [table, rows] = packr.unpack(body) as [string, RowValues[]];
    return { record: { table, rows }, next: this.pos + 8 + len };
  }

  /**
   * The next unreplayed records, up to about `maxRows` rows (at least one record), grouped by table in order of
   * first appearance with each table's rows in spool order. Tables are independent, so replaying a window table by
   * table keeps every table's order; a window is committed as a whole, and a crash inside it replays it again
   * (absorbed by the idempotent keys). Large windows make the catch-up after a long outage run in big statements.
   */
  peekWindow(maxRows: number): { groups: Map<string, RowValues[]>; rows: number; next: number } | undefined {
    const first = this.peek();
    if (!first) return undefined;
    const groups = new Map<string, RowValues[]>([[first.record.table, first.record.rows.slice()]]);
    let rows = first.record.rows.length;
    let next = first.next;
    const saved = this.pos;
    try {
      while (rows < maxRows) {
        this.pos = next;
        const more = this.peekQuiet();
        if (!more) break;
        const g = groups.get(more.record.table);
        if (g) for (const r of more.record.rows) g.push(r);
        else groups.set(more.record.table, more.record.rows.slice());
        rows += more.record.rows.length;
        next = more.next;
      }
    } finally {
      this.pos = saved;
    }
    return { groups, rows, next };
  }

  /** peek() that leaves a torn tail for the next real peek() to report. */
  private peekQuiet(): { record: SpoolRecord; next: number } | undefined {
    const size = this.size();
    if (size - this.pos < 8) return undefined;
    const head = Buffer.alloc(8);
    readSync(this.fd, head, 0, 8, this.pos);
    const len = head.readUInt32LE(0);
    if (this.pos + 8 + len > size) return undefined;
    const body = Buffer.alloc(len);
    readSync(this.fd, body, 0, len, this.pos + 8);
    if (crc32(body) !== head.readUInt32LE(4)) return undefined;
    const [table, rows] = packr.unpack(body) as [string, RowValues[]];
    return { record: { table, rows }, next: this.pos + 8 + len };
  }

  private tornTail(size: number): undefined {
    // Only a crash in the middle of append() can produce this; everything before it is intact.
    this.torn++;
    log.warn({ file: this.file, offset: this.pos, size }, 'torn record at the end of the spool skipped');
    this.pos = size;
    this.savePos();
    return undefined;
  }

  commit(next: number): void {
    this.pos = next;
    this.savePos();
  }

  private savePos(): void {
    const tmp = `${this.posFile}.tmp`;
    writeFileSync(tmp, String(this.pos));
    renameSync(tmp, this.posFile);
  }

  /** Everything replayed: empty the file (called synchronously right after peek() returned undefined). */
  reset(): void {
    ftruncateSync(this.fd, 0);
    this.pos = 0;
    rmSync(this.posFile, { force: true });
  }

  close(): void {
    if (this.closedSize !== undefined) return;
    this.closedSize = this.size();
    closeSync(this.fd);
    try {
      unlinkSync(this.lockFile);
    } catch {
      /* already gone */
    }
  }
}
