// Worker body of PgliteThreadClient (./pglite-thread.ts): owns the embedded PGlite database so that its SQL (WASM,
// synchronous while a statement runs) executes off the caller's thread. One request at a time, in arrival order;
// errors go back as plain data (message, SQLSTATE code) so that the caller can tell a bad statement from a database
// that went away.
import { mkdirSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import type { PGlite } from '@electric-sql/pglite';

export type PgliteRequest =
  | { id: number; op: 'query'; sql: string; params?: unknown[] }
  | { id: number; op: 'exec'; sql: string }
  | { id: number; op: 'close' };

export type PgliteReply = { id: number; rows?: unknown[]; count?: number; error?: { message: string; code?: string } };

const target = (workerData as { target: string }).target;
let db: PGlite | null = null;
let queue: Promise<void> = Promise.resolve();

async function open(): Promise<PGlite> {
  if (db && !db.closed) return db;
  const { PGlite } = await import('@electric-sql/pglite');
  if (target !== 'memory://') mkdirSync(target, { recursive: true });
  db = await PGlite.create(target === 'memory://' ? undefined : target);
  return db;
}

async function handle(req: PgliteRequest): Promise<PgliteReply> {
  try {
    if (req.op === 'close') {
      if (db && !db.closed) await db.close();
      return { id: req.id };
    }
    const d = await open();
    if (req.op === 'exec') {
      await d.exec(req.sql);
      return { id: req.id };
    }
    const r = await d.query(req.sql, req.params);
    return { id: req.id, rows: r.rows, count: r.affectedRows };
  } catch (e) {
    const err = e as { message?: string; code?: string };
    return { id: req.id, error: { message: err.message ?? String(e), code: typeof err.code === 'string' ? err.code : undefined } };
  }
}

parentPort!.on('message', (req: PgliteRequest) => {
  queue = queue.then(async () => parentPort!.postMessage(await handle(req)));
});
parentPort!.postMessage({ ready: true });
