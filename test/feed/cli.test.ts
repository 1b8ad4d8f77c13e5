// The feed commands as a user runs them, and the simulator in its own process (slow-consumer fault).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startSession } from '../../src/feed/session.js';
import { spawnSimulator } from '../../src/feed/sim/spawn.js';
import { runCli } from '../support/cli.js';
import { sleep } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'manifold-feed-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('feed CLI', () => {
  it('feed without a key says how to give one; replay of a missing file is a one-line error', async () => {
    const r = await runCli(['feed', '--underlying', 'SPY', '--duration', '1'], { env: { MASSIVE_API_KEY: '' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no Massive API key: set MASSIVE_API_KEY/);
    const r2 = await runCli(['replay', join(dir, 'nope.mfrec')]);
    expect(r2.code).toBe(2);
    expect(r2.stderr.trim().split('\n')).toHaveLength(1);
    expect(r2.stderr).toMatch(/cannot open/);
    const r3 = await runCli(['replay', join(dir, 'x'), '--speed', 'fast']);
    expect(r3.stderr).toMatch(/--speed must be a positive number or max/);
  });

  it('simulate → record → replay reproduces the recorded feed', async () => {
    const sim = await spawnSimulator(['--rate', '5000', '--seed', '5']);
    try {
      const file = join(dir, 'cli.mfrec');
      const rec = await runCli(['record', file, '--underlying', 'SPX', '--simulator', sim.info.ws_url, '--duration', '2', '--json', '--interval', '0.5']);
      expect(rec.code, rec.stderr).toBe(0);
      const lines = rec.stdout.trim().split('\n').map((l) => JSON.parse(l) as { messages: number; state: string });
      expect(lines.length).toBeGreaterThanOrEqual(3);
      const recorded = lines[lines.length - 1].messages;
      expect(recorded).toBeGreaterThan(1000);
      const rep = await runCli(['replay', file, '--json']);
      expect(rep.code, rep.stderr).toBe(0);
      const out = JSON.parse(rep.stdout) as { messages: number; truncated_tail: boolean; contracts: number; decode_errors: object };
      expect(out.truncated_tail).toBe(false);
      expect(out.messages).toBe(recorded);
      expect(out.contracts).toBe(sim.info.contracts);
      expect(out.decode_errors).toEqual({});
      const again = await runCli(['record', file, '--underlying', 'SPX', '--simulator', sim.info.ws_url]);
      expect(again.stderr).toMatch(/already exists/);
    } finally {
      await sim.stop();
    }
  });

  it('a consumer that stops reading is disconnected as slow_consumer, reconnects and goes on', async () => {
    const sim = await spawnSimulator(['--rate', '100000', '--slow-consumer-bytes', '2000000', '--seed', '9']);
    try {
      const s = await startSession({ wsUrl: sim.info.ws_url, restUrl: sim.info.rest_url, apiKey: 'k', underlying: 'SPX', reconnectInitialMs: 50, resync: false });
      await sleep(500);
      // Stop reading the socket (what a stalled consumer does), then resume.
      s.pipeline.onBackpressure?.(true);
      await sleep(2500);
      s.pipeline.onBackpressure?.(false);
      const t0 = Date.now();
      while (s.pipeline.metrics.reconnects < 1 && Date.now() - t0 < 15_000) await sleep(50);
      const m = s.pipeline.metrics;
      expect(m.reconnects).toBeGreaterThanOrEqual(1);
      expect(m.gaps[0].reason).toMatch(/slow_consumer/);
      const before = m.messages;
      await sleep(500);
      expect(m.messages).toBeGreaterThan(before); // live again
      await s.stop();
    } finally {
      const stats = await sim.stop();
      expect(Number(stats?.slowConsumerDisconnects)).toBeGreaterThanOrEqual(1);
    }
  });
});
