import type { Command } from 'commander';
import { parseNumberOption, printJson } from '../output.js';

export function register(bench: Command): void {
  bench
    .command('feed')
    .description('feed throughput: decode+apply from a recorded capture (one process) and end to end from a simulator process over loopback WebSocket')
    .option('--messages <n>', 'events in the decode+apply capture', '2000000')
    .option('--ws-messages <n>', 'events sent by the simulator end to end', '3000000')
    .option('--events-per-frame <n>', 'events per frame', '100')
    .option('--ws-rate <n|max>', 'simulator send rate, events/s (max = as fast as the socket drains)', 'max')
    .option('--skip-ws', 'only the in-process decode+apply part')
    .option('--chain <file>', 'chain the market is built from (default: the shipped SPX 2023-04-14 chain)')
    .action(async (o: { messages: string; wsMessages: string; eventsPerFrame: string; wsRate: string; skipWs?: boolean; chain?: string }) => {
      const n = parseNumberOption('--messages', o.messages, 1000, 1e9);
      const wsN = parseNumberOption('--ws-messages', o.wsMessages, 1000, 1e9);
      const epf = parseNumberOption('--events-per-frame', o.eventsPerFrame, 1, 10000);
      const wsRate: number | 'max' = o.wsRate === 'max' ? 'max' : parseNumberOption('--ws-rate', o.wsRate, 1000, 1e8);
      const { fileURLToPath } = await import('node:url');
      const { join } = await import('node:path');
      const { loadChainFile } = await import('../../feed/chain-file.js');
      const { DEFAULT_SIM_CHAIN } = await import('../commands/simulate.js');
      const { writeCapture, benchDecodeApply, benchEndToEnd, withTempDir } = await import('../../feed/bench.js');
      const { chain } = await loadChainFile(o.chain ?? fileURLToPath(DEFAULT_SIM_CHAIN));
      const decode = await withTempDir(async (dir) => {
        const path = join(dir, 'capture.mfrec');
        await writeCapture(chain, path, { messages: n, eventsPerFrame: epf });
        return benchDecodeApply(path);
      });
      const ws = o.skipWs ? undefined : await benchEndToEnd(wsN, epf, wsRate);
      printJson(
        {
          messages: decode.messages,
          decode_apply_msgs_per_sec: decode.decode_apply_msgs_per_sec,
          ws_msgs_per_sec: ws?.ws_msgs_per_sec ?? null,
          p50_us: ws?.p50_us ?? null,
          p99_us: ws?.p99_us ?? null,
          lost: ws?.lost ?? null,
          json_parse_msgs_per_sec: decode.json_parse_msgs_per_sec,
          decode_apply_wall_msgs_per_sec: decode.decode_apply_wall_msgs_per_sec,
          json_parse_wall_msgs_per_sec: decode.json_parse_wall_msgs_per_sec,
          decode_apply_runs: decode.decode_apply_runs,
          capture_frames: decode.frames,
          capture_bytes: decode.bytes,
          fast_path_frames: decode.fast_path_frames,
          slow_path_frames: decode.slow_path_frames,
          ws_client_cpu_msgs_per_sec: ws?.ws_client_cpu_msgs_per_sec ?? null,
          ws_sim_cpu_msgs_per_sec: ws?.ws_sim_cpu_msgs_per_sec ?? null,
          ws_messages: ws?.ws_messages ?? null,
          ws_sim_events_sent: ws?.sim_events_sent ?? null,
          ws_max_us: ws?.max_us ?? null,
          ws_decode_errors: ws?.decode_errors ?? null,
          events_per_frame: epf,
          ws_rate: wsRate,
        },
        true,
      );
    });

  bench
    .command('feed-soak')
    .description('the fault soak: simulator process dropping the connection every N s for a whole run; state compared at the end (npm run soak)')
    .option('--duration <s>', 'run length', '60')
    .option('--disconnect-every <s>', 'disconnect period', '10')
    .option('--rate <n>', 'simulator events per second', '20000')
    .action(async (o: { duration: string; disconnectEvery: string; rate: string }) => {
      const durationS = parseNumberOption('--duration', o.duration, 1, 86_400);
      const disconnectEveryS = parseNumberOption('--disconnect-every', o.disconnectEvery, 0.1, 86_400);
      const rate = parseNumberOption('--rate', o.rate, 1, 1e7);
      const { soak } = await import('../../feed/bench.js');
      const res = await soak({ durationS, disconnectEveryS, rate });
      printJson(res, true);
      if (res.state_equal !== true) process.exitCode = 1;
    });
}
