/**
 * The store role's component: persists what the other roles publish, whatever process they run in.
 *   - `data.history.<table>`: items are rows of that history table → batched durable writer (spool on outage).
 *   - `event.<kind>.<key>` with kind surface | gex | regime | health: the latest item is the current state of
 *     that key → Redis (or memory). Read with snapshot, so a store process started late still gets current state.
 * Bad rows are counted and logged, never stop the stream.
 */
import type { Subscription } from '../bus/types.js';
import { defineTopic, type Topic } from '../bus/topics.js';
import { openHistoryStore, openState, type HistoryStore, type LatestState } from '../store/index.js';
import { STATE_KINDS, type StateKind } from '../store/state.js';
import { RowError, TABLES, type TableName } from '../store/tables.js';
import type { Component, ComponentContext } from './topology.js';

export const HISTORY_PREFIX = 'data.history.';

/** Topic on which rows of `table` are published for the store role. */
export function historyTopic(table: TableName): Topic<Record<string, unknown>> {
  return defineTopic<Record<string, unknown>>('data', `history.${table}`);
}

/** Topic of the latest-state stream of one kind and key (publish with `{ key }` so it is retained). */
export function stateTopic<T>(kind: StateKind, key: string): Topic<T> {
  return defineTopic<T>('event', `${kind}.${key}`);
}

export class StoreSink implements Component {
  readonly name = 'store-sink';
  private history: HistoryStore | undefined;
  private state: LatestState | undefined;
  private subs: Subscription[] = [];
  private readonly counters = { rows: 0, badRows: 0, unknownTables: 0, states: 0, stateErrors: 0 };
  private pendingState: Promise<void> = Promise.resolve();

  async start(ctx: ComponentContext): Promise<void> {
    this.history = await openHistoryStore(ctx.config, `history-${ctx.role}`);
    this.state = await openState(ctx.config);
    const writer = this.history.writer;
    this.subs.push(
      ctx.bus.subscribe<Record<string, unknown>>(HISTORY_PREFIX, (m) => {
        const table = m.topic.slice(HISTORY_PREFIX.length) as TableName;
        if (!TABLES[table]) {
          this.counters.unknownTables++;
          ctx.log.warn({ topic: m.topic }, 'history rows for an unknown table dropped');
          return;
        }
        for (const row of m.items) {
          try {
            writer.write(table, row);
            this.counters.rows++;
          } catch (err) {
            if (!(err instanceof RowError)) throw err;
            this.counters.badRows++;
            ctx.log.warn({ err: err.message }, 'bad history row dropped');
          }
        }
      }),
    );
    for (const kind of STATE_KINDS) {
      const prefix = `event.${kind}.`;
      this.subs.push(
        ctx.bus.subscribe(
          prefix,
          (m) => {
            if (m.items.length === 0) return;
            const key = m.topic.slice(prefix.length);
            const value = m.items[m.items.length - 1];
            // Serialised so that two updates of one key cannot land out of order.
            this.pendingState = this.pendingState
              .then(() => this.state!.set(kind, key, value))
              .then(
                () => void this.counters.states++,
                (err: unknown) => {
                  this.counters.stateErrors++;
                  ctx.log.warn({ err: (err as Error).message, kind, key }, 'latest state not saved');
                },
              );
          },
          { snapshot: true },
        ),
      );
    }
    await Promise.all(this.subs.map((s) => s.ready));
  }

  stats(): Record<string, unknown> {
    return { ...this.counters, writer: this.history?.writer.stats() };
  }

  async stop(): Promise<void> {
    for (const s of this.subs) await s.close();
    this.subs = [];
    await this.pendingState;
    await this.history?.close();
    await this.state?.close();
  }
}
