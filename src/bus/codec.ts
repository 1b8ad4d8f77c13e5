/**
 * Wire encoding of the ZeroMQ bus: msgpack (msgpackr) with records, which writes each object shape once per message
 * and so keeps batches of uniform items (quotes) compact and fast to decode. Every message is self-contained (no
 * shared structure table), so any process can decode any message. JSON is used only at external edges (API, CLI).
 *
 * Frames, publisher → hub (PUSH/PULL):   [topic, meta = [key|null, ts], payload = items[]]
 * Frames, hub → subscribers (PUB/SUB):    [topic, header = [epoch, seq, key|null, ts], payload]
 * Heartbeat (PUB):                        ['_hb', [epoch, {topic: seq}]]
 * Snapshot (DEALER → ROUTER):             ['SNAP', prefix]  →  ['KV', topic, header, payload]* then ['END', [epoch, {topic: seq}]]
 * The payload frame is opaque to the hub: it is forwarded and retained as bytes, never decoded there.
 */
import { Packr } from 'msgpackr';

const packr = new Packr({ useRecords: true, moreTypes: true });

export function encode(value: unknown): Buffer {
  return packr.pack(value);
}

export function decode<T>(buf: Buffer | Uint8Array): T {
  return packr.unpack(buf) as T;
}

export const HEARTBEAT_TOPIC = '_hb';

export type Meta = [key: string | null, ts: number];
export type Header = [epoch: string, seq: number, key: string | null, ts: number];
export type Positions = [epoch: string, seqs: Record<string, number>];
