// The fault acceptance run, literally: 60 s against a simulator process that drops the connection every
// 10 s. The client must reconnect and resubscribe every time, count and report the gaps, and end with the chain
// state equal to the simulator's. (test/feed/faults.test.ts covers the same scenario scaled down, in detail.)
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';

describe('feed fault run: 60 s, disconnect every 10 s', () => {
  it('reconnects and resubscribes after every drop, reports the gaps, and ends in the simulator\'s state', async () => {
    const r = await runCli(['bench', 'feed-soak', '--duration', '60', '--disconnect-every', '10'], { timeoutMs: 150_000 });
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.code).toBe(0);
    const res = JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, number | boolean>;
    // The drop due at 60 s coincides with the market freeze, and the client joins a few seconds after the simulator
    // starts, so 4 or 5 drops fall inside the run; each must be matched by a reconnect, a resubscribe and a gap.
    expect(res.sim_disconnects as number).toBeGreaterThanOrEqual(4);
    expect(res.reconnects).toBe(res.sim_disconnects);
    expect(res.resubscribes).toBe(res.sim_disconnects);
    expect(res.gaps).toBe(res.sim_disconnects);
    expect(res.gap_total_ms as number).toBeGreaterThan(0);
    expect(res.resync_failures).toBe(0);
    expect(res.decode_errors).toBe(res.sim_malformed_sent);
    expect(res.messages).toBe(res.sim_events_sent);
    expect(res.rows_compared as number).toBeGreaterThan(0);
    expect(res.rows_differing).toBe(0);
    expect(res.state_equal).toBe(true);
  }, 160_000);
});
