/**
 * The watchdog health (progress-watch.ts): unhealthy once the chains or the pool loop have not
 * moved for longer than their deadline, healthy again as soon as they move, always healthy while
 * paused on purpose.
 */
import { describe, expect, it } from 'vitest';
import { ProgressWatch } from '../../../src/roles/miner/progress-watch.js';

describe('progress watch', () => {
  it('reports stuck chains after the chain deadline and recovers when their work count moves', () => {
    const watch = new ProgressWatch(1_000, { chainDeadlineMs: 5_000, poolDeadlineMs: 60_000 });
    watch.observeChainWork(0, 2_000);
    expect(watch.health(7_000, false)).toEqual({ ok: true });
    // The same count again is no progress: the deadline runs from 2 s.
    watch.observeChainWork(0, 6_000);
    expect(watch.health(7_001, false)).toEqual({
      ok: false,
      reason: 'no nonce and no work on any chain for 5 s',
    });
    expect(watch.health(7_001, true)).toEqual({ ok: true });
    watch.observeChainWork(3, 7_500);
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
      reason: expect.stringMatching(/^no nonce/),
    });
    watch.chainsStarted(170_000);
    expect(watch.health(180_000, false)).toEqual({ ok: true });
    expect(watch.health(180_001, false)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^pool loop/),
    });
  });
});
