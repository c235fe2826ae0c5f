/**
 * The watchdog health (progress-watch.ts): unhealthy once no work reached the chips, the chips
 * returned no nonce for the derived deadline, or the pool loop has not moved; healthy again as
 * soon as they move, always healthy while paused on purpose.
 */
import { describe, expect, it } from 'vitest';
import { expectedNonceIntervalMs, ProgressWatch } from '../../../src/roles/miner/progress-watch.js';

const work = (jobsSent: number, nonces: number) => ({ jobsSent, nonces });

describe('progress watch', () => {
  it('reports stuck chains after the chain deadline and recovers when their work count moves', () => {
    const watch = new ProgressWatch(1_000, { chainDeadlineMs: 5_000, poolDeadlineMs: 60_000 });
    watch.observeChainWork(work(0, 0), 2_000);
    expect(watch.health(7_000, false)).toEqual({ ok: true });
    // The same counts again are no progress: the deadline runs from 2 s.
    watch.observeChainWork(work(0, 0), 6_000);
    expect(watch.health(7_001, false)).toEqual({
      ok: false,
      reason: 'no work reached the chips and no nonce came back for 5 s',
    });
    expect(watch.health(7_001, true)).toEqual({ ok: true });
    watch.observeChainWork(work(3, 0), 7_500);
    expect(watch.health(8_000, false)).toEqual({ ok: true });
  });

  it('reports a stuck pool loop after the pool deadline; a bring-up restarts only the chain deadline', () => {
    const watch = new ProgressWatch(0, { chainDeadlineMs: 60_000, poolDeadlineMs: 10_000 });
    watch.chainsStarted(9_000);
    expect(watch.health(10_000, false)).toEqual({ ok: true });
    expect(watch.health(12_400, false)).toEqual({ ok: false, reason: 'pool loop made no progress for 12 s' });
    watch.poolMoved(12_400);
    expect(watch.health(22_400, false)).toEqual({ ok: true });
  });

  it('defaults to 60 s for the chains and 180 s for the pool loop', () => {
    const watch = new ProgressWatch(0);
    expect(watch.health(60_000, false)).toEqual({ ok: true });
    expect(watch.health(60_001, false)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^no work reached the chips/),
    });
    watch.chainsStarted(170_000);
    expect(watch.health(180_000, false)).toEqual({ ok: true });
    expect(watch.health(180_001, false)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^pool loop/),
    });
  });

  it('derives the nonce deadline from the rig: 20 expected intervals, never under the work deadline', () => {
    // sim-bm1370-1: 250 kH/s, chip difficulty 256 relaxed by 2^24 -> one nonce per 2^16 hashes.
    expect(expectedNonceIntervalMs(250_000, 256, 24)).toBeCloseTo(262.144, 3);
    // A Gamma's BM1370 at 525 MHz (2040 small cores, ~1.07 TH/s) at 256: about a second.
    expect(expectedNonceIntervalMs(525e6 * 2040, 256, 0)).toBeCloseTo(1026.6, 1);
    expect(new ProgressWatch(0, { expectedNonceIntervalMs: 1026.6 }).nonceDeadlineMs).toBe(60_000);
    expect(new ProgressWatch(0, { expectedNonceIntervalMs: 4_000 }).nonceDeadlineMs).toBe(80_000);
    expect(
      new ProgressWatch(0, { chainDeadlineMs: 1_500, expectedNonceIntervalMs: 262.144 }).nonceDeadlineMs,
    ).toBe(5_243);
    // Nonces rarer than one per 90 s (difficulty 2^32 on one chip) prove nothing in time: no nonce rule.
    expect(
      new ProgressWatch(0, { expectedNonceIntervalMs: expectedNonceIntervalMs(1e12, 2 ** 32, 0) })
        .nonceDeadlineMs,
    ).toBeUndefined();
    expect(
      new ProgressWatch(0, { expectedNonceIntervalMs: Number.POSITIVE_INFINITY }).nonceDeadlineMs,
    ).toBeUndefined();
  });

  it('chips that take work but return no nonce turn unhealthy at the nonce deadline, even while jobs flow', () => {
    const watch = new ProgressWatch(0, { chainDeadlineMs: 60_000, expectedNonceIntervalMs: 4_000 });
    watch.observeChainWork(work(1, 5), 1_000);
    for (let t = 2_000, jobs = 2; t <= 81_000; t += 1_000, jobs++) watch.observeChainWork(work(jobs, 5), t);
    expect(watch.health(81_000, false)).toEqual({ ok: true });
    expect(watch.health(81_001, false)).toEqual({
      ok: false,
      reason: 'the chips returned no nonce for 80 s (about one expected every 4.0 s)',
    });
    // Paused on purpose (the pause control, the overheat latch): healthy whatever the counters.
    expect(watch.health(500_000, true)).toEqual({ ok: true });
    watch.observeChainWork(work(90, 6), 81_500);
    expect(watch.health(82_000, false)).toEqual({ ok: true });
  });

  it('a new rig (resume, restart) restarts the chip deadlines and its counters from zero count as progress', () => {
    const watch = new ProgressWatch(0, { chainDeadlineMs: 10_000, expectedNonceIntervalMs: 100 });
    watch.observeChainWork(work(50, 40), 1_000);
    watch.chainsStarted(30_000);
    expect(watch.health(39_000, false)).toEqual({ ok: true });
    watch.observeChainWork(work(0, 0), 39_500);
    expect(watch.health(45_000, false)).toEqual({ ok: true });
    expect(watch.health(49_501, false)).toMatchObject({ ok: false });
  });
});
