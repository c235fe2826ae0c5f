import { describe, expect, it } from 'vitest';
import { NonceCounterDeltas } from '../../src/work/chip-counters.js';
import { HashrateTracker } from '../../src/work/hashrate.js';

describe('NonceCounterDeltas', () => {
  it('a first reading is only the baseline; then each chip gets the counts since its last reading', () => {
    const d = new NonceCounterDeltas();
    expect(
      d.update(0, [
        { chipIndex: 0, count: 100 },
        { chipIndex: 1, count: 7 },
      ]),
    ).toEqual([]);
    expect(
      d.update(0, [
        { chipIndex: 0, count: 103 },
        { chipIndex: 1, count: 7 },
      ]),
    ).toEqual([{ chipIndex: 0, weight: 3 }]);
    expect(d.update(0, [{ chipIndex: 1, count: 12 }])).toEqual([{ chipIndex: 1, weight: 5 }]);
  });

  it('keeps chains apart and scales counts by the sim relaxation 2^-k', () => {
    const d = new NonceCounterDeltas(8);
    d.update(0, [{ chipIndex: 0, count: 0 }]);
    d.update(1, [{ chipIndex: 0, count: 1000 }]);
    expect(d.update(0, [{ chipIndex: 0, count: 512 }])).toEqual([{ chipIndex: 0, weight: 2 }]);
    expect(d.update(1, [{ chipIndex: 0, count: 1256 }])).toEqual([{ chipIndex: 0, weight: 1 }]);
  });

  it('a counter that went down was reset with its chip: new baseline, no work invented', () => {
    const d = new NonceCounterDeltas();
    d.update(0, [{ chipIndex: 2, count: 0xfffffff0 }]);
    expect(d.update(0, [{ chipIndex: 2, count: 4 }])).toEqual([]);
    expect(d.update(0, [{ chipIndex: 2, count: 10 }])).toEqual([{ chipIndex: 2, weight: 6 }]);
  });
});

describe('HashrateTracker.recordChip', () => {
  it('feeds only the chip meter: chain and rig rates come from nonces alone', () => {
    const t = new HashrateTracker(0);
    t.record({ chain: 0, chipIndex: undefined, weight: 4, at: 500 });
    t.recordChip({ chain: 0, chipIndex: 1, weight: 3, at: 600 });
    t.recordChip({ chain: 0, chipIndex: 0, weight: 1, at: 700 });
    const s = t.snapshot(5_000);
    expect(s.rig['5s']).toBeCloseTo((4 * 2 ** 32) / 5, 0);
    expect(s.chains[0]?.rates['5s']).toBeCloseTo((4 * 2 ** 32) / 5, 0);
    const chips = s.chains[0]?.chips ?? [];
    expect(chips.map((c) => c.chip)).toEqual([0, 1]);
    expect((chips[0]?.rates['5s'] ?? 0) / (2 ** 32 / 5)).toBeCloseTo(1, 9);
    expect((chips[1]?.rates['5s'] ?? 0) / (2 ** 32 / 5)).toBeCloseTo(3, 9);
  });
});
