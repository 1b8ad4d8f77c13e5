/**
 * The Massive WebSocket protocol, as described by `massive-websocket-spec.json` (OpenAPI 2.0.0 "Massive Websocket
 * Spec", paths `/options/{Q,T,A,AM}` and `/stocks/{Q,T,A,AM}`, schemas `*Event`).
 *
 * Every server frame is a JSON array of events, each an object with an `ev` discriminator. Timestamps on the
 * WebSocket are Unix milliseconds (REST uses nanoseconds). `q` is increasing and unique per ticker but NOT
 * contiguous ("1, 2, 6, 9, 10, 11"): it orders events and exposes duplicates, it does not reveal loss.
 *
 * This module holds the types, the strict validator used by the slow path (JSON.parse + validate), the limits both
 * decode paths share, and the client → server action messages.
 */

/** Option quote (NBBO) event, `ev: "Q"` on the options cluster. */
export interface QuoteEvent {
  ev: 'Q';
  sym: string;
  bx?: number;
  ax?: number;
  bp: number;
  ap: number;
  bs: number;
  as: number;
  t: number;
  q: number;
  /** Stocks only: condition, indicators, tape. */
  c?: number;
  i?: number[];
  z?: number;
}

/** Trade event, `ev: "T"`. */
export interface TradeEvent {
  ev: 'T';
  sym: string;
  x?: number;
  p: number;
  s: number;
  c?: number[];
  t: number;
  q: number;
  /** Stocks only. */
  i?: string;
  z?: number;
  trfi?: number;
  trft?: number;
}

/** Per-second (`A`) or per-minute (`AM`) aggregate. */
export interface AggregateEvent {
  ev: 'A' | 'AM';
  sym: string;
  v: number;
  av: number;
  op?: number;
  vw?: number;
  o: number;
  c: number;
  h: number;
  l: number;
  a?: number;
  z?: number;
  s: number;
  e: number;
  otc?: boolean;
}

/**
 * Status values of the spec's ConnectEvent / AuthEvent / SubscribeEvent / DisconnectEvent. `connected` is what the
 * live service sends on connect (the spec's ConnectEvent example says `success`); both are accepted.
 */
export const STATUS_VALUES = [
  'connected',
  'success',
  'auth_success',
  'auth_failed',
  'auth_timeout',
  'auth_required',
  'error',
  'max_connections',
  'force_disconnect',
  'slow_consumer',
] as const;
export type StatusValue = (typeof STATUS_VALUES)[number];

export interface StatusEvent {
  ev: 'status';
  status: string;
  message: string;
}

export type MassiveEvent = QuoteEvent | TradeEvent | AggregateEvent | StatusEvent;

/** Why a frame was rejected. Every rejected frame is counted under exactly one kind. */
export const DECODE_ERROR_KINDS = [
  'not_json',
  'not_array',
  'not_object',
  'too_large',
  'too_deep',
  'missing_field',
  'wrong_type',
  'out_of_range',
  'unknown_event',
] as const;
export type DecodeErrorKind = (typeof DECODE_ERROR_KINDS)[number];

export class FrameError extends Error {
  constructor(
    readonly kind: DecodeErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'FrameError';
  }
}

/**
 * Sanity bounds shared by both decode paths. Anything outside is `out_of_range` and rejects the whole frame:
 * a feed that sends a $10M option price or a nanosecond timestamp on the WebSocket is broken, not a market.
 */
export const LIMITS = {
  /** Frames above this many bytes are refused before parsing. */
  maxFrameBytes: 16 * 1024 * 1024,
  /** Deepest array/object nesting any valid frame has: [ { "c": [ ] } ]. */
  maxDepth: 3,
  maxPrice: 1e7,
  maxSize: 1e9,
  /** WebSocket timestamps are ms: 2000-01-01 .. 2100-01-01. A ns or s timestamp lands outside. */
  minTimeMs: 946_684_800_000,
  maxTimeMs: 4_102_444_800_000,
  maxSeq: Number.MAX_SAFE_INTEGER,
  maxSymbolLength: 64,
  maxMessageLength: 4096,
  maxConditions: 64,
} as const;

const fail = (kind: DecodeErrorKind, msg: string): never => {
  throw new FrameError(kind, msg);
};

function reqNumber(o: Record<string, unknown>, k: string, ev: string): number {
  const v = o[k];
  if (v === undefined) return fail('missing_field', `${ev} event without '${k}'`);
  if (typeof v !== 'number') return fail('wrong_type', `${ev}.${k} is not a number`);
  return v;
}

function price(o: Record<string, unknown>, k: string, ev: string): number {
  const v = reqNumber(o, k, ev);
  if (!(v >= 0 && v <= LIMITS.maxPrice)) fail('out_of_range', `${ev}.${k} = ${v} outside [0, ${LIMITS.maxPrice}]`);
  return v;
}

function integer(o: Record<string, unknown>, k: string, ev: string, max: number): number {
  const v = reqNumber(o, k, ev);
  if (!Number.isInteger(v)) fail('wrong_type', `${ev}.${k} = ${v} is not an integer`);
  if (v < 0 || v > max) fail('out_of_range', `${ev}.${k} = ${v} outside [0, ${max}]`);
  return v;
}

function timeMs(o: Record<string, unknown>, k: string, ev: string): number {
  const v = reqNumber(o, k, ev);
  if (!Number.isInteger(v)) fail('wrong_type', `${ev}.${k} is not an integer`);
  if (v < LIMITS.minTimeMs || v > LIMITS.maxTimeMs) fail('out_of_range', `${ev}.${k} = ${v} is not a ms timestamp`);
  return v;
}

function optInteger(o: Record<string, unknown>, k: string, ev: string, max: number): number | undefined {
  return o[k] === undefined ? undefined : integer(o, k, ev, max);
}

function symbol(o: Record<string, unknown>, ev: string): string {
  const v = o.sym;
  if (v === undefined) return fail('missing_field', `${ev} event without 'sym'`);
  if (typeof v !== 'string') return fail('wrong_type', `${ev}.sym is not a string`);
  if (v.length === 0 || v.length > LIMITS.maxSymbolLength) fail('out_of_range', `${ev}.sym has length ${v.length}`);
  return v;
}

function intArray(o: Record<string, unknown>, k: string, ev: string): number[] | undefined {
  const v = o[k];
  if (v === undefined) return undefined;
  if (!Array.isArray(v)) return fail('wrong_type', `${ev}.${k} is not an array`);
  if (v.length > LIMITS.maxConditions) fail('out_of_range', `${ev}.${k} has ${v.length} items`);
  for (const x of v) {
    if (typeof x !== 'number' || !Number.isInteger(x)) fail('wrong_type', `${ev}.${k} has a non-integer item`);
  }
  return v as number[];
}

/** Validate one parsed event strictly. Throws FrameError; never returns a partially checked event. */
export function validateEvent(raw: unknown): MassiveEvent {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return fail('not_object', 'event is not an object');
  const o = raw as Record<string, unknown>;
  const ev = o.ev;
  if (ev === undefined) return fail('missing_field', "event without 'ev'");
  if (typeof ev !== 'string') return fail('wrong_type', "'ev' is not a string");
  switch (ev) {
    case 'Q': {
      const e: QuoteEvent = {
        ev: 'Q',
        sym: symbol(o, ev),
        bp: price(o, 'bp', ev),
        ap: price(o, 'ap', ev),
        bs: integer(o, 'bs', ev, LIMITS.maxSize),
        as: integer(o, 'as', ev, LIMITS.maxSize),
        t: timeMs(o, 't', ev),
        q: integer(o, 'q', ev, LIMITS.maxSeq),
      };
      const bx = optInteger(o, 'bx', ev, 1e6);
      const ax = optInteger(o, 'ax', ev, 1e6);
      if (bx !== undefined) e.bx = bx;
      if (ax !== undefined) e.ax = ax;
      const c = optInteger(o, 'c', ev, 1e6);
      if (c !== undefined) e.c = c;
      const i = intArray(o, 'i', ev);
      if (i !== undefined) e.i = i;
      const z = optInteger(o, 'z', ev, 1e6);
      if (z !== undefined) e.z = z;
      return e;
    }
    case 'T': {
      const e: TradeEvent = {
        ev: 'T',
        sym: symbol(o, ev),
        p: price(o, 'p', ev),
        s: integer(o, 's', ev, LIMITS.maxSize),
        t: timeMs(o, 't', ev),
        q: integer(o, 'q', ev, LIMITS.maxSeq),
      };
      const x = optInteger(o, 'x', ev, 1e6);
      if (x !== undefined) e.x = x;
      const c = intArray(o, 'c', ev);
      if (c !== undefined) e.c = c;
      if (o.i !== undefined) {
        if (typeof o.i !== 'string') fail('wrong_type', 'T.i is not a string');
        e.i = o.i as string;
      }
      const z = optInteger(o, 'z', ev, 1e6);
      if (z !== undefined) e.z = z;
      return e;
    }
    case 'A':
    case 'AM': {
      const e: AggregateEvent = {
        ev,
        sym: symbol(o, ev),
        v: integer(o, 'v', ev, LIMITS.maxSize * 1000),
        av: integer(o, 'av', ev, LIMITS.maxSize * 1000),
        o: price(o, 'o', ev),
        c: price(o, 'c', ev),
        h: price(o, 'h', ev),
        l: price(o, 'l', ev),
        s: timeMs(o, 's', ev),
        e: timeMs(o, 'e', ev),
      };
      for (const k of ['op', 'vw', 'a'] as const) if (o[k] !== undefined) e[k] = price(o, k, ev);
      const z = optInteger(o, 'z', ev, LIMITS.maxSize);
      if (z !== undefined) e.z = z;
      if (o.otc !== undefined) {
        if (typeof o.otc !== 'boolean') fail('wrong_type', `${ev}.otc is not a boolean`);
        e.otc = o.otc as boolean;
      }
      return e;
    }
    case 'status': {
      if (typeof o.status !== 'string') return fail(o.status === undefined ? 'missing_field' : 'wrong_type', 'status event without a string status');
      const message = o.message === undefined ? '' : o.message;
      if (typeof message !== 'string') return fail('wrong_type', 'status.message is not a string');
      if (o.status.length > 64 || message.length > LIMITS.maxMessageLength) fail('out_of_range', 'status event too long');
      return { ev: 'status', status: o.status, message };
    }
    default:
      return fail('unknown_event', `unknown event type '${ev.slice(0, 16)}'`);
  }
}

/** Nesting depth of a JSON text, ignoring brackets inside strings; stops counting past `limit`. */
export function jsonDepthExceeds(text: string, limit: number): boolean {
  let depth = 0;
  let inStr = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inStr) {
      if (ch === 92 /* \ */) i++;
      else if (ch === 34) inStr = false;
      continue;
    }
    if (ch === 34) inStr = true;
    else if (ch === 91 || ch === 123) {
      if (++depth > limit) return true;
    } else if (ch === 93 || ch === 125) depth--;
  }
  return false;
}

/** Slow path: parse and validate a whole frame. All events are validated before any is returned. */
export function parseFrame(text: string): MassiveEvent[] {
  if (text.length > LIMITS.maxFrameBytes) fail('too_large', `frame of ${text.length} bytes`);
  // JSON.parse recurses: a hostile [[[[...]]]] would cost a stack overflow or time. Check depth first.
  if (jsonDepthExceeds(text, LIMITS.maxDepth)) fail('too_deep', `frame nested deeper than ${LIMITS.maxDepth}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    return fail('not_json', `frame is not JSON: ${(e as Error).message.slice(0, 80)}`);
  }
  if (!Array.isArray(parsed)) return fail('not_array', 'frame is not a JSON array');
  const out: MassiveEvent[] = new Array(parsed.length);
  for (let i = 0; i < parsed.length; i++) out[i] = validateEvent(parsed[i]);
  return out;
}

// ---- client → server actions ------------------------------------------------------------------------------------

export type Channel = 'Q' | 'T' | 'A' | 'AM';

export function authMessage(apiKey: string): string {
  return JSON.stringify({ action: 'auth', params: apiKey });
}

/** `{"action":"subscribe","params":"Q.O:SPY251219C00650000,T.O:..."}`. */
export function subscribeMessage(params: string[]): string {
  return JSON.stringify({ action: 'subscribe', params: params.join(',') });
}

export function unsubscribeMessage(params: string[]): string {
  return JSON.stringify({ action: 'unsubscribe', params: params.join(',') });
}

/** Massive option ticker from an OCC symbol: `SPXW  230421C04050000` → `O:SPXW230421C04050000`. */
export function massiveFromOcc(occ: string): string {
  return 'O:' + occ.replace(/ /g, '');
}

/** Whether a status ends the session for good (retrying would only repeat it). */
export function isFatalStatus(status: string): boolean {
  return status === 'auth_failed' || status === 'max_connections';
}
