import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HashrateHistory } from '../../src/api/history.js';
import { readMacAddress } from '../../src/api/host-info.js';
import { sampleSnapshot } from './helpers/fake-rig.js';

describe('HashrateHistory', () => {
  it('keeps the newest `capacity` samples, oldest first', () => {
    const history = new HashrateHistory(3);
    for (let i = 1; i <= 5; i++)
      history.record({
        ...sampleSnapshot(),
        uptimeS: i,
        hashrate: { h5s: i * 1e9, h1m: 0, h10m: 0, h1h: 0 },
      });
    expect(history.length).toBe(3);
    const stats = history.statistics(['hashrate'], 5000);
    expect(stats).toEqual({
      currentTimestamp: 5000,
      labels: ['hashrate', 'timestamp'],
      statistics: [
        [3, 3000],
        [4, 4000],
        [5, 5000],
      ],
    });
  });

  it('drops unknown columns and reports per-chain GH/s', () => {
    const history = new HashrateHistory();
    history.record(sampleSnapshot());
    const stats = history.statistics(['hashrate_chain1', 'bogus', 'vrTemp'], 0);
    expect(stats.labels).toEqual(['hashrate_chain1', 'vrTemp', 'timestamp']);
    expect(stats.statistics).toEqual([[2152.2, 48, 3600400]]);
  });
});

describe('readMacAddress', () => {
  it('skips lo and all-zero addresses, upper-cases the first real one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'net-'));
    for (const [name, mac] of [
      ['lo', '00:00:00:00:00:00'],
      ['eth0', 'dc:a6:32:01:02:0f'],
      ['aa0', '00:00:00:00:00:00'],
      ['wlan0', ''],
    ]) {
      mkdirSync(join(dir, name as string));
      writeFileSync(join(dir, name as string, 'address'), `${mac}\n`);
    }
    expect(readMacAddress(dir)).toBe('DC:A6:32:01:02:0F');
    expect(readMacAddress(join(dir, 'missing'))).toBe('');
  });
});
