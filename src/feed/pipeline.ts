/**
 * The feed pipeline shared by live, replay and benchmark: raw inputs in, chain state out.
 *
 * Inputs are queued raw, in arrival order: WebSocket frames (bytes + receive time) and the control inputs that
 * must be ordered with them (connection up/down, resync begin, resync snapshot). The socket handler only enqueues
 * (no parsing), and the queue is drained in slices of a few milliseconds on later event-loop turns, so a burst being
 * decoded never keeps the socket from being read. A recorder, if attached, sees exactly the inputs in that order,
 * which is why replaying a recording reproduces the live state.
 *
 * Resync after a reconnect: frames that arrive while the REST snapshot is in flight are held; the snapshot is
 * applied, then the held frames, skipping what the snapshot already contains (see LiveChain.applySnapshot).
 */
import { createLogger } from '../util/log.js';
import { EventBatch, FrameDecoder, K_STATUS } from './decode.js';
import { LiveChain, type SnapshotRow } from './live-chain.js';
import { FeedMetrics, nowMs } from './metrics.js';
import type { StatusEvent } from './protocol.js';
import { withDefaults } from './options.js';

const log = createLogger('feed');

export const IN_FRAME = 0;
export const IN_CONN_UP = 1;
export const IN_CONN_DOWN = 2;
export const IN_RESYNC_BEGIN = 3;
export const IN_RESYNC_SNAPSHOT = 4;
export const IN_RESYNC_FAILED = 5;
export type InputType = 0 | 1 | 2 | 3 | 4 | 5;

/** One pipeline input as recorded: control payloads are JSON (UTF-8), frames are the raw bytes. */
export interface PipelineInput {
  type: InputType;
  recvMs: number;
  data: Uint8Array;
}

export interface InputSink {
  write(input: PipelineInput): void;
}

export interface PipelineOptions {
  /** Receives status events decoded after authentication (subscribe acks, errors, disconnect reasons). */
  onStatus?: (e: StatusEvent) => void;
  /** Called after each drain slice that applied something (consumers read `chain.takeUpdates()`). */
  onApplied?: () => void;
  /** Tap that sees every input (the recorder). */
  tap?: InputSink;
  /** Process synchronously on push (benchmarks, replay at max speed, tests). Default: drain asynchronously. */
  sync?: boolean;
  /** Time slice of one drain turn, ms. */
  sliceMs?: number;
  /** Raw bytes queued before the caller is told to pause the socket. */
  maxQueueBytes?: number;
  /** Record exchange-to-receive and receive-to-applied latency per event. Default true (replay turns it off). */
  measureLatency?: boolean;
}

const EMPTY = new Uint8Array(0);
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class FeedPipeline {
  readonly metrics = new FeedMetrics();
  readonly decoder: FrameDecoder;
  private readonly batch = new EventBatch(2048);
  private queue: PipelineInput[] = [];
  private head = 0;
  private queuedBytes = 0;
  private scheduled = false;
  private resyncing = false;
  private held: PipelineInput[] = [];
  private downSince = NaN;
  private downReason = '';
  private readonly opts: Required<Pick<PipelineOptions, 'sliceMs' | 'maxQueueBytes' | 'sync' | 'measureLatency'>> & PipelineOptions;
  /** Set by the owner of the socket: called with true when the queue is over its bound, false when drained. */
  onBackpressure?: (pause: boolean) => void;
  private paused = false;
  private drainWaiters: Array<() => void> = [];

  constructor(
    readonly chain: LiveChain,
    opts: PipelineOptions = {},
  ) {
    this.opts = withDefaults({ sliceMs: 8, maxQueueBytes: 256 * 1024 * 1024, sync: false, measureLatency: true }, opts);
    this.decoder = new FrameDecoder(chain.index);
  }

  get pending(): number {
    return this.queue.length - this.head;
  }

  get isResyncing(): boolean {
    return this.resyncing;
  }

  /** A WebSocket frame as received. */
  pushFrame(data: Uint8Array, recvMs = nowMs()): void {
    this.push({ type: IN_FRAME, recvMs, data });
  }

  connectionUp(recvMs = nowMs()): void {
    this.push({ type: IN_CONN_UP, recvMs, data: EMPTY });
  }

  connectionDown(reason: string, recvMs = nowMs()): void {
    this.push({ type: IN_CONN_DOWN, recvMs, data: encoder.encode(JSON.stringify({ reason })) });
  }

  beginResync(recvMs = nowMs()): void {
    this.push({ type: IN_RESYNC_BEGIN, recvMs, data: EMPTY });
  }

  resyncSnapshot(rows: SnapshotRow[], recvMs = nowMs()): void {
    this.push({ type: IN_RESYNC_SNAPSHOT, recvMs, data: encoder.encode(JSON.stringify(rows)) });
  }

  resyncFailed(reason: string, recvMs = nowMs()): void {
    this.push({ type: IN_RESYNC_FAILED, recvMs, data: encoder.encode(JSON.stringify({ reason })) });
  }

  /** Enqueue one input (also the replay entry point). */
  push(input: PipelineInput): void {
    this.opts.tap?.write(input);
    if (this.opts.sync) {
      this.process(input);
      return;
    }
    this.queue.push(input);
    this.queuedBytes += input.data.length;
    const pending = this.queue.length - this.head;
    if (pending > this.metrics.queueHighWater) this.metrics.queueHighWater = pending;
    if (!this.paused && this.queuedBytes > this.opts.maxQueueBytes) {
      this.paused = true;
      this.metrics.socketPauses++;
      log.warn({ queuedBytes: this.queuedBytes }, 'decode queue over its bound: pausing socket reads');
      this.onBackpressure?.(true);
    }
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.drain);
    }
  }

  /** Resolves when everything queued so far has been processed. */
  idle(): Promise<void> {
    if (this.pending === 0 && !this.scheduled) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  private readonly drain = (): void => {
    this.scheduled = false;
    const deadline = performance.now() + this.opts.sliceMs;
    let n = 0;
    while (this.head < this.queue.length) {
      const input = this.queue[this.head];
      this.queue[this.head++] = undefined as unknown as PipelineInput;
      this.queuedBytes -= input.data.length;
      this.process(input);
      // Check the clock every 16 inputs: performance.now() is not free at a million messages a second.
      if ((++n & 15) === 0 && performance.now() > deadline) break;
    }
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head > 65536) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    if (this.paused && this.queuedBytes < this.opts.maxQueueBytes / 2) {
      this.paused = false;
      this.onBackpressure?.(false);
    }
    if (n > 0) this.opts.onApplied?.();
    if (this.head < this.queue.length) {
      this.scheduled = true;
      setImmediate(this.drain);
    } else if (this.drainWaiters.length) {
      const w = this.drainWaiters;
      this.drainWaiters = [];
      for (const f of w) f();
    }
  };

  private process(input: PipelineInput): void {
    switch (input.type) {
      case IN_FRAME:
        if (this.resyncing) {
          this.held.push(input);
          return;
        }
        this.processFrame(input);
        return;
      case IN_CONN_UP:
        if (Number.isFinite(this.downSince)) {
          this.metrics.gaps.push({ startMs: this.downSince, endMs: input.recvMs, reason: this.downReason });
          this.metrics.reconnects++;
          this.downSince = NaN;
        }
        this.metrics.connects++;
        return;
      case IN_CONN_DOWN:
        if (!Number.isFinite(this.downSince)) {
          this.downSince = input.recvMs;
          this.downReason = (JSON.parse(decoder.decode(input.data)) as { reason: string }).reason;
        }
        return;
      case IN_RESYNC_BEGIN:
        this.resyncing = true;
        return;
      case IN_RESYNC_SNAPSHOT: {
        const rows = JSON.parse(decoder.decode(input.data)) as SnapshotRow[];
        // JSON has no NaN: absent values were written as null.
        for (const r of rows) for (const k of Object.keys(r) as Array<keyof SnapshotRow>) if (r[k] === null) (r as unknown as Record<string, number>)[k] = NaN;
        this.chain.applySnapshot(rows);
        this.metrics.resyncs++;
        this.releaseHeld();
        return;
      }
      case IN_RESYNC_FAILED:
        this.metrics.resyncFailures++;
        this.releaseHeld();
        return;
    }
  }

  private releaseHeld(): void {
    this.resyncing = false;
    const held = this.held;
    this.held = [];
    for (const f of held) this.processFrame(f);
  }

  private processFrame(input: PipelineInput): void {
    const m = this.metrics;
    const data = input.data;
    m.frames++;
    m.bytes += data.length;
    const res = this.decoder.decode(data, this.batch);
    if (!res.ok) {
      m.decodeErrors[res.kind]++;
      if (m.decodeErrorTotal <= 10 || (m.decodeErrorTotal & 1023) === 0) {
        log.warn({ kind: res.kind, total: m.decodeErrorTotal }, `rejected frame: ${res.message}`);
      }
      return;
    }
    const b = this.batch;
    m.messages += b.n - b.statuses.length; // market events; status events are counted apart
    const recv = input.recvMs;
    this.chain.applyBatch(b);
    if (b.statuses.length) {
      m.statusEvents += b.statuses.length;
      if (this.opts.onStatus) for (const s of b.statuses) this.opts.onStatus(s);
    }
    if (!this.opts.measureLatency) return;
    let events = 0;
    for (let i = 0; i < b.n; i++) {
      if (b.kind[i] === K_STATUS) continue;
      m.exchangeToReceiveUs.record((recv - b.t[i]) * 1000);
      events++;
    }
    // One sample per event: every event of a frame was received and applied at the same instants.
    if (events > 0) m.receiveToAppliedUs.record((nowMs() - recv) * 1000, events);
  }
}
