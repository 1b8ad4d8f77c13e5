import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EventBatch, FrameDecoder, K_QUOTE, K_STATUS, K_TRADE } from '../../src/feed/decode.js';
import { parseFrame, validateEvent, FrameError, type QuoteEvent, type TradeEvent } from '../../src/feed/protocol.js';
import { SymbolIndex, UNDERLYING_ROW } from '../../src/feed/symbol-index.js';
import { Rng } from '../../src/quant/hmm/rng.js';
import { sharedRoot } from '../support/cli.js';

const spec = JSON.parse(readFileSync(join(sharedRoot, 'data/protocol/massive-websocket-spec.json'), 'utf8')) as {
  paths: Record<string, { get: { responses: { 200: { content: { 'application/json': { example: unknown } } } } } }>;
  components: { schemas: Record<string, { allOf?: Array<{ example?: string }> }> };
};
const example = (path: string) => spec.paths[path].get.responses[200].content['application/json'].example as Record<string, unknown>;

function index(): SymbolIndex {
  const ix = new SymbolIndex();
  ['O:SPY241220P00720000', 'O:AMC210827C00037000', 'O:ONEM220121C00025000', 'O:SPXW230421C04100000'].forEach((s, i) => ix.set(s, i));
  ix.set('MSFT', UNDERLYING_ROW);
  return ix;
}

describe('protocol types from the spec', () => {
  it('accepts the spec examples of options and stocks Q, T, A/AM and the status events', () => {
    for (const p of ['/options/Q', '/options/T', '/options/A', '/options/AM', '/stocks/Q', '/stocks/T', '/stocks/A', '/stocks/AM']) {
      const e = example(p);
      expect(() => validateEvent(e), p).not.toThrow();
    }
    for (const name of ['ConnectEvent', 'DisconnectEvent', 'AuthEvent', 'SubscribeEvent', 'UnsubscribeEvent']) {
      const ex = spec.components.schemas[name].allOf!.find((x) => x.example)!.example!;
      const e = validateEvent(JSON.parse(ex));
      expect(e.ev).toBe('status');
    }
  });

  it('the fast scanner and JSON.parse + validation decode the spec examples identically', () => {
    const dec = new FrameDecoder(index());
    const b = new EventBatch();
    const q = example('/options/Q') as unknown as QuoteEvent;
    const t = example('/options/T') as unknown as TradeEvent;
    const frame = Buffer.from(JSON.stringify([q, t]));
    expect(dec.decode(frame, b)).toEqual({ ok: true, fast: true });
    expect(b.n).toBe(2);
    expect([b.kind[0], b.row[0], b.bid[0], b.ask[0], b.bidSize[0], b.askSize[0], b.t[0], b.q[0]]).toEqual([K_QUOTE, 0, q.bp, q.ap, q.bs, q.as, q.t, q.q]);
    expect([b.kind[1], b.row[1], b.bid[1], b.bidSize[1], b.t[1], b.q[1]]).toEqual([K_TRADE, 1, t.p, t.s, t.t, t.q]);
  });

  it('classifies rejected frames by kind', () => {
    const kind = (text: string) => {
      try {
        parseFrame(text);
        return 'ok';
      } catch (e) {
        return (e as FrameError).kind;
      }
    };
    expect(kind('[{"ev":"Q","sym":"X"')).toBe('not_json');
    expect(kind('{"ev":"Q"}')).toBe('not_array');
    expect(kind('[1]')).toBe('not_object');
    expect(kind('[[[[[]]]]]')).toBe('too_deep');
    expect(kind('[{"ev":"Q","sym":"X","bp":1,"ap":2,"bs":1,"as":1,"t":1681500000000}]')).toBe('missing_field');
    expect(kind('[{"ev":"Q","sym":"X","bp":"1","ap":2,"bs":1,"as":1,"t":1681500000000,"q":1}]')).toBe('wrong_type');
    expect(kind('[{"ev":"T","sym":"X","p":1e400,"s":1,"t":1681500000000,"q":1}]')).toBe('out_of_range');
    expect(kind('[{"ev":"T","sym":"X","p":1,"s":1,"t":1681500000000000000,"q":1}]')).toBe('out_of_range'); // ns on the WebSocket
    expect(kind('[{"ev":"LULD","sym":"X"}]')).toBe('unknown_event');
    expect(kind('[]')).toBe('ok');
  });
});

/** Random valid Q/T/status events with random key order, whitespace, optional fields and number spellings. */
function randomValidFrame(rng: Rng, syms: string[]): { text: string; events: Array<Record<string, unknown>> } {
  const events: Array<Record<string, unknown>> = [];
  const n = 1 + rng.nextInt(6);
  const price = () => Math.round(rng.nextFloat() * 1e5) / 100;
  for (let i = 0; i < n; i++) {
    const sym = syms[rng.nextInt(syms.length)];
    const t = 1_681_500_000_000 + rng.nextInt(1e6);
    const q = rng.nextInt(1e9);
    const r = rng.nextFloat();
    if (r < 0.5) events.push({ ev: 'Q', sym, bx: rng.nextInt(400), ax: rng.nextInt(400), bp: price(), ap: price(), bs: rng.nextInt(500), as: rng.nextInt(500), t, q });
    else if (r < 0.85) events.push({ ev: 'T', sym, x: rng.nextInt(400), p: price(), s: 1 + rng.nextInt(100), c: [rng.nextInt(300)], t, q });
    else if (r < 0.95) events.push({ ev: 'Q', sym: 'MSFT', bx: 4, bp: price(), bs: 1, ax: 7, ap: price(), as: 2, c: 0, i: [604], t, q, z: 3 });
    else events.push({ ev: 'status', status: 'success', message: `subscribed to: Q.${sym}` });
  }
  const ws = () => [' ', '', '\n', '\t'][rng.nextInt(4)];
  const numText = (v: number) => {
    const k = rng.nextInt(8);
    if (k === 0 && v !== 0) return v.toExponential(); // exponent spelling → slow path, same value
    if (k === 1 && Number.isInteger(v)) return v.toFixed(1); // 17.0 is a valid JSON integer value
    return String(v);
  };
  const objText = (e: Record<string, unknown>) => {
    const keys = Object.keys(e);
    if (rng.nextFloat() < 0.3) keys.sort(() => rng.nextFloat() - 0.5);
    const parts = keys.map((k) => {
      const v = e[k];
      const vt = typeof v === 'number' ? numText(v) : JSON.stringify(v);
      return `${ws()}"${k}"${ws()}:${ws()}${vt}`;
    });
    return `{${parts.join(',')}}`;
  };
  return { text: `${ws()}[${events.map(objText).join(',' + ws())}]`, events };
}

describe('fast scanner vs slow path', () => {
  it('decodes 20,000 random valid frames exactly like JSON.parse (values, rows, kinds)', () => {
    const ix = index();
    const syms = ['O:SPY241220P00720000', 'O:AMC210827C00037000', 'O:SPXW230421C04100000', 'O:NOT230421C04100000'];
    const dec = new FrameDecoder(ix);
    const b = new EventBatch(4);
    const rng = new Rng(42);
    let fast = 0;
    const bad: string[] = [];
    const same = (a: unknown, b: unknown) => a === b;
    for (let f = 0; f < 20_000; f++) {
      const { text, events } = randomValidFrame(rng, syms);
      const res = dec.decode(Buffer.from(text), b);
      if (!res.ok || b.n !== events.length) {
        bad.push(`frame rejected or short: ${text}`);
        continue;
      }
      if (res.fast) fast++;
      for (let i = 0; i < events.length; i++) {
        const e = events[i];
        let ok: boolean;
        if (e.ev === 'status') ok = b.kind[i] === K_STATUS;
        else {
          ok = same(b.row[i], ix.get(e.sym as string)) && same(b.t[i], e.t) && same(b.q[i], e.q);
          if (e.ev === 'Q') ok &&= b.kind[i] === K_QUOTE && same(b.bid[i], e.bp) && same(b.ask[i], e.ap) && same(b.bidSize[i], e.bs) && same(b.askSize[i], e.as);
          else ok &&= b.kind[i] === K_TRADE && same(b.bid[i], e.p) && same(b.bidSize[i], e.s);
        }
        if (!ok) bad.push(`event ${i} of ${text}`);
      }
    }
    expect(bad.slice(0, 5)).toEqual([]);
    // Most frames are plain Q/T and must take the fast path; the rest (exponents, status) the slow one.
    expect(fast).toBeGreaterThan(2000);
    expect(dec.slowFrames).toBeGreaterThan(1000);
  });
});
