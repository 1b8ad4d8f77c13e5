/**
 * Recording format: the pipeline's inputs (raw frames with receive times, and the ordered control inputs), so that a
 * replay through the same pipeline reproduces the live state exactly.
 *
 *   file   := "MFREC001" u32le(headerLen) header-json block*
 *   block  := u32le(0x3142464d "MFB1") u32le(compressedLen) u32le(rawLen) u32le(crc32(compressed)) u32le(records)
 *             deflate-raw(record*)
 *   record := u8(type) f64le(recvMs) u32le(len) bytes[len]
 *
 * Append-only and crash-safe: each block is compressed on its own (off the main thread, in libuv's pool) and
 * appended whole; nothing already written is ever rewritten. A killed recorder leaves at most one partial block at
 * the end, which the reader detects (length past EOF or CRC mismatch) and reports as a truncated tail; every
 * complete block before it is read.
 */
import { closeSync, existsSync, openSync, readSync, fstatSync, writeSync, fsyncSync } from 'node:fs';
import { crc32, deflateRaw, inflateRawSync } from 'node:zlib';
import { promisify } from 'node:util';
import type { InputSink, InputType, PipelineInput } from './pipeline.js';
import { withDefaults } from './options.js';

const deflateRawAsync = promisify(deflateRaw);

export const FILE_MAGIC = 'MFREC001';
const BLOCK_MAGIC = 0x3142464d;
const BLOCK_HEADER = 20;
const RECORD_HEADER = 13;

export interface RecordingHeader {
  version: 1;
  underlying: string;
  createdMs: number;
  /** Massive tickers of the contract universe the recording was made with (rebuilds the LiveChain on replay). */
  contracts: string[];
  source?: string;
}

export class RecordingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RecordingError';
  }
}

export interface RecorderOptions {
  /** Flush a block when this many raw bytes are buffered. Default 1 MiB. */
  blockBytes?: number;
  /** And at least this often, ms. Default 200. */
  flushMs?: number;
  /** deflate level (1 = fastest). Default 1. */
  level?: number;
  /** fsync after every block (durability against power loss, not only process death). Default false. */
  fsync?: boolean;
}

export class Recorder implements InputSink {
  private readonly fd: number;
  private parts: Buffer[] = [];
  private bytes = 0;
  private records = 0;
  private timer?: NodeJS.Timeout;
  private chain: Promise<void> = Promise.resolve();
  private closed = false;
  private error?: Error;
  readonly stats = { records: 0, blocks: 0, rawBytes: 0, fileBytes: 0 };
  private readonly o: Required<RecorderOptions>;

  constructor(
    readonly path: string,
    header: RecordingHeader,
    opts: RecorderOptions = {},
  ) {
    this.o = withDefaults({ blockBytes: 1 << 20, flushMs: 200, level: 1, fsync: false }, opts);
    if (existsSync(path)) throw new RecordingError(`${path} already exists; recordings are append-only and never overwritten`);
    this.fd = openSync(path, 'ax');
    const h = Buffer.from(JSON.stringify(header), 'utf8');
    const pre = Buffer.alloc(12);
    pre.write(FILE_MAGIC, 0, 'latin1');
    pre.writeUInt32LE(h.length, 8);
    writeSync(this.fd, pre);
    writeSync(this.fd, h);
    this.stats.fileBytes = 12 + h.length;
    this.timer = setInterval(() => this.flush(), this.o.flushMs);
    this.timer.unref();
  }

  write(input: PipelineInput): void {
    if (this.closed) return;
    const rec = Buffer.allocUnsafe(RECORD_HEADER);
    rec.writeUInt8(input.type, 0);
    rec.writeDoubleLE(input.recvMs, 1);
    rec.writeUInt32LE(input.data.length, 9);
    // Copy: ws may reuse nothing, but the caller's buffer is not ours to keep.
    this.parts.push(rec, Buffer.from(input.data));
    this.bytes += RECORD_HEADER + input.data.length;
    this.records++;
    if (this.bytes >= this.o.blockBytes) this.flush();
  }

  /** Compress what is buffered into one block and append it (in order). */
  flush(): void {
    if (this.records === 0) return;
    const raw = Buffer.concat(this.parts, this.bytes);
    const records = this.records;
    this.parts = [];
    this.bytes = 0;
    this.records = 0;
    this.chain = this.chain.then(async () => {
      if (this.error) return;
      try {
        const comp = await deflateRawAsync(raw, { level: this.o.level });
        const head = Buffer.alloc(BLOCK_HEADER);
        head.writeUInt32LE(BLOCK_MAGIC, 0);
        head.writeUInt32LE(comp.length, 4);
        head.writeUInt32LE(raw.length, 8);
        head.writeUInt32LE(crc32(comp), 12);
        head.writeUInt32LE(records, 16);
        writeSync(this.fd, Buffer.concat([head, comp]));
        if (this.o.fsync) fsyncSync(this.fd);
        this.stats.blocks++;
        this.stats.records += records;
        this.stats.rawBytes += raw.length;
        this.stats.fileBytes += BLOCK_HEADER + comp.length;
      } catch (e) {
        this.error = e as Error;
      }
    });
  }

  /** Flush, wait for every block to be on disk, close. */
  async close(): Promise<void> {
    if (this.closed) return;
    clearInterval(this.timer);
    this.flush();
    this.closed = true;
    await this.chain;
    closeSync(this.fd);
    if (this.error) throw new RecordingError(`recording ${this.path} failed: ${this.error.message}`);
  }
}

export interface ReadResult {
  header: RecordingHeader;
  blocks: number;
  records: number;
  /** A partial or corrupt block at the end was skipped (what a killed recorder leaves). */
  truncatedTail: boolean;
  tailReason?: string;
}

/** Read the header of a recording; throws RecordingError if the file is not one. */
function readHeader(fd: number, path: string, size: number): { header: RecordingHeader; offset: number } {
  const pre = Buffer.alloc(12);
  if (readSync(fd, pre, 0, 12, 0) !== 12 || pre.toString('latin1', 0, 8) !== FILE_MAGIC) {
    throw new RecordingError(`${path} is not a Manifold feed recording (bad magic)`);
  }
  const hlen = pre.readUInt32LE(8);
  if (hlen > 64 * 1024 * 1024 || 12 + hlen > size) throw new RecordingError(`${path}: header truncated`);
  const hb = Buffer.alloc(hlen);
  readSync(fd, hb, 0, hlen, 12);
  let header: RecordingHeader;
  try {
    header = JSON.parse(hb.toString('utf8')) as RecordingHeader;
  } catch {
    throw new RecordingError(`${path}: header is not JSON`);
  }
  if (header.version !== 1 || !Array.isArray(header.contracts)) throw new RecordingError(`${path}: unsupported header`);
  return { header, offset: 12 + hlen };
}

/**
 * An open recording: `header`, then `blocks()` yields the records of each complete block in order and stops at the
 * first partial or corrupt block (reported in `result`, not thrown: it is what a killed recorder leaves).
 */
export class RecordingReader {
  readonly header: RecordingHeader;
  readonly result: ReadResult;
  private readonly fd: number;
  private readonly size: number;
  private readonly offset: number;

  constructor(readonly path: string) {
    try {
      this.fd = openSync(path, 'r');
    } catch (e) {
      throw new RecordingError(`cannot open ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    try {
      this.size = fstatSync(this.fd).size;
      const h = readHeader(this.fd, path, this.size);
      this.header = h.header;
      this.offset = h.offset;
    } catch (e) {
      closeSync(this.fd);
      throw e;
    }
    this.result = { header: this.header, blocks: 0, records: 0, truncatedTail: false };
  }

  *blocks(): Generator<PipelineInput[]> {
    const res = this.result;
    const fd = this.fd;
    const size = this.size;
    let pos = this.offset;
    const bh = Buffer.alloc(BLOCK_HEADER);
    const tail = (reason: string) => {
      res.truncatedTail = true;
      res.tailReason = reason;
    };
    while (pos < size) {
      if (readSync(fd, bh, 0, BLOCK_HEADER, pos) !== BLOCK_HEADER) {
        tail('partial block header');
        break;
      }
      if (bh.readUInt32LE(0) !== BLOCK_MAGIC) {
        tail(`bad block magic at byte ${pos}`);
        break;
      }
      const clen = bh.readUInt32LE(4);
      const rlen = bh.readUInt32LE(8);
      const crc = bh.readUInt32LE(12);
      const count = bh.readUInt32LE(16);
      if (pos + BLOCK_HEADER + clen > size) {
        tail(`block at byte ${pos} runs past the end of the file`);
        break;
      }
      const comp = Buffer.alloc(clen);
      readSync(fd, comp, 0, clen, pos + BLOCK_HEADER);
      if (crc32(comp) !== crc) {
        tail(`block at byte ${pos} fails its CRC`);
        break;
      }
      let raw: Buffer;
      try {
        raw = inflateRawSync(comp);
      } catch {
        tail(`block at byte ${pos} does not inflate`);
        break;
      }
      if (raw.length !== rlen) {
        tail(`block at byte ${pos} inflates to ${raw.length} bytes, header says ${rlen}`);
        break;
      }
      const out: PipelineInput[] = new Array(count);
      let p = 0;
      for (let i = 0; i < count; i++) {
        const type = raw.readUInt8(p) as InputType;
        const recvMs = raw.readDoubleLE(p + 1);
        const len = raw.readUInt32LE(p + 9);
        out[i] = { type, recvMs, data: raw.subarray(p + RECORD_HEADER, p + RECORD_HEADER + len) };
        p += RECORD_HEADER + len;
      }
      res.blocks++;
      res.records += count;
      pos += BLOCK_HEADER + clen;
      yield out;
    }
  }

  close(): void {
    closeSync(this.fd);
  }
}
