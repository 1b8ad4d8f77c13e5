// Worker body of SurfaceRunner (./surface-runner.ts): fits the slice inputs it is sent (raw SVI per slice, warm-started,
// then eSSVI) off the main thread, so that the feed and the monitor keep running during a refit. The query object
// (closures) cannot cross threads: the caller rebuilds it from the eSSVI nodes in the slices.
import { parentPort } from 'node:worker_threads';
import { fitSlices, type PreviousSurface } from '../analytics/surface.js';
import type { SliceInput } from '../analytics/slices.js';
import type { OptionChain } from '../market/chain.js';
import type { RawSvi } from '../quant/svi/raw.js';

export interface SurfaceJob {
  id: number;
  meta: { underlying: string; asOfMs: number; asOfDate: string };
  spot: number;
  inputs: SliceInput[];
  warm: Array<[string, RawSvi]>;
}

// The worker's last fit and its inputs (same underlying): the live refit keeps unchanged slices, tests residual jumps
// against it and warm-starts the eSSVI nodes from it (see SurfaceOptions.previous).
let last: { underlying: string; previous: PreviousSurface } | null = null;

parentPort!.on('message', (job: SurfaceJob) => {
  try {
    // fitSlices reads only the chain's identity (underlying, as-of) besides the inputs.
    const previous = last && last.underlying === job.meta.underlying ? last.previous : null;
    const fit = fitSlices(job.meta as OptionChain, job.spot, job.inputs, { warm: new Map(job.warm), previous });
    last = { underlying: job.meta.underlying, previous: { fit, inputs: job.inputs } };
    const { query: _query, ...rest } = fit;
    parentPort!.postMessage({ id: job.id, fit: rest });
  } catch (e) {
    parentPort!.postMessage({ id: job.id, error: (e as Error).message });
  }
});
parentPort!.postMessage({ ready: true });
