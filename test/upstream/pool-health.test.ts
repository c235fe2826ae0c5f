/**
 * The pure parts of pool judging (issue 12): the leaky-bucket violation score and the per-kind
 * rate limit on warnings with its suppressed count.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import {
  addViolations,
  PoolHealth,
  VIOLATION_LEAK_MS,
  violationTable,
} from '../../src/upstream/pool-health.js';
import { WarnLimiter } from '../../src/upstream/warn-limiter.js';
import { FakeClock } from './helpers/fake-clock.js';

describe('PoolHealth', () => {
  it('crosses its bound on a burst, lets a slow trickle leak away, and counts every kind', () => {
    const table = violationTable();
    const h = new PoolHealth(table, 3);
    expect([h.note('unknown-job', 0), h.note('unknown-job', 0), h.note('unknown-channel', 0)]).toEqual([
      false,
      false,
      false,
    ]);
    expect(h.note('unknown-message', 0)).toBe(true);
    const slow = new PoolHealth(violationTable(), 3);
    for (let i = 0; i < 100; i++) expect(slow.note('unknown-message', i * VIOLATION_LEAK_MS)).toBe(false);
    expect(slow.score(100 * VIOLATION_LEAK_MS)).toBeLessThan(1);
    expect({ ...table }).toEqual({ 'unknown-job': 2, 'unknown-channel': 1, 'unknown-message': 1 });
    expect({ ...addViolations(table, { 'unknown-job': 3, 'prev-hash-churn': 1 }) }).toEqual({
      'unknown-job': 5,
      'unknown-channel': 1,
      'unknown-message': 1,
      'prev-hash-churn': 1,
    });
  });
});

describe('WarnLimiter', () => {
  it('logs one line per kind per interval and reports what it suppressed', () => {
    const lines: Record<string, unknown>[] = [];
    const log = pino({ level: 'warn' }, { write: (l: string) => lines.push(JSON.parse(l)) });
    const clock = new FakeClock();
    const w = new WarnLimiter(log, clock, 30_000);
    for (let i = 0; i < 50; i++) w.warn('unknown-job', { i }, 'ignored: x');
    w.warn('unknown-channel', {}, 'ignored: y');
    clock.advance(29_999);
    w.warn('unknown-job', {}, 'ignored: x');
    clock.advance(1);
    w.warn('unknown-job', { i: 99 }, 'ignored: x');
    expect(lines.map((l) => [l['kind'], l['i'], l['suppressed']])).toEqual([
      ['unknown-job', 0, undefined],
      ['unknown-channel', undefined, undefined],
      ['unknown-job', 99, 50],
    ]);
  });
});
