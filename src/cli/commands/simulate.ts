import type { Command } from 'commander';
import { UserError } from '../errors.js';
import { parseNumberOption } from '../output.js';

/** The chain the simulator plays by default: shipped with the product (data/chains, see data/PROVENANCE.md). */
export const DEFAULT_SIM_CHAIN = new URL('../../../data/chains/SPX_2023-04-14_eod.csv', import.meta.url);

interface SimulateOpts {
  chain?: string;
  host: string;
  port: string;
  rate: string;
  eventsPerFrame: string;
  count?: string;
  seed: string;
  timeScale: string;
  tradeRatio: string;
  apiKey?: string;
  duration?: string;
  freezeAfter?: string;
  disconnectEvery?: string;
  disconnectMode: string;
  slowConsumerBytes?: string;
  malformedEvery?: string;
  authFail?: boolean;
  maxConnections?: string;
  duplicates?: string;
  outOfOrder?: string;
}

const num = (name: string, raw: string, min = 0, max = Infinity) => parseNumberOption(name, raw, min, max);

export function register(program: Command): void {
  program
    .command('simulate')
    .description('run a local Massive-protocol WebSocket + REST server playing a moving market from a real chain')
    .option('--chain <file>', 'Cboe chain file to start from (default: the shipped SPX 2023-04-14 chain)')
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--port <port>', 'port (0 = any free port)', '0')
    .option('--rate <n|max>', 'events per second, or max (as fast as the sockets drain)', '10000')
    .option('--events-per-frame <n>', 'events batched into one frame', '100')
    .option('--count <n>', 'stop generating after n events')
    .option('--seed <n>', 'random seed of the market', '1')
    .option('--time-scale <x>', 'market seconds per wall-clock second', '1')
    .option('--trade-ratio <p>', 'fraction of option events that are trades', '0.1')
    .option('--api-key <key>', 'require this key (default: any non-empty key)')
    .option('--duration <s>', 'exit after this many seconds')
    .option('--freeze-after <s>', 'stop moving the market (and the faults) after s seconds; keep serving')
    .option('--disconnect-every <s>', 'fault: drop every connection every s seconds')
    .option('--disconnect-mode <mode>', 'fault: abrupt (TCP reset) or status (force_disconnect)', 'abrupt')
    .option('--slow-consumer-bytes <n>', 'fault: disconnect (slow_consumer) a socket with more than n bytes unsent')
    .option('--malformed-every <n>', 'fault: send a malformed frame every n frames')
    .option('--auth-fail', 'fault: reject every authentication')
    .option('--max-connections <n>', 'fault: refuse connections beyond n (max_connections)')
    .option('--duplicates <p>', 'fault: probability an event is sent twice')
    .option('--out-of-order <p>', 'fault: probability an event is sent after a newer one of its contract')
    .action(async (o: SimulateOpts) => {
      const { loadChainFile } = await import('../../feed/chain-file.js');
      const { SimServer } = await import('../../feed/sim/server.js');
      const { fileURLToPath } = await import('node:url');
      const path = o.chain ?? fileURLToPath(DEFAULT_SIM_CHAIN);
      let chain;
      try {
        chain = (await loadChainFile(path)).chain;
      } catch (e) {
        throw new UserError((e as Error).message);
      }
      if (o.disconnectMode !== 'abrupt' && o.disconnectMode !== 'status') throw new UserError(`--disconnect-mode must be abrupt or status`);
      const rate = o.rate === 'max' ? 'max' : num('--rate', o.rate, 1);
      const sim = new SimServer({
        chain,
        host: o.host,
        port: num('--port', o.port, 0, 65535),
        rate,
        eventsPerFrame: num('--events-per-frame', o.eventsPerFrame, 1, 100_000),
        count: o.count === undefined ? undefined : num('--count', o.count, 1),
        apiKey: o.apiKey,
        freezeAfterMs: o.freezeAfter === undefined ? undefined : num('--freeze-after', o.freezeAfter, 0) * 1000,
        market: { seed: num('--seed', o.seed), timeScale: num('--time-scale', o.timeScale, 0), tradeRatio: num('--trade-ratio', o.tradeRatio, 0, 1) },
        faults: {
          disconnectEveryMs: o.disconnectEvery === undefined ? undefined : num('--disconnect-every', o.disconnectEvery, 0.01) * 1000,
          disconnectMode: o.disconnectMode as 'abrupt' | 'status',
          slowConsumerBytes: o.slowConsumerBytes === undefined ? undefined : num('--slow-consumer-bytes', o.slowConsumerBytes, 1),
          malformedEvery: o.malformedEvery === undefined ? undefined : num('--malformed-every', o.malformedEvery, 1),
          authFail: o.authFail,
          maxConnections: o.maxConnections === undefined ? undefined : num('--max-connections', o.maxConnections, 0),
          duplicateProb: o.duplicates === undefined ? undefined : num('--duplicates', o.duplicates, 0, 1),
          outOfOrderProb: o.outOfOrder === undefined ? undefined : num('--out-of-order', o.outOfOrder, 0, 1),
        },
      });
      try {
        await sim.start();
      } catch (e) {
        throw new UserError(`cannot listen on ${o.host}:${o.port}: ${(e as Error).message}`);
      }
      // First stdout line: where to connect (machine-readable; the benchmark and tests read it).
      process.stdout.write(
        JSON.stringify({ ws_url: sim.url, rest_url: sim.restUrl, port: sim.port, contracts: chain.size, quotable: sim.market.quotable.length }) + '\n',
      );
      await new Promise<void>((resolve) => {
        const done = () => resolve();
        process.once('SIGINT', done);
        process.once('SIGTERM', done);
        if (o.duration !== undefined) setTimeout(done, num('--duration', o.duration, 0) * 1000).unref();
      });
      await sim.stop();
      const cpu = process.cpuUsage();
      process.stdout.write(JSON.stringify({ ...sim.stats, cpu_ms: Math.round((cpu.user + cpu.system) / 1000) }) + '\n');
    });
}
