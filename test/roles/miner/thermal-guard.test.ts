import { describe, expect, it } from 'vitest';
import { FakeThermalReader } from '../../../drivers/peripherals/thermal.js';
import { silentLog } from '../../../src/log.js';
import { ThermalGuard } from '../../../src/roles/miner/thermal-guard.js';
import { systemClock } from '../../../src/time/clock.js';
import { FakeClock } from '../../upstream/helpers/fake-clock.js';

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

  it('a regulator at vrShutdownC shuts down with the reading and the limit; every sample goes to onSample', async () => {
    const calls: string[] = [];
    const samples: unknown[] = [];
    const guard = new ThermalGuard({
      readers: [new FakeThermalReader('asic', [55])],
      vr: new FakeThermalReader('vr', [90, undefined, 105.5]),
      limits: { throttleC: 70, shutdownC: 80, hysteresisC: 5, maxBadReadings: 3, vrShutdownC: 105 },
      clock: { ...systemClock, now: () => 1234 },
      log: silentLog,
      actions: {
        throttle: async () => {},
        shutdown: async (reason, detail) => void calls.push(`${reason}: ${detail}`),
      },
      onSample: async ({ chipC, vrC, decision }) => void samples.push([chipC, vrC, decision.kind]),
    });
    const kinds: string[] = [];
    for (let i = 0; i < 3; i++) kinds.push((await guard.sample()).kind);
    // An unreadable regulator temperature is no verdict on its own (the status watch covers the part).
    expect(kinds).toEqual(['ok', 'ok', 'shutdown']);
    expect(calls).toEqual(['vr-over-temperature: regulator 105.5 °C at or over thermal.vrShutdownC 105']);
    expect(samples).toEqual([
      [55, 90, 'ok'],
      [55, undefined, 'ok'],
      [55, 105.5, 'shutdown'],
    ]);
    expect(guard.vrC).toBe(105.5);
  });

  it('a board without chip sensors still samples the regulator and reports chipC null, never a sensor failure', async () => {
    const kinds: string[] = [];
    const chip: unknown[] = [];
    const guard = new ThermalGuard({
      readers: [],
      vr: new FakeThermalReader('vr', [50]),
      limits: { throttleC: 70, shutdownC: 80, hysteresisC: 5, maxBadReadings: 1, vrShutdownC: 105 },
      clock: systemClock,
      log: silentLog,
      actions: { throttle: async () => {}, shutdown: async () => void kinds.push('shutdown') },
      onSample: async ({ chipC }) => void chip.push(chipC),
    });
    for (let i = 0; i < 3; i++) kinds.push((await guard.sample()).kind);
    expect(kinds).toEqual(['ok', 'ok', 'ok']);
    expect(chip).toEqual([null, null, null]);
  });

  it('samples every 500 ms on the injected clock', async () => {
    const clock = new FakeClock();
    let reads = 0;
    const guard = new ThermalGuard({
      readers: [
        {
          label: 'asic',
          read: async () => {
            reads++;
            return 50;
          },
        },
      ],
      limits: { throttleC: 70, shutdownC: 80, hysteresisC: 5, maxBadReadings: 3 },
      clock,
      log: silentLog,
      actions: { throttle: async () => {}, shutdown: async () => {} },
    });
    guard.start();
    await new Promise((r) => setImmediate(r));
    expect(reads).toBe(1);
    for (let i = 0; i < 4; i++) {
      clock.advance(499);
      await new Promise((r) => setImmediate(r));
      const before = reads;
      clock.advance(1);
      await new Promise((r) => setImmediate(r));
      expect(reads).toBe(before + 1);
    }
    guard.stop();
  });

  it('cooling straight from a shutdown to ok also ends the throttle (a resumed rig runs at full frequency)', async () => {
    const calls: string[] = [];
    const guard = new ThermalGuard({
      readers: [new FakeThermalReader('asic', [60, 75, 85, 55])],
      limits: { throttleC: 70, shutdownC: 80, hysteresisC: 5, maxBadReadings: 3 },
      clock: systemClock,
      log: silentLog,
      actions: {
        throttle: async (on) => void calls.push(`throttle ${on}`),
        shutdown: async (reason) => void calls.push(`shutdown ${reason}`),
      },
    });
    for (let i = 0; i < 4; i++) await guard.sample();
    expect(calls).toEqual(['throttle true', 'shutdown over-temperature', 'throttle false']);
  });
});
