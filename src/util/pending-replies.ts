/**
 * Requests waiting for a worker's reply, by id: each request gets the next id and a promise that the reply with
 * that id settles; a worker that fails or exits rejects all of them at once.
 */
export class PendingReplies<T> {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (v: T) => void; reject: (e: Error) => void }>();

  /** A new request id and the promise of its reply. */
  open(): { id: number; reply: Promise<T> } {
    const id = this.nextId++;
    const reply = new Promise<T>((resolve, reject) => this.waiting.set(id, { resolve, reject }));
    return { id, reply };
  }

  /** Settle request `id` (ignored when it is not waiting: a late reply after failAll). */
  resolve(id: number, value: T): void {
    const w = this.waiting.get(id);
    if (!w) return;
    this.waiting.delete(id);
    w.resolve(value);
  }

  reject(id: number, err: Error): void {
    const w = this.waiting.get(id);
    if (!w) return;
    this.waiting.delete(id);
    w.reject(err);
  }

  failAll(err: Error): void {
    for (const w of this.waiting.values()) w.reject(err);
    this.waiting.clear();
  }
}
