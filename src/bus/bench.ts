/**
 * `manifold bench bus`: throughput of the in-process bus and of the ZeroMQ bus across two processes, end to end
 * (publisher encodes msgpack batches → hub PUB → SUB in a child process that decodes every quote).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { InprocBus } from './inproc.js';
import { quotesTopic, type QuoteItem } from './topics.js';
import { ZmqBus } from './zmq.js';

export interface BusBenchOptions {
  /** Quotes sent through ZeroMQ. */
  quotes: number;
  /** Quotes per ZeroMQ message. */
  batch: number;
  /** Single-quote messages through the in-process bus. */
  inprocMessages: number;
  /** Single-quote messages through ZeroMQ (the unbatched reference). */
  unbatchedMessages: number;
  /** Repetitions; the reported rates are medians (the machine is shared and noisy). */
  runs: number;
}

export interface BusBenchResult {
  inproc_msgs_per_sec: number;
  zmq_msgs_per_sec: number;
  zmq_lost: number;
  unit: string;
  zmq_batch: number;
  zmq_quotes: number;
  zmq_quotes_received: number;
  zmq_bytes_per_quote: number;
  zmq_unbatched_msgs_per_sec: number;
  zmq_unbatched_lost: number;
  runs: number;
  zmq_msgs_per_sec_runs: number[];
}

function makeBatches(batch: number, count: number): QuoteItem[][] {
  const out: QuoteItem[][] = [];
  for (let b = 0; b < count; b++) {
    const items: QuoteItem[] = [];
    for (let i = 0; i < batch; i++) {
      const strike = 4000 + ((b * batch + i) % 2000) * 5;
      items.push({
        s: `O:SPXW261218${i % 2 ? 'P' : 'C'}0${String(strike * 1000).padStart(7, '0')}`,
        bid: 10 + ((i * 7) % 300) / 10,
        ask: 10.2 + ((i * 7) % 300) / 10,
        bs: 1 + (i % 50),
        as: 1 + ((i * 3) % 50),
        t: 1_766_000_000_000 + b * 1000 + i,
      });
    }
    out.push(items);
  }
  return out;
}

export function runInprocBench(messages: number): number {
  const bus = new InprocBus();
  const topic = quotesTopic('SPX');
  let n = 0;
  bus.subscribe<QuoteItem>('data.quotes.', (m) => {
    n += m.items.length;
  });
  const batches = makeBatches(1, 1024);
  const t0 = performance.now();
  for (let i = 0; i < messages; i++) bus.publish(topic, batches[i & 1023][0]);
  const dt = (performance.now() - t0) / 1000;
  void bus.close();
  if (n !== messages) throw new Error(`in-process bus delivered ${n} of ${messages}`);
  return messages / dt;
}

interface ChildReport {
  quotes: number;
  messages: number;
  lost: number;
  firstMs: number;
  lastMs: number;
  complete: boolean;
}

async function zmqRun(quotes: number, batch: number): Promise<{ rate: number; lost: number; received: number; bytesPerQuote: number }> {
  const hub = await ZmqBus.create({
    hub: true,
    pubEndpoint: 'tcp://127.0.0.1:*',
    snapshotEndpoint: 'tcp://127.0.0.1:*',
    collectEndpoint: 'tcp://127.0.0.1:*',
    heartbeatMs: 100,
    sendHwm: 100_000,
  });
  const here = fileURLToPath(import.meta.url);
  const childScript = here.replace(/bench\.(ts|js)$/, (_m, ext: string) => `bench-sub.${ext}`);
  const messages = Math.ceil(quotes / batch);
  const child = spawn(
    process.execPath,
    [...process.execArgv, childScript, hub.endpoints.pub, hub.endpoints.snapshot, hub.endpoints.collect, 'data.quotes.', String(messages)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const closed = new Promise<void>((r) => child.on('close', () => r()));
  try {
    const t0w = Date.now();
    while (!out.includes('READY')) {
      if (Date.now() - t0w > 30_000) throw new Error('bench subscriber did not start');
      await new Promise((r) => setTimeout(r, 10));
    }
    const batches = makeBatches(batch, 64);
    const topic = quotesTopic('SPX');
    let sent = 0;
    let bytes = 0;
    const { encode } = await import('./codec.js');
    bytes = encode(batches[0]).length;
    const t0 = performance.timeOrigin + performance.now();
    for (let m = 0; m < messages; m++) {
      const b = batches[m % 64];
      const items = sent + b.length > quotes ? b.slice(0, quotes - sent) : b;
      sent += items.length;
      if (!hub.publishBatch(topic, items)) await hub.flush();
    }
    await hub.flush();
    await closed;
    const line = out.split('\n').find((l) => l.startsWith('{'));
    if (!line) throw new Error('bench subscriber printed no report');
    const r = JSON.parse(line) as ChildReport;
    if (!r.complete) throw new Error(`bench subscriber stalled: ${line}`);
    return { rate: r.quotes / ((r.lastMs - t0) / 1000), lost: r.lost * batch, received: r.quotes, bytesPerQuote: bytes / batch };
  } finally {
    child.kill('SIGKILL');
    await hub.close();
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export async function runBusBench(o: BusBenchOptions): Promise<BusBenchResult> {
  const inproc: number[] = [];
  const batched: Array<Awaited<ReturnType<typeof zmqRun>>> = [];
  const single: Array<Awaited<ReturnType<typeof zmqRun>>> = [];
  for (let r = 0; r < o.runs; r++) {
    inproc.push(runInprocBench(o.inprocMessages));
    batched.push(await zmqRun(o.quotes, o.batch));
    single.push(await zmqRun(o.unbatchedMessages, 1));
  }
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  return {
    inproc_msgs_per_sec: Math.round(median(inproc)),
    zmq_msgs_per_sec: Math.round(median(batched.map((b) => b.rate))),
    // Loss is summed over all runs: any loss at all must show.
    zmq_lost: sum(batched.map((b) => b.lost)),
    unit: 'quotes/s end to end, median of runs (inproc: one quote per message; zmq: zmq_batch quotes per message, msgpack)',
    zmq_batch: o.batch,
    zmq_quotes: o.quotes * o.runs,
    zmq_quotes_received: sum(batched.map((b) => b.received)),
    zmq_bytes_per_quote: Math.round(batched[0].bytesPerQuote * 10) / 10,
    zmq_unbatched_msgs_per_sec: Math.round(median(single.map((b) => b.rate))),
    zmq_unbatched_lost: sum(single.map((b) => b.lost)),
    runs: o.runs,
    zmq_msgs_per_sec_runs: batched.map((b) => Math.round(b.rate)),
  };
}
