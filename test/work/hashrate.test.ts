import { describe, expect, it } from 'vitest';
import { HashMeter, HashrateTracker } from '../../src/work/hashrate.js';

const G = 2 ** 32;

describe('HashMeter', () => {
  it('is Σ difficulty x 2^32 / window: 256-difficulty nonces once a second = 256·2^32 H/s', () => {
    const meter = new HashMeter(0);
    for (let t = 500; t < 3_600_000; t += 1000) meter.record(256, t);
    const now = 3_600_000;
    for (const window of [5_000, 60_000, 600_000, 3_600_000]) {
      expect(meter.rate(window, now) / (256 * G)).toBeCloseTo(1, 6);
    }
  });

  it('forgets nonces older than the window', () => {
    const meter = new HashMeter(0);
    meter.record(1000, 1_000);
    const now = 100_000;
    expect(meter.rate(5_000, now)).toBe(0);
    expect(meter.rate(60_000, now)).toBe(0);
    expect(meter.rate(600_000, now)).toBeCloseTo((1000 * G) / 100, 0);
  });

  it('divides by the uptime while the session is younger than the window', () => {
    const meter = new HashMeter(10_000);
    meter.record(2, 11_000);
    meter.record(2, 12_000);
    // 4 difficulty units in 2 s of uptime, not in one hour.
    expect(meter.rate(3_600_000, 12_000 + 0.0)).toBeCloseTo((4 * G) / 2, 0);
    expect(meter.rate(60_000, 10_000)).toBe(0);
  });

  it('counts the bucket at the window edge pro rata', () => {
    const meter = new HashMeter(0);
    meter.record(10, 94_200);
    // Window (95_500 - 5_000 .. 99_500] covers half of bucket 94 (94.5 s .. 95 s).
    expect(meter.rate(5_000, 99_500)).toBeCloseTo((5 * G) / 5, 0);
  });

  it('keeps a full hour after the ring wraps', () => {
    const meter = new HashMeter(0);
    for (let t = 0; t < 3 * 3_600_000; t += 1000) meter.record(1, t);
    expect(meter.rate(3_600_000, 3 * 3_600_000) / G).toBeCloseTo(1, 3);
  });
});

describe('HashrateTracker', () => {
  it('splits per chain and chip and sums into the rig', () => {
    const tracker = new HashrateTracker(0);
    for (let t = 0; t < 60_000; t += 1000) {
      tracker.record({ chain: 0, chipIndex: 0, weight: 1, at: t });
      tracker.record({ chain: 0, chipIndex: 1, weight: 3, at: t });
      tracker.record({ chain: 1, chipIndex: undefined, weight: 4, at: t });
    }
    const snap = tracker.snapshot(60_000);
    expect(snap.rig['1m'] / G).toBeCloseTo(8, 6);
    expect(snap.chains.map((c) => Math.round(c.rates['1m'] / G))).toEqual([4, 4]);
    expect(snap.chains[0]?.chips.map((c) => Math.round(c.rates['1m'] / G))).toEqual([1, 3]);
    expect(snap.chains[1]?.chips).toEqual([]);
    expect(tracker.rigRate('5s', 60_000) / G).toBeCloseTo(8, 6);
  });
});
