import type { Command } from 'commander';
import { UserError } from '../errors.js';
import { printJson } from '../output.js';

export function register(program: Command): void {
  program
    .command('replay')
    .description('replay a recording through the same pipeline as live and print the resulting state')
    .argument('<file>', 'recording made by `manifold record`')
    .option('--speed <x>', '1 (real time), 10, ... or max', 'max')
    .option('--json', 'print JSON')
    .action(async (file: string, o: { speed: string; json?: boolean }) => {
      const speed = o.speed === 'max' ? 'max' : Number(o.speed);
      if (speed !== 'max' && !(speed > 0 && speed <= 1e6)) throw new UserError(`--speed must be a positive number or max, got '${o.speed}'`);
      const { replayRecording } = await import('../../feed/replay.js');
      const { RecordingError } = await import('../../feed/recorder.js');
      let res;
      try {
        res = await replayRecording(file, { speed });
      } catch (e) {
        if (e instanceof RecordingError) throw new UserError(e.message);
        throw e;
      }
      const { chain, pipeline, read, elapsedMs } = res;
      let quoted = 0;
      for (let r = 0; r < chain.size; r++) if (Number.isFinite(chain.bid[r]) && Number.isFinite(chain.ask[r])) quoted++;
      const out = {
        file,
        underlying: read.header.underlying,
        contracts: chain.size,
        quoted,
        blocks: read.blocks,
        records: read.records,
        truncated_tail: read.truncatedTail,
        tail_reason: read.tailReason ?? null,
        elapsed_ms: Math.round(elapsedMs),
        msgs_per_sec: Math.round(pipeline.metrics.messages / (elapsedMs / 1000)),
        spot: chain.spotPrice(),
        as_of: Number.isFinite(chain.asOfMs) ? new Date(chain.asOfMs).toISOString() : null,
        ...pipeline.metrics.summary(),
        chain: chain.counters,
      };
      if (o.json) printJson(out, true);
      else {
        process.stdout.write(
          `${file}: ${read.records} records in ${read.blocks} blocks${read.truncatedTail ? ` (truncated tail skipped: ${read.tailReason})` : ''}\n` +
            `${out.underlying}: ${out.contracts} contracts, ${quoted} quoted, spot ${Number.isFinite(out.spot) ? out.spot.toFixed(2) : 'n/a'}, as of ${out.as_of}\n` +
            `${pipeline.metrics.messages} messages, ${pipeline.metrics.decodeErrorTotal} decode errors, ${pipeline.metrics.reconnects} reconnects, ` +
            `${chain.counters.late} late, ${chain.counters.duplicates} duplicates, ${out.elapsed_ms} ms (${out.msgs_per_sec} msg/s)\n`,
        );
      }
    });
}
