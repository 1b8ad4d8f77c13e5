/**
 * Surface refits for the live pipeline, on a worker thread by default: a full SVI + eSSVI refit of an SPX chain takes
 * 0.2-0.7 s on a busy machine, which on the main thread would stall the feed's decoding, the gateway and the monitor
 * for that long. Slice inputs (typed arrays) are built on the main thread and copied to the worker; the fit comes back
 * without its query object, which is rebuilt here from the eSSVI nodes. `thread: false` fits inline (same results).
 */
import type { Worker } from 'node:worker_threads';
import { startModuleWorker } from '../util/module-worker.js';
import { PendingReplies } from '../util/pending-replies.js';
import type { ChainIv } from '../analytics/chain-iv-types.js';
import { buildSlices } from '../analytics/slices.js';
import { fitSlices, type PreviousSurface, type SurfaceFit } from '../analytics/surface.js';
import type { OptionChain } from '../market/chain.js';
import { createSurfaceQuery } from '../quant/svi/query.js';
import type { EssviNode } from '../quant/svi/essvi.js';
import type { RawSvi } from '../quant/svi/raw.js';
import type { SurfaceJob } from './surface-worker.js';

export class SurfaceRunner {
  private worker: Worker | null = null;
  private ready: Promise<void> | null = null;
  private readonly pending = new PendingReplies<SurfaceFit>();
  /** Inline mode's last fit and inputs (the worker keeps its own): the live refit's `previous`. */
  private last: { underlying: string; previous: PreviousSurface } | null = null;

  constructor(readonly thread = true) {}

  private start(): Promise<void> {
    if (this.ready) return this.ready;
    const w = startModuleWorker(import.meta.url, 'surface-worker');
    this.worker = w;
    w.unref();
    this.ready = new Promise<void>((resolve, reject) => {
      w.once('error', reject);
      w.once('message', () => {
        w.off('error', reject);
        resolve();
      });
    });
    w.on('message', (m: { id?: number; fit?: Omit<SurfaceFit, 'query'>; error?: string }) => {
      if (m.id === undefined) return;
      if (m.error !== undefined || !m.fit) this.pending.reject(m.id, new Error(m.error ?? 'surface worker returned nothing'));
      else this.pending.resolve(m.id, withQuery(m.fit));
    });
    w.on('error', (e) => this.pending.failAll(e));
    w.on('exit', (code) => {
      this.pending.failAll(new Error(`surface worker exited (${code})`));
      this.worker = null;
      this.ready = null;
    });
    return this.ready;
  }

  /** Fit every slice of the chain, warm-started from `warm` (slice key → previous raw SVI). */
  async fit(chain: OptionChain, civ: ChainIv, warm: ReadonlyMap<string, RawSvi>): Promise<SurfaceFit> {
    if (!this.thread) {
      const inputs = buildSlices(chain, civ);
      const previous = this.last && this.last.underlying === chain.underlying ? this.last.previous : null;
      const fit = fitSlices(chain, civ.spot, inputs, { warm, previous });
      this.last = { underlying: chain.underlying, previous: { fit, inputs } };
      return fit;
    }
    await this.start();
    const { id, reply } = this.pending.open();
    const job: SurfaceJob = {
      id,
      meta: { underlying: chain.underlying, asOfMs: chain.asOfMs, asOfDate: chain.asOfDate },
      spot: civ.spot,
      inputs: buildSlices(chain, civ),
      warm: [...warm.entries()],
    };
    this.worker!.postMessage(job);
    return reply;
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    this.ready = null;
    this.pending.failAll(new Error('surface runner closed'));
    if (w) await w.terminate();
  }
}

/** The query object from the fit's eSSVI nodes (as fitSlices builds it). */
function withQuery(fit: Omit<SurfaceFit, 'query'>): SurfaceFit {
  const nodes: EssviNode[] = [];
  for (const s of fit.slices) if (s.essvi) nodes.push(s.essvi);
  return { ...fit, query: createSurfaceQuery(nodes) };
}
