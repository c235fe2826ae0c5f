/**
 * Pure reconnect policy: exponential backoff with equal jitter, pool ordering, dead pools, and
 * fail-back only after a higher-priority pool probed healthy for the hold time.
 */
import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../src/upstream/backoff.js';
import { FailoverPolicy } from '../../src/upstream/failover.js';

const opts = { baseMs: 1000, maxMs: 16_000, factor: 2 };

describe('backoffDelay', () => {
  it('doubles per attempt and caps at maxMs, jitter spanning [step/2, step]', () => {
    expect([0, 1, 2, 3, 4, 5, 30].map((a) => backoffDelay(a, opts, () => 0))).toEqual([
      500, 1000, 2000, 4000, 8000, 8000, 8000,
    ]);
    expect([0, 1, 2, 3, 4, 5, 1e6].map((a) => backoffDelay(a, opts, () => 0.999999))).toEqual([
      1000, 2000, 4000, 8000, 16_000, 16_000, 16_000,
    ]);
    expect(backoffDelay(2, opts, () => 0.5)).toBe(3000);
  });
});

describe('FailoverPolicy', () => {
  it('tries pools in order, backs off each on failure, waits for the soonest', () => {
    const p = new FailoverPolicy(3, { backoff: opts }, () => 0);
    expect(p.next(0)).toEqual({ kind: 'connect', index: 0 });
    expect(p.failed(0, 0)).toBe(500);
    expect(p.next(0)).toEqual({ kind: 'connect', index: 1 });
    p.failed(1, 0);
    p.failed(2, 0);
    expect(p.next(100)).toEqual({ kind: 'wait', ms: 400, index: 0 });
    expect(p.next(500)).toEqual({ kind: 'connect', index: 0 });
    expect(p.failed(0, 500)).toBe(1000); // second failure: doubled
    expect(p.retryInMs(0, 700)).toBe(800);
    p.succeeded(0);
    expect(p.retryInMs(0, 700)).toBe(0);
    expect(p.failed(0, 700)).toBe(500); // success reset the attempt count
  });

  it('skips dead pools and reports none when all are dead', () => {
    const p = new FailoverPolicy(2, { backoff: opts }, () => 0);
    p.markDead(0, 'requires extended channels');
    expect(p.deadReason(0)).toBe('requires extended channels');
    expect(p.next(0)).toEqual({ kind: 'connect', index: 1 });
    expect(p.probeCandidates(1)).toEqual([]);
    p.markDead(1, 'x');
    expect(p.next(0)).toEqual({ kind: 'none' });
  });

  it('after a failure prefers a pool in good standing; a success or a healthy probe restores standing', () => {
    const p = new FailoverPolicy(3, { backoff: opts }, () => 0);
    p.failed(0, 0);
    expect(p.next(0)).toEqual({ kind: 'connect', index: 1 });
    // Pool 0's backoff is over, but it failed and has not worked since: pool 1 failing sends the
    // rig to pool 2, not back to pool 0.
    p.failed(1, 10_000);
    expect(p.next(10_000)).toEqual({ kind: 'connect', index: 2 });
    // With every pool failed, the one that failed longest ago goes first (its backoff is over).
    p.failed(2, 11_000);
    expect(p.next(11_000)).toEqual({ kind: 'connect', index: 0 });
    p.failed(0, 11_000);
    expect(p.next(20_000)).toEqual({ kind: 'connect', index: 1 });
    p.succeeded(2);
    expect(p.next(20_000)).toEqual({ kind: 'connect', index: 2 });
    p.probed(0, true, 20_000);
    expect(p.next(20_000)).toEqual({ kind: 'connect', index: 0 });
  });

  it('fails back only after continuous healthy probes for holdMs; a failed probe restarts the hold', () => {
    const p = new FailoverPolicy(3, { backoff: opts, holdMs: 30_000 }, () => 0);
    p.failed(0, 0);
    expect(p.probeCandidates(2)).toEqual([0, 1]);
    p.probed(0, true, 1000);
    expect(p.failBackTarget(2, 30_999)).toBeUndefined();
    p.probed(0, false, 20_000);
    p.probed(0, true, 25_000);
    expect(p.failBackTarget(2, 31_000)).toBeUndefined();
    p.probed(1, true, 1000);
    expect(p.failBackTarget(2, 31_000)).toBe(1);
    expect(p.failBackTarget(2, 55_000)).toBe(0);
    // a healthy probe also clears the backoff so the real connection goes at once
    expect(p.next(55_000)).toEqual({ kind: 'connect', index: 0 });
    expect(p.failBackTarget(0, 99_000)).toBeUndefined();
  });
});
