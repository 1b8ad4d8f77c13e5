/**
 * Child process of `manifold bench bus`: a ZeroMQ subscriber in its own process that decodes every batch, counts
 * quotes and loss, and prints one JSON line when every expected message is accounted for (received or lost).
 * argv: <pubEndpoint> <snapshotEndpoint> <collectEndpoint> <topicPrefix> <expectedMessages>
 */
import { ZmqBus } from './zmq.js';
import type { QuoteItem } from './topics.js';

const [pub, snapshot, collect, prefix, expectedRaw] = process.argv.slice(2);
const expected = Number(expectedRaw);
const bus = await ZmqBus.create({ hub: false, pubEndpoint: pub, snapshotEndpoint: snapshot, collectEndpoint: collect, recvHwm: 100_000 });
let quotes = 0;
let checksum = 0;
let firstMs = 0;
let lastMs = 0;
const sub = bus.subscribe<QuoteItem>(prefix, (m) => {
  if (quotes === 0) firstMs = performance.timeOrigin + performance.now();
  const items = m.items;
  for (let i = 0; i < items.length; i++) checksum += items[i].bid; // touch every decoded quote
  quotes += items.length;
  lastMs = performance.timeOrigin + performance.now();
});
await sub.ready;
process.stdout.write('READY\n');
let lastProgress = Date.now();
let lastCount = -1;
const timer = setInterval(() => {
  const s = sub.stats();
  const done = s.messages + s.lost >= expected;
  if (s.messages + s.lost !== lastCount) {
    lastCount = s.messages + s.lost;
    lastProgress = Date.now();
  }
  if (done || Date.now() - lastProgress > 15_000) {
    clearInterval(timer);
    process.stdout.write(JSON.stringify({ quotes, messages: s.messages, lost: s.lost, gaps: s.gaps, firstMs, lastMs, checksum, complete: done }) + '\n');
    void bus.close().then(() => process.exit(0));
  }
}, 5);
