/**
 * The single owner of sequence numbers and retained state on one bus (the in-process bus, or the ZeroMQ hub).
 * Sequence numbers are per topic and start at 1; `epoch` identifies this sequencer run so that subscribers notice
 * a restart instead of mistaking it for loss. Retained state is the latest message per (topic, key), the snapshot
 * that a late subscriber receives (zguide "Clone" pattern). Commands are never retained.
 */
import { randomBytes } from 'node:crypto';
import { matchesPrefix, topicKind } from './topics.js';

export class Sequencer<E> {
  readonly epoch = randomBytes(6).toString('hex');
  private readonly seqs = new Map<string, number>();
  private readonly retained = new Map<string, Map<string, E>>();

  /** Next sequence number of `topic` (validates the name). */
  next(topic: string): number {
    let s = this.seqs.get(topic);
    if (s === undefined) topicKind(topic);
    s = (s ?? 0) + 1;
    this.seqs.set(topic, s);
    return s;
  }

  retain(topic: string, key: string | undefined, entry: E): void {
    if (key === undefined || topic.startsWith('cmd.')) return;
    let m = this.retained.get(topic);
    if (!m) this.retained.set(topic, (m = new Map()));
    m.set(key, entry);
  }

  /** Retained entries of every topic matching `prefix`, in topic then key insertion order. */
  snapshot(prefix: string): E[] {
    const out: E[] = [];
    for (const [topic, m] of this.retained) if (matchesPrefix(topic, prefix)) for (const e of m.values()) out.push(e);
    return out;
  }

  /** Current sequence number of every topic matching `prefix` (all topics for ''). */
  positions(prefix = ''): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [topic, s] of this.seqs) if (matchesPrefix(topic, prefix)) out[topic] = s;
    return out;
  }

  get topicCount(): number {
    return this.seqs.size;
  }
}
