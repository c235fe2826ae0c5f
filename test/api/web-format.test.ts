/**
 * The dashboard's formatting (src/api/web/format.js, the module the page itself imports): scaled
 * hashrate units, SI-suffixed difficulties, rounded temperatures and latencies, chart ticks, and
 * pino JSON log lines turned into time / level / module / message.
 */
import { describe, expect, it } from 'vitest';
import {
  formatAge,
  formatDifficulty,
  formatHashrate,
  formatLogLine,
  formatMs,
  formatTemperature,
  hashrateTicks,
} from '../../src/api/web/format.js';

describe('formatHashrate', () => {
  it('scales through H/s, kH/s, MH/s, GH/s and TH/s with three significant figures', () => {
    expect(formatHashrate(0)).toBe('0 H/s');
    expect(formatHashrate(950)).toBe('950 H/s');
    // The simulated BM1370 the issue saw as "0.00 GH/s".
    expect(formatHashrate(0.00017462055103223406 * 1e9)).toBe('175 kH/s');
    expect(formatHashrate(1_750_000)).toBe('1.75 MH/s');
    expect(formatHashrate(22.5e6)).toBe('22.5 MH/s');
    expect(formatHashrate(1.2e9)).toBe('1.2 GH/s');
    expect(formatHashrate(4.22e12)).toBe('4.22 TH/s');
    expect(formatHashrate(3.5e15)).toBe('3.5 PH/s');
  });

  it('rounds up into the next unit rather than showing "1000 kH/s"', () => {
    expect(formatHashrate(999_600)).toBe('1 MH/s');
    expect(formatHashrate(999_400)).toBe('999 kH/s');
  });

  it('shows a dash for values that are not a rate', () => {
    expect(formatHashrate(Number.NaN)).toBe('–');
    expect(formatHashrate(-1)).toBe('–');
  });
});

describe('formatDifficulty', () => {
  it('keeps small difficulties readable and gives large ones an SI suffix', () => {
    expect(formatDifficulty(0.0226)).toBe('0.0226');
    expect(formatDifficulty(0.022649876)).toBe('0.0226');
    expect(formatDifficulty(0)).toBe('0');
    expect(formatDifficulty(0.5)).toBe('0.5');
    expect(formatDifficulty(512)).toBe('512');
    expect(formatDifficulty(12_345)).toBe('12.3k');
    expect(formatDifficulty(123_456.5)).toBe('123k');
    expect(formatDifficulty(9_876_543)).toBe('9.88M');
    expect(formatDifficulty(4.2e9)).toBe('4.2G');
    expect(formatDifficulty(1.5e12)).toBe('1.5T');
  });
});

describe('formatTemperature and formatMs', () => {
  it('rounds temperatures to 0.1 °C and says when there is no sensor', () => {
    expect(formatTemperature(55.328585930709885)).toBe('55.3 °C');
    expect(formatTemperature(48)).toBe('48.0 °C');
    expect(formatTemperature(null)).toBe('–');
  });

  it('gives latencies two significant figures, whole milliseconds from 10 ms', () => {
    expect(formatMs(1.7018219999990833)).toBe('1.7 ms');
    expect(formatMs(0.2213)).toBe('0.22 ms');
    expect(formatMs(0.05)).toBe('0.05 ms');
    expect(formatMs(17.4)).toBe('17 ms');
    expect(formatMs(120.6)).toBe('121 ms');
    expect(formatMs(null)).toBe('–');
  });

  it('formats ages', () => {
    expect(formatAge(1.5)).toBe('2 s');
    expect(formatAge(150)).toBe('3 min');
    expect(formatAge(7200)).toBe('2.0 h');
    expect(formatAge(null)).toBe('never');
  });
});

describe('hashrateTicks', () => {
  it('steps in round values from 0 to at least the maximum', () => {
    expect(hashrateTicks(174_620)).toEqual([0, 50_000, 100_000, 150_000, 200_000]);
    expect(hashrateTicks(4.22e12)).toEqual([0, 2e12, 4e12, 6e12]);
    expect(hashrateTicks(1e6)).toEqual([0, 250_000, 500_000, 750_000, 1_000_000, 1_250_000]);
    expect(hashrateTicks(174_620).map(formatHashrate)).toEqual([
      '0 H/s',
      '50 kH/s',
      '100 kH/s',
      '150 kH/s',
      '200 kH/s',
    ]);
  });

  it('has a usable axis when nothing was hashed', () => {
    const ticks = hashrateTicks(0);
    expect(ticks[0]).toBe(0);
    expect(ticks.at(-1)).toBeGreaterThan(0);
  });
});

describe('formatLogLine', () => {
  it('splits a pino line into time, level, module and a message with the other fields', () => {
    const line = JSON.stringify({
      level: 40,
      time: Date.UTC(2026, 11, 7, 19, 2, 11),
      svc: 'sv2miner',
      component: 'pool',
      pool: 'stratum2+tcp://127.0.0.1:1/9auq',
      retryInMs: 2118,
      msg: 'pool failed (connecting: connect ECONNREFUSED 127.0.0.1:1); retrying in 2.1 s (no other pool configured)',
    });
    expect(formatLogLine(line, 'UTC')).toEqual({
      time: '19:02:11',
      level: 'WARN',
      module: 'pool',
      message:
        'pool failed (connecting: connect ECONNREFUSED 127.0.0.1:1); retrying in 2.1 s (no other pool configured) pool=stratum2+tcp://127.0.0.1:1/9auq retryInMs=2118',
    });
  });

  it('shows an error object by its message and keeps nested values as JSON', () => {
    const line = JSON.stringify({
      level: 50,
      time: 0,
      component: 'api',
      err: { type: 'Error', message: 'boom', stack: 'Error: boom\n    at x' },
      stats: { a: 1 },
      msg: 'failed',
    });
    expect(formatLogLine(line, 'UTC')).toEqual({
      time: '00:00:00',
      level: 'ERROR',
      module: 'api',
      message: 'failed err=boom stats={"a":1}',
    });
  });

  it('passes a line that is not JSON through as the message', () => {
    expect(formatLogLine('dashboard: TypeError: x')).toEqual({
      time: '',
      level: '',
      module: '',
      message: 'dashboard: TypeError: x',
    });
    expect(formatLogLine('[1,2]').message).toBe('[1,2]');
  });
});
