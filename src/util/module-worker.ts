/**
 * A worker thread running one of this package's modules, compiled or from the TypeScript sources. Compiled, the
 * module is the `.js` file next to the caller's; from source (tsx, as the tests run) it is the `.ts` file, and tsx's
 * loader must be registered inside the worker: a loader registered in the parent does not carry over.
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';

/** Start `<name>.js` (or `.ts` when `callerUrl` is a source file) from the caller's folder. */
export function startModuleWorker(callerUrl: string, name: string, opts: Omit<WorkerOptions, 'eval'> = {}): Worker {
  const fromSource = callerUrl.endsWith('.ts');
  const url = new URL(`./${name}${fromSource ? '.ts' : '.js'}`, callerUrl);
  if (!fromSource) return new Worker(url, opts);
  const tsxApi = import.meta.resolve('tsx/esm/api');
  return new Worker(`import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); });`, { ...opts, eval: true });
}
