/**
 * Replay a recording through the same pipeline as live: the recorded inputs (frames, connection and resync events)
 * are pushed in their recorded order, paced by their receive times (`speed` 1 = real time, 10 = ten times faster)
 * or as fast as possible (`'max'`).
 */
import { LiveChain } from './live-chain.js';
import { FeedPipeline, type PipelineOptions } from './pipeline.js';
import { RecordingReader, type ReadResult } from './recorder.js';
import { universeFromContracts } from './rest.js';

export interface ReplayOptions {
  speed?: number | 'max';
  pipeline?: PipelineOptions;
  /** Called after each block (e.g. to print stats). */
  onProgress?: (p: FeedPipeline) => void;
}

export interface ReplayResult {
  chain: LiveChain;
  pipeline: FeedPipeline;
  read: ReadResult;
  elapsedMs: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function replayRecording(path: string, opts: ReplayOptions = {}): Promise<ReplayResult> {
  const speed = opts.speed ?? 'max';
  if (speed !== 'max' && !(speed > 0)) throw new Error(`replay speed must be a positive number or 'max', got ${speed}`);
  const reader = new RecordingReader(path);
  try {
    const h = reader.header;
    const chain = new LiveChain(universeFromContracts(h.underlying, h.contracts.map((symbol) => ({ symbol }))));
    // Receive times in a recording are in the past: latency against "now" would be meaningless.
    const pipeline = new FeedPipeline(chain, { measureLatency: false, ...opts.pipeline, sync: true });
    const t0 = performance.now();
    let first = NaN;
    for (const block of reader.blocks()) {
      for (const input of block) {
        if (speed !== 'max') {
          if (!Number.isFinite(first)) first = input.recvMs;
          const due = (input.recvMs - first) / speed - (performance.now() - t0);
          if (due > 1) await sleep(due);
        }
        pipeline.push(input);
      }
      opts.onProgress?.(pipeline);
      if (speed === 'max') await new Promise((r) => setImmediate(r));
    }
    return { chain, pipeline, read: reader.result, elapsedMs: performance.now() - t0 };
  } finally {
    reader.close();
  }
}
