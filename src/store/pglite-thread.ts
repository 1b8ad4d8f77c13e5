/**
 * PGlite on a worker thread, behind the same `SqlClient` interface as the in-thread client. PGlite runs PostgreSQL
 * compiled to WebAssembly in the calling thread: while a statement executes (a 5,000-row batch insert takes tens of
 * milliseconds) nothing else runs there. The live pipeline stores ~10,000 trades a second at 100k msg/s, so on its
 * main thread the store cost every cycle time; here the SQL runs on the worker and the caller only copies the batch.
 *
 * Requests are answered in order. A transaction holds the client: other calls wait until it commits or rolls back,
 * as with a single PostgreSQL session. Errors come back with their message and SQLSTATE code (`isConnectionError`
 * works on them); a worker that dies fails every pending call as a connection error and is restarted on the next one.
 */
import type { Worker } from 'node:worker_threads';
import { startModuleWorker } from '../util/module-worker.js';
import { PendingReplies } from '../util/pending-replies.js';
import { answers, type SqlClient, type SqlQueryable } from './db.js';
import type { PgliteReply, PgliteRequest } from './pglite-worker.js';

type Op = { op: 'query'; sql: string; params?: unknown[] } | { op: 'exec'; sql: string } | { op: 'close' };

function connectionError(message: string): Error {
  return Object.assign(new Error(message), { connectionError: true });
}

export class PgliteThreadClient implements SqlClient {
  readonly kind = 'pglite' as const;
  private worker: Worker | null = null;
  private ready: Promise<Worker> | null = null;
  private readonly pending = new PendingReplies<PgliteReply>();
  /** Serialises transactions against everything else (one session). */
  private lock: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(readonly target: string) {}

  private start(): Promise<Worker> {
    if (this.ready) return this.ready;
    const w = startModuleWorker(import.meta.url, 'pglite-worker', { workerData: { target: this.target } });
    this.worker = w;
    this.ready = new Promise<Worker>((resolve, reject) => {
      const onError = (e: Error) => reject(connectionError(`PGlite worker failed to start: ${e.message}`));
      w.once('error', onError);
      w.once('message', () => {
        w.off('error', onError);
        resolve(w);
      });
    });
    w.on('message', (m: PgliteReply & { ready?: boolean }) => {
      if (!m.ready) this.pending.resolve(m.id, m);
    });
    w.on('error', (e) => this.pending.failAll(connectionError(`PGlite worker error: ${e.message}`)));
    w.on('exit', (code) => {
      this.pending.failAll(connectionError(`PGlite worker exited (${code})`));
      this.worker = null;
      this.ready = null;
    });
    return this.ready;
  }

  /** One request to the worker, outside the transaction lock (the lock's holder and the lock-taking calls use it). */
  private async send(op: Op): Promise<PgliteReply> {
    if (this.closed && op.op !== 'close') throw connectionError('PGlite is closed');
    const w = await this.start();
    const { id, reply: replied } = this.pending.open();
    try {
      w.postMessage({ id, ...op } as PgliteRequest);
    } catch (err) {
      // Parameters that cannot be copied to the worker (a function, a symbol): this statement's error, not the
      // database's, and nothing is left waiting.
      this.pending.reject(id, new Error(`cannot send the statement to the PGlite worker: ${(err as Error).message}`));
    }
    const reply = await replied;
    if (reply.error) throw Object.assign(new Error(reply.error.message), reply.error.code ? { code: reply.error.code } : {});
    return reply;
  }

  /** Run `fn` when no transaction holds the client. */
  private async locked<T>(fn: () => Promise<T>): Promise<T> {
    const before = this.lock;
    let release!: () => void;
    this.lock = new Promise<void>((r) => (release = r));
    await before;
    try {
      return await fn();
    } finally {
      release();
    }
  }

  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: R[]; count?: number }> {
    return this.locked(async () => {
      const r = await this.send({ op: 'query', sql, params });
      return { rows: (r.rows ?? []) as R[], count: r.count };
    });
  }

  exec(sql: string): Promise<void> {
    return this.locked(async () => void (await this.send({ op: 'exec', sql })));
  }

  transaction<T>(fn: (tx: SqlQueryable) => Promise<T>): Promise<T> {
    return this.locked(async () => {
      const tx: SqlQueryable = {
        query: async <R>(sql: string, params?: unknown[]) => {
          const r = await this.send({ op: 'query', sql, params });
          return { rows: (r.rows ?? []) as R[], count: r.count };
        },
        exec: async (sql: string) => void (await this.send({ op: 'exec', sql })),
      };
      await this.send({ op: 'exec', sql: 'BEGIN' });
      try {
        const out = await fn(tx);
        await this.send({ op: 'exec', sql: 'COMMIT' });
        return out;
      } catch (err) {
        await this.send({ op: 'exec', sql: 'ROLLBACK' }).catch(() => undefined);
        throw err;
      }
    });
  }

  ping(): Promise<boolean> {
    return answers(this);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.locked(async () => {
      if (this.worker) await this.send({ op: 'close' }).catch(() => undefined);
      this.closed = true;
      const w = this.worker;
      this.worker = null;
      this.ready = null;
      if (w) await w.terminate();
    });
  }
}
