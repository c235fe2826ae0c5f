/**
 * Both of our sides on an extended channel: the whole `run --for` daemon (simulated BM1370) asks
 * its pool entry for `"channel": "extended"` and mines into our own local pool over real TCP and
 * Noise. The pool rebuilds every coinbase from the submitted extranonce and judges the share; its
 * books and the daemon's must agree share for share.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalPool } from '../../src/pool-server/local-pool.js';
import type { LocalPool, PoolShareEvent } from '../../src/pool-server/pool-options.js';
import { runMiner } from '../../src/roles/miner/main.js';
import { writeSimConfigDir } from '../helpers/sim-rig.js';

const RUN_SECONDS = 4;

describe('sv2miner run on an extended channel against the local pool', () => {
  let pool: LocalPool;
  let dir: string;
  const shares: PoolShareEvent[] = [];

  beforeAll(async () => {
    pool = await startLocalPool({
      host: '127.0.0.1',
      port: 0,
      // Easy enough that the simulated board finds shares within the run.
      initialDifficulty: 1e-7,
      vardiffIntervalMs: 0,
      onShare: (event) => shares.push(event),
    });
    dir = writeSimConfigDir('sv2miner-ext-local-', {
      board: 'sim-bm1370-1',
      pools: [{ url: pool.url, user: 'rig.extended', channel: 'extended' }],
      sharesPerMinute: 6,
    });
  });

  afterAll(async () => {
    await pool?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('mines with SubmitSharesExtended, every share accepted, both books equal', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runMiner(
      ['--config-dir', dir, '--for', String(RUN_SECONDS), '--no-api'],
      { out: (l) => out.push(l), err: (l) => err.push(l) },
      { logSink: () => {} },
    );
    expect(code, err.join('\n')).toBe(0);
    const summary = JSON.parse(out.at(-1) ?? '{}') as Record<string, unknown>;
    expect(shares.length).toBeGreaterThan(0);
    // Every share the pool saw came on the extended channel, with the channel's extranonce.
    for (const s of shares) expect('extranonce' in s.share).toBe(true);
    const accepted = shares.filter((s) => s.outcome.kind !== 'rejected');
    expect(accepted.length, JSON.stringify(shares.map((s) => s.outcome.kind))).toBe(shares.length);
    expect(summary['shares_accepted']).toBe(accepted.length);
    expect(summary['shares_lost_in_flight']).toBe(0);
    expect(pool.stats().sharesAccepted).toBe(accepted.length);
  }, 30_000);
});
