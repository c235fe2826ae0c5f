import { describe, expect, it } from 'vitest';
import { FakeThermalReader } from '../../../drivers/peripherals/thermal.js';
import { silentLog } from '../../../src/log.js';
import { ThermalGuard } from '../../../src/roles/miner/thermal-guard.js';
import { systemClock } from '../../../src/time/clock.js';

describe('ThermalGuard', () => {
  it('throttles at throttleC, releases below throttleC - hysteresis, shuts down at shutdownC', async () => {
    const calls: string[] = [];
    const guard = new ThermalGuard({
      readers: [new FakeThermalReader('asic', [60, 71, 67, 64, 82]), new FakeThermalReader('board', [40])],
      limits: { throttleC: 70, shutdownC: 80, hysteresisC: 5, maxBadReadings: 3 },
      clock: systemClock,
      log: silentLog,
      actions: {
        throttle: async (on) => {
          calls.push(`throttle ${on}`);
        },
        shutdown: async (reason) => {
          calls.push(`shutdown ${reason}`);
        },
      },
    });
    const kinds: string[] = [];
    for (let i = 0; i < 5; i++) kinds.push((await guard.sample()).kind);
    // 67 is still above 70 - 5, so throttling holds until 64.
    expect(kinds).toEqual(['ok', 'throttle', 'throttle', 'ok', 'shutdown']);
    expect(calls).toEqual(['throttle true', 'throttle false', 'shutdown over-temperature']);
    expect(guard.hottest()).toBe(82);
  });

  it('shuts down after maxBadReadings unreadable samples in a row', async () => {
    const calls: string[] = [];
    const guard = new ThermalGuard({
      readers: [new FakeThermalReader('asic', [55, undefined])],
      limits: { throttleC: 70, shutdownC: 80, hysteresisC: 5, maxBadReadings: 3 },
      clock: systemClock,
      log: silentLog,
      actions: { throttle: async () => {}, shutdown: async (reason) => void calls.push(reason) },
    });
    const kinds: string[] = [];
    for (let i = 0; i < 4; i++) kinds.push((await guard.sample()).kind);
    expect(kinds).toEqual(['ok', 'ok', 'ok', 'shutdown']);
    expect(calls).toEqual(['sensor-failure']);
    expect(guard.hottest()).toBeNull();
  });
});
