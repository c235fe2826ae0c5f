import { describe, expect, it } from 'vitest';
import { relaxedTicketDifficulty } from '../../src/bitcoin/target.js';
import {
  type ChainExpectation,
  ChipHealthMonitor,
  expectedEvents,
  judge,
  judgeChain,
  poissonLogCdf,
  windowFor,
} from '../../src/work/chip-health.js';

// A BM1370 at 525 MHz: 2040 small cores -> 1.071 TH/s; ticket difficulty 256 -> 2^40 hashes a nonce.
const BM1370_HS = 525e6 * 2040;

describe('expected returns (Poisson mean)', () => {
  it('a BM1370 at 525 MHz and ticket 256 returns 0.974 nonces/s; 40 of them take 41.065 s', () => {
    expect(expectedEvents(BM1370_HS, 1000, 256)).toBeCloseTo(1.071e12 / 2 ** 40, 12);
    expect(expectedEvents(BM1370_HS, 1000, 256)).toBeCloseTo(0.9740688256, 9);
    expect(windowFor(expectedEvents(BM1370_HS, 1000, 256))).toBe(41_065);
  });

  it('uses the pipeline chip target on a relaxed sim board: 600 kH/s at k = 24, ticket 256 -> 9.155 nonces/s', () => {
    const d = relaxedTicketDifficulty(256, 24); // 2^(8-24)
    expect(d).toBe(2 ** -16);
    expect(expectedEvents(600_000, 1000, d)).toBe(600_000 / 2 ** 16);
    // Each chip's counter counts at 2^-24 (chip-counters.ts): 150 kH/s -> 585.9375 counts/s,
    // so the window is the 10 s floor, not 68 ms.
    expect(expectedEvents(150_000, 1000, 2 ** -24)).toBe(585.9375);
    expect(windowFor(585.9375)).toBe(10_000);
  });

  it('caps the window at 10 min and refuses nonsense', () => {
    expect(windowFor(0.001)).toBe(600_000);
    expect(windowFor(0)).toBe(600_000);
    expect(() => expectedEvents(1e12, 1000, 0)).toThrow(/bad input/);
    expect(() => expectedEvents(-1, 1000, 1)).toThrow(/bad input/);
  });
});

describe('poissonLogCdf', () => {
  it('is exact on small cases: P(X <= 2 | 3) = 8.5 e^-3, P(X = 0 | 40) = e^-40', () => {
    expect(Math.exp(poissonLogCdf(2, 3))).toBeCloseTo(8.5 * Math.exp(-3), 14);
    expect(poissonLogCdf(0, 40)).toBe(-40);
    expect(poissonLogCdf(-1, 5)).toBe(Number.NEGATIVE_INFINITY);
  });

  it('does not underflow where e^-lambda would (lambda = 10^4)', () => {
    const v = poissonLogCdf(2500, 10_000);
    expect(Number.isFinite(v)).toBe(true);
    expect(v).toBeCloseTo(-4038.807, 2);
  });
});

describe('judge one window', () => {
  it('says nothing on a window too short to be sure: e^-13 > 1e-6, e^-14 < 1e-6', () => {
    expect(judge(0, 13)).toBe('unknown');
    expect(judge(0, 14)).toBe('silent');
  });

  it('weak = under a quarter of the mean and less likely than 1e-6 for a healthy chip', () => {
    // P(X <= 9 | 40) = 3.9e-9: weak. 10 is not under 40/4.
    expect(judge(9, 40)).toBe('weak');
    expect(judge(10, 40)).toBe('ok');
    // 4 of 20 is under a quarter, but P(X <= 4 | 20) = 1.7e-5: bad luck is still plausible.
    expect(judge(4, 20)).toBe('ok');
    expect(judge(40, 40)).toBe('ok');
  });
});

const nonceChips = (chips: number, chipHashrate: number): ChainExpectation => ({
  chips,
  chipHashrate,
  nonceDifficulty: 256,
  chipEvents: { kind: 'nonce' },
});

describe('judgeChain', () => {
  const e = nonceChips(4, BM1370_HS);
  const windowMs = 41_065; // 40.0 expected per chip, 160 per chain

  it('flags the silent chip of a chain that still mines as degraded', () => {
    const v = judgeChain(0, e, windowMs, 120, [40, 0, 38, 42]);
    expect(v.chips).toEqual(['ok', 'silent', 'ok', 'ok']);
    expect(v.health).toBe('degraded');
    expect(v.expected).toBeCloseTo(160, 1);
    expect(v.chipExpected).toBeCloseTo(40, 2);
  });

  it('a chain with no nonce at all is flatlined', () => {
    const v = judgeChain(0, e, windowMs, 0, []);
    expect(v.health).toBe('flatlined');
    expect(v.chips).toEqual(['silent', 'silent', 'silent', 'silent']);
  });

  it('every chip silent by its counter is a flatline even if a late nonce arrived', () => {
    const counter: ChainExpectation = { ...e, chipEvents: { kind: 'counter', difficulty: 1 } };
    expect(judgeChain(0, counter, 10_000, 1, [0, 0, 0, 0]).health).toBe('flatlined');
  });

  it('healthy counts are ok; a window too short is unknown', () => {
    expect(judgeChain(0, e, windowMs, 160, [40, 41, 39, 40]).health).toBe('ok');
    // 3 s: 11.7 chain nonces due, e^-11.7 > 1e-6. At 5 s (19.5 due) nothing at all is proof enough.
    expect(judgeChain(0, e, 3_000, 0, []).health).toBe('unknown');
    expect(judgeChain(0, e, 5_000, 0, []).health).toBe('flatlined');
  });
});

describe('ChipHealthMonitor', () => {
  const e = nonceChips(2, BM1370_HS); // window 41 065 ms

  it('judges back-to-back windows from fed nonces', () => {
    const m = new ChipHealthMonitor();
    m.watch(3, () => e, 1_000);
    for (let i = 0; i < 40; i++) m.nonce(3, 0);
    expect(m.evaluate(1_000 + 41_064)).toEqual([]);
    const [v] = m.evaluate(1_000 + 41_065);
    expect(v?.chain).toBe(3);
    expect(v?.chips).toEqual(['ok', 'silent']);
    expect(v?.observed).toBe(40);
    expect(m.last(3)?.health).toBe('degraded');
    // The next window opened at the verdict: nothing fed since, so the whole chain is silent.
    const [next] = m.evaluate(1_000 + 2 * 41_065);
    expect(next?.health).toBe('flatlined');
  });

  it('a restarted window (no work for a while) throws its counts away', () => {
    const m = new ChipHealthMonitor();
    m.watch(0, () => e, 0);
    m.restartWindow(0, 30_000);
    expect(m.evaluate(41_065)).toEqual([]);
    expect(m.evaluate(30_000 + 41_065)[0]?.health).toBe('flatlined');
  });

  it('counter chains count chips by their counters, not by nonces that name no chip', () => {
    const m = new ChipHealthMonitor();
    const counter: ChainExpectation = { ...e, chipEvents: { kind: 'counter', difficulty: 1 } };
    m.watch(0, () => counter, 0);
    m.nonce(0, 0); // ignored for the chip: counters are its events
    const perChipPerWindow = expectedEvents(BM1370_HS, 10_000, 1); // 2494 counts
    m.chipCounts(0, 0, Math.round(perChipPerWindow));
    m.chipCounts(0, 1, 3);
    for (let i = 0; i < 10; i++) m.nonce(0, undefined);
    const [v] = m.evaluate(10_000);
    expect(v?.chipObserved).toEqual([Math.round(perChipPerWindow), 3]);
    expect(v?.chips).toEqual(['ok', 'weak']);
    expect(v?.observed).toBe(11);
  });

  it('forgets an unwatched chain and takes nothing for it', () => {
    const m = new ChipHealthMonitor();
    m.watch(0, () => e, 0);
    m.unwatch(0);
    m.nonce(0, 0);
    expect(m.evaluate(1e9)).toEqual([]);
    expect(m.last(0)).toBeUndefined();
  });
});
