import { describe, expect, it } from 'vitest';
import { systemInfo } from '../../src/api/axeos.js';
import { sampleSnapshot } from './helpers/fake-rig.js';

const HOST = { macAddr: '02:00:00:00:00:01', ipv4: '127.0.0.1' };

describe('AxeOS hashrate units', () => {
  it('keeps a CPU-simulated board visible: 150 kH/s is 0.00015 GH/s, not 0', () => {
    const base = sampleSnapshot();
    const snapshot = { ...base, hashrate: { h5s: 140_000, h1m: 150_000, h10m: 151_234, h1h: 0 } };
    const info = systemInfo(snapshot, HOST);
    expect(info['hashRate']).toBe(0.00015);
    expect(info['hashRate_10m']).toBe(0.000151234);
    expect(info['hashRate_1h']).toBe(0);
  });

  it('reports a real BM1370 at 1.07 TH/s as 1070 GH/s', () => {
    const base = sampleSnapshot();
    const snapshot = { ...base, hashrate: { h5s: 1.07e12, h1m: 1.07e12, h10m: 1.07e12, h1h: 1.07e12 } };
    expect(systemInfo(snapshot, HOST)['hashRate']).toBe(1070);
  });
});
