import { describe, expect, it } from 'vitest';
import { addCounters, emptyCounters } from '../../../src/channels/client/counters.js';

describe('share counters', () => {
  it('adds two counter sets field by field, reasons by name', () => {
    const a = emptyCounters();
    const b = emptyCounters();
    a.accepted = 3;
    a.acceptedDifficulty = 0.75;
    a.rejected = 1;
    a.rejectedByReason['stale-share'] = 1;
    b.accepted = 2;
    b.acceptedDifficulty = 0.5;
    b.rejected = 2;
    b.rejectedByReason['stale-share'] = 1;
    b.rejectedByReason['difficulty-too-low'] = 1;
    const sum = addCounters(a, b);
    expect(sum.accepted).toBe(5);
    expect(sum.acceptedDifficulty).toBe(1.25);
    expect(sum.rejected).toBe(3);
    expect({ ...sum.rejectedByReason }).toEqual({ 'stale-share': 2, 'difficulty-too-low': 1 });
  });

  it('counts a pool error code named "__proto__" like any other code', () => {
    // Error codes are free-form strings chosen by the pool (sv2.md §5.3): any name must count.
    const code = '__proto__';
    const a = emptyCounters();
    const b = emptyCounters();
    a.rejectedByReason[code] = 2;
    b.rejectedByReason[code] = 1;
    const sum = addCounters(a, b);
    expect(Object.keys(sum.rejectedByReason)).toEqual([code]);
    expect(sum.rejectedByReason[code]).toBe(3);
  });
});
