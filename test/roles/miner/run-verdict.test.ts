/**
 * The summary's "reason" for `run --for N`: null when the rig mined, else the one cause a person
 * needs (pool errors by pool, a failed chain, silent chips, shares that should have come).
 */
import { describe, expect, it } from 'vitest';
import type { RigSnapshot } from '../../../src/api/snapshot.js';
import { whyNotMined } from '../../../src/roles/miner/run-verdict.js';
import { runSummary } from '../../../src/roles/miner/status-line.js';
import { sampleSnapshot } from '../../api/helpers/fake-rig.js';

const mined = sampleSnapshot();
const withPools = (s: RigSnapshot, errors: (string | null)[]): RigSnapshot => ({
  ...s,
  activePoolIndex: null,
  pools: s.pools.map((p, i) => ({ ...p, active: false, lastError: errors[i] ?? null })),
});

describe('whyNotMined', () => {
  it('has no reason for a rig that mined and got shares accepted', () => {
    expect(whyNotMined({ wasReady: true, snapshot: mined })).toBeUndefined();
    expect(runSummary(mined).reason).toBeNull();
  });

  it('a rig kept off by the overheat latch says so, with the reason and what it waits for', () => {
    const overheat = {
      latched: true,
      reason: 'regulator fault (ot_fault)',
      since: '2026-12-07T23:00:00.000Z',
      cleared: false,
      trips: 1,
      waitingFor: 'an operator clear (PATCH /api/system {"overheat_mode":0})',
    };
    expect(whyNotMined({ wasReady: true, snapshot: { ...mined, nonces: 0, overheat } })).toBe(
      'overheat latch set, chips kept off: regulator fault (ot_fault) (waiting for an operator clear (PATCH /api/system {"overheat_mode":0}))',
    );
    // It mined before the latch tripped: a run that mined is a run that mined.
    expect(whyNotMined({ wasReady: true, snapshot: { ...mined, overheat } })).toBeUndefined();
  });

  it('names every pool and its last error when no pool gave a job', () => {
    const s = withPools(mined, ['connecting: connect ECONNREFUSED 10.0.0.1:3333', null]);
    const reason = whyNotMined({ wasReady: false, snapshot: s });
    const [a, b] = s.pools;
    expect(reason).toBe(
      `no pool gave the rig a job: ${a?.host}:${a?.port} (connecting: connect ECONNREFUSED 10.0.0.1:3333); ${b?.host}:${b?.port} (never answered)`,
    );
    const summary = runSummary(s, reason ?? null);
    // Every earlier key stays, in order; "reason" and "shares_lost_in_flight" are appended.
    expect(Object.keys(summary)).toEqual([
      'uptime_s',
      'hashrate_ghs',
      'shares_accepted',
      'shares_rejected',
      'shares_stale',
      'hardware_errors',
      'nonces',
      'pool',
      'board',
      'reason',
      'shares_lost_in_flight',
    ]);
    expect(summary.reason).toBe(reason);
  });

  it('puts a start failure first', () => {
    expect(
      whyNotMined({ wasReady: false, startError: 'API port 127.0.0.1:80 is busy', snapshot: mined }),
    ).toBe('start failed: API port 127.0.0.1:80 is busy');
  });

  it('names failed chains, then silent chips', () => {
    const failed: RigSnapshot = {
      ...mined,
      chains: mined.chains.map((c) => (c.index === 1 ? { ...c, state: 'failed' as const } : c)),
    };
    expect(whyNotMined({ wasReady: false, snapshot: failed })).toBe('chain 1 failed before mining started');
    expect(whyNotMined({ wasReady: true, snapshot: { ...mined, nonces: 0 } })).toBe(
      'no nonce came back from the chips',
    );
  });

  it('expects shares only when the difficulty made several likely', () => {
    const difficulty = mined.pools[0]?.difficulty ?? 0;
    const expected = (mined.hashrate.h1m * mined.uptimeS) / (difficulty * 2 ** 32);
    expect(expected).toBeGreaterThan(5);
    const none: RigSnapshot = { ...mined, shares: { ...mined.shares, accepted: 0 } };
    expect(whyNotMined({ wasReady: true, snapshot: none })).toBe(
      `no share accepted although about ${Math.round(expected)} were expected at difficulty ${difficulty} (rejected: 2 invalid-job-id, 1 stale-share)`,
    );
    // The same silence at a difficulty that made fewer than five shares likely is no failure.
    const hard: RigSnapshot = {
      ...none,
      pools: none.pools.map((p) => ({ ...p, difficulty: difficulty * expected })),
    };
    expect(whyNotMined({ wasReady: true, snapshot: hard })).toBeUndefined();
  });
});
