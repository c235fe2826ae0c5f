/**
 * The hashrate the daemon reports for UpdateChannel: the longest window full of mining time, so a
 * rig whose chains came up late is not reported at a fraction of its rate by the 10 min window;
 * and the schedule: once an interval, never while paused or before 5 s of mining.
 */
import { describe, expect, it } from 'vitest';
import {
  HashrateReportSchedule,
  reportedHashrate,
  reportWindow,
} from '../../../src/roles/miner/hashrate-report.js';
import { HashrateTracker } from '../../../src/work/hashrate.js';

describe('report window', () => {
  it('is the longest of 10 min, 1 min, 5 s that the mining time covers', () => {
    expect(reportWindow(4_999)).toBeUndefined();
    expect(reportWindow(5_000)).toBe('5s');
    expect(reportWindow(59_999)).toBe('5s');
    expect(reportWindow(60_000)).toBe('1m');
    expect(reportWindow(599_999)).toBe('1m');
    expect(reportWindow(600_000)).toBe('10m');
  });
});

describe('reported hashrate', () => {
  // Ten difficulty-1 nonces a second stand for 10 x 2^32 H/s (bm13xx.md §8.4).
  const TRUE_RATE = 10 * 2 ** 32;

  function tracker(miningFrom: number, until: number): HashrateTracker {
    const t = new HashrateTracker(0);
    for (let at = miningFrom + 50; at < until; at += 100) t.record({ chain: 0, chipIndex: 0, weight: 1, at });
    return t;
  }

  it('uses the 5 s window 8 s after a 50 s bring-up, not the 10 min one diluted by it', () => {
    const t = tracker(50_000, 58_000);
    const rate = reportedHashrate(t, 50_000, 58_000);
    expect(rate).toBeDefined();
    expect(Math.abs((rate ?? 0) / TRUE_RATE - 1)).toBeLessThan(0.03);
    // What a 10 min report would have said: the 8 s of nonces spread over 58 s.
    expect(t.rigRate('10m', 58_000) / TRUE_RATE).toBeLessThan(0.15);
  });

  it('uses the 1 min window after two minutes and the 10 min one after ten', () => {
    const t = tracker(50_000, 700_000);
    expect(Math.abs((reportedHashrate(t, 50_000, 170_000) ?? 0) / TRUE_RATE - 1)).toBeLessThan(0.03);
    expect(Math.abs((reportedHashrate(t, 50_000, 700_000) ?? 0) / TRUE_RATE - 1)).toBeLessThan(0.03);
  });

  it('says nothing before 5 s of mining or when no nonce came in the window', () => {
    expect(reportedHashrate(tracker(50_000, 54_000), 50_000, 54_000)).toBeUndefined();
    expect(reportedHashrate(new HashrateTracker(0), 0, 20_000)).toBeUndefined();
  });
});

describe('report schedule', () => {
  const TRUE_RATE = 10 * 2 ** 32;
  /** One difficulty-1 nonce every 100 ms in [from, to): 10 x 2^32 H/s. */
  function mine(t: HashrateTracker, from: number, to: number): HashrateTracker {
    for (let at = from + 50; at < to; at += 100) t.record({ chain: 0, chipIndex: 0, weight: 1, at });
    return t;
  }

  it('reports at most once an interval, and only after 5 s of mining', () => {
    const tracker = mine(new HashrateTracker(0), 0, 13_000);
    const schedule = new HashrateReportSchedule(0, 10_000);
    expect(schedule.due(tracker, 10_000, false)).toBeUndefined(); // no chain mining yet
    schedule.miningStarted(8_000);
    expect(schedule.due(tracker, 12_000, false)).toBeUndefined(); // 4 s of mining
    const first = schedule.due(tracker, 13_000, false);
    expect(Math.abs((first ?? 0) / TRUE_RATE - 1)).toBeLessThan(0.03);
    mine(tracker, 13_000, 23_000);
    expect(schedule.due(tracker, 22_999, false)).toBeUndefined();
    expect(schedule.due(tracker, 23_000, false)).toBeDefined();
  });

  it('says nothing while paused, and a new rig restarts the 5 s wait', () => {
    const tracker = mine(new HashrateTracker(0), 0, 25_000);
    const schedule = new HashrateReportSchedule(0, 1_000);
    schedule.miningStarted(0);
    expect(schedule.due(tracker, 20_000, true)).toBeUndefined();
    schedule.miningStarted(20_000);
    expect(schedule.due(tracker, 24_000, false)).toBeUndefined();
    expect(schedule.due(tracker, 25_000, false)).toBeDefined();
  });
});
