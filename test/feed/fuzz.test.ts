// 100,000 malformed, truncated, wrong-typed and hostile frames: no crash, each counted under the expected kind,
// and the chain state unchanged. Every hostile frame starts with VALID events that would change the state if they
// were applied, so a decoder that half-applied a frame would be caught.
import { describe, expect, it } from 'vitest';
import { LiveChain } from '../../src/feed/live-chain.js';
import { FeedPipeline } from '../../src/feed/pipeline.js';
import { LIMITS, type DecodeErrorKind } from '../../src/feed/protocol.js';
import { Rng } from '../../src/quant/hmm/rng.js';
import { smallChain } from './helpers.js';

const FRAMES = 100_000;

describe('fuzz: hostile frames', () => {
  it(`${FRAMES} hostile frames are all rejected, counted by kind, and change nothing`, async () => {
    const chain = LiveChain.fromChain(await smallChain(2));
    const rng = new Rng(2024);
    const rows = chain.size;
    let seq = 1e9;
    const validQuote = () => {
      const r = rng.nextInt(rows);
      return { ev: 'Q', sym: chain.massive[r], bx: 1, ax: 2, bp: 1.25, ap: 1.35, bs: 5, as: 6, t: 1_681_500_000_000 + rng.nextInt(1e6), q: ++seq } as Record<string, unknown>;
    };
    const validTrade = () => {
      const r = rng.nextInt(rows);
      return { ev: 'T', sym: chain.massive[r], x: 1, p: 1.3, s: 7, c: [1], t: 1_681_500_000_000 + rng.nextInt(1e6), q: ++seq } as Record<string, unknown>;
    };
    const prefix = () => {
      const out: string[] = [];
      const n = rng.nextInt(4);
      for (let i = 0; i < n; i++) out.push(JSON.stringify(rng.nextFloat() < 0.7 ? validQuote() : validTrade()));
      return out;
    };
    const frame = (events: string[]) => `[${events.join(',')}]`;
    const withBad = (bad: string) => {
      const evs = prefix();
      evs.push(bad);
      if (rng.nextFloat() < 0.3) evs.push(JSON.stringify(validQuote())); // valid events after the bad one too
      return frame(evs);
    };
    /** One valid event with one field replaced by raw JSON text. */
    const mutate = (field: string, raw: string) => {
      const e = rng.nextFloat() < 0.5 ? validQuote() : validTrade();
      const f = e.ev === 'Q' ? field : ({ bp: 'p', ap: 'p', bs: 's', as: 's' } as Record<string, string>)[field] ?? field;
      e[f] = '__X__';
      return JSON.stringify(e).replace('"__X__"', raw);
    };
    const dropField = () => {
      const e = rng.nextFloat() < 0.5 ? validQuote() : validTrade();
      const req = e.ev === 'Q' ? ['sym', 'bp', 'ap', 'bs', 'as', 't', 'q', 'ev'] : ['sym', 'p', 's', 't', 'q', 'ev'];
      delete e[req[rng.nextInt(req.length)]];
      return JSON.stringify(e);
    };
    const fields = ['bp', 'ap', 'bs', 'as', 't', 'q'];
    const generators: Array<[DecodeErrorKind, () => string | Uint8Array]> = [
      ['not_json', () => {
        const f = withBad(JSON.stringify(validQuote()));
        return f.slice(0, 1 + rng.nextInt(f.length - 1)); // truncated
      }],
      ['not_json', () => {
        const garbage = ['NaN', 'Infinity', '-', '01', '1.', '.5', "'x'", 'undefined', '{"a" 1}', '[1,]', '"\\x"', '\u0000'];
        return withBad(garbage[rng.nextInt(garbage.length)]);
      }],
      ['not_json', () => {
        const b = new Uint8Array(1 + rng.nextInt(200));
        for (let i = 0; i < b.length; i++) {
          b[i] = rng.nextInt(256);
          if (b[i] === 0x5b || b[i] === 0x7b) b[i] = 0x20; // no brackets: random bytes must not count as deep nesting
        }
        b[0] = 0xff; // never valid JSON start
        return b;
      }],
      ['not_array', () => [JSON.stringify(validQuote()), '42', '"str"', 'null', 'true', '{}'][rng.nextInt(6)]],
      ['not_object', () => withBad(['1', '"Q"', 'null', 'false', '[]', '[1,2]'][rng.nextInt(6)])],
      ['too_deep', () => {
        const d = LIMITS.maxDepth + 1 + rng.nextInt(rng.nextFloat() < 0.05 ? 20_000 : 20);
        return '['.repeat(d) + ']'.repeat(d);
      }],
      ['too_deep', () => withBad(mutate(fields[rng.nextInt(fields.length)], '[[[1]]]'))],
      ['missing_field', () => withBad(dropField())],
      ['wrong_type', () => withBad(mutate(fields[rng.nextInt(fields.length)], ['"1.5"', 'true', 'null', '[1]', '{}'][rng.nextInt(5)]))],
      ['wrong_type', () => withBad(mutate('sym', ['1', 'null', '["O:X"]', 'true'][rng.nextInt(4)]))],
      ['wrong_type', () => withBad(mutate(['bs', 'as', 'q', 't'][rng.nextInt(4)], '1.5'))],
      ['wrong_type', () => withBad(JSON.stringify({ ev: 7, sym: 'X' }))],
      ['out_of_range', () => withBad(mutate(['bp', 'ap'][rng.nextInt(2)], ['-1', '1e400', '-1e400', '1e20', '99999999999999999999999'][rng.nextInt(5)]))],
      ['out_of_range', () => withBad(mutate('t', ['1681500000000000000', '1681500000', '0', '-5'][rng.nextInt(4)]))],
      ['out_of_range', () => withBad(mutate('q', ['1e300', '-1', '18446744073709551616'][rng.nextInt(3)]))],
      ['out_of_range', () => withBad(mutate('sym', JSON.stringify('O:' + 'A'.repeat(100 + rng.nextInt(10_000)))))],
      ['unknown_event', () => withBad(JSON.stringify({ ...validQuote(), ev: ['ZZ', 'LULD', 'XQ', 'q', 'Q ', '', 'FMV'][rng.nextInt(7)] }))],
    ];
    const before = chain.snapshot({ maskCrossed: false });
    const countersBefore = { ...chain.counters };
    const pipe = new FeedPipeline(chain, { sync: true, measureLatency: false });
    const expected: Record<string, number> = {};
    const enc = new TextEncoder();
    for (let i = 0; i < FRAMES; i++) {
      const [kind, gen] = generators[i % generators.length];
      const f = gen();
      expected[kind] = (expected[kind] ?? 0) + 1;
      pipe.pushFrame(typeof f === 'string' ? enc.encode(f) : f, 0);
    }
    // A few frames over the size limit (one shared buffer: refused before parsing).
    const huge = new Uint8Array(LIMITS.maxFrameBytes + 1).fill(0x20);
    for (let i = 0; i < 3; i++) pipe.pushFrame(huge, 0);
    expected.too_large = 3;

    const m = pipe.metrics;
    expect(m.decodeErrorTotal).toBe(FRAMES + 3);
    expect(m.messages).toBe(0);
    const got = Object.fromEntries(Object.entries(m.decodeErrors).filter(([, v]) => v > 0));
    expect(got).toEqual(expected);

    const after = chain.snapshot({ maskCrossed: false });
    for (const k of ['bid', 'ask', 'last', 'volume', 'openInterest'] as const) expect(after[k]).toEqual(before[k]);
    expect(after.flags).toEqual(before.flags);
    expect(chain.quoteSeq.every((q) => q === -1)).toBe(true);
    expect(chain.tradeSeq.every((q) => q === -1)).toBe(true);
    expect(chain.counters).toEqual(countersBefore);
  });
});
