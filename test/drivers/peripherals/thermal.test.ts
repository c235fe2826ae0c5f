import { describe, expect, it } from 'vitest';
import {
  decideThermal,
  FakeThermalReader,
  INITIAL_THERMAL_STATE,
  SysfsThermalReader,
  type ThermalDecision,
  type ThermalState,
} from '../../../drivers/peripherals/thermal.js';

const LIMITS = { throttleC: 70, shutdownC: 80, hysteresisC: 5, maxBadReadings: 3 };

function run(readings: (number | undefined)[]): ThermalDecision['kind'][] {
  let state: ThermalState = INITIAL_THERMAL_STATE;
  return readings.map((t) => {
    const step = decideThermal(t, LIMITS, state);
    state = step.state;
    return step.decision.kind;
  });
}

describe('decideThermal', () => {
  it('throttles at the limit and releases only below limit minus hysteresis', () => {
    expect(run([60, 69.9, 70, 68, 65.1, 65, 69])).toEqual([
      'ok',
      'ok',
      'throttle',
      'throttle',
      'throttle',
      'ok',
      'ok',
    ]);
  });

  it('shuts down at the shutdown limit (mujina: >= 80 C)', () => {
    expect(decideThermal(80, LIMITS, INITIAL_THERMAL_STATE).decision).toEqual({
      kind: 'shutdown',
      reason: 'over-temperature',
      tempC: 80,
    });
  });

  it('shuts down after three unreadable samples in a row, not after two', () => {
    expect(run([undefined, undefined, 60, undefined, undefined, undefined])).toEqual([
      'ok',
      'ok',
      'ok',
      'ok',
      'ok',
      'shutdown',
    ]);
  });

  it('keeps throttling through an unreadable sample', () => {
    expect(run([75, undefined])).toEqual(['throttle', 'throttle']);
  });
});

describe('SysfsThermalReader', () => {
  it('reads millidegrees and applies the sensor offset', async () => {
    const reader = new SysfsThermalReader('chip0', '/sys/class/hwmon/hwmon2/temp1_input', {
      offsetC: -7,
      readText: async (path) => (path.endsWith('temp1_input') ? '61250\n' : ''),
    });
    expect(await reader.read()).toBe(54.25);
  });

  it('gives undefined for a missing file, garbage or an implausible value', async () => {
    const missing = new SysfsThermalReader('x', '/nope', {
      readText: async () => {
        throw new Error('ENOENT');
      },
    });
    expect(await missing.read()).toBeUndefined();
    expect(await new SysfsThermalReader('x', 'p', { readText: async () => 'abc' }).read()).toBeUndefined();
    expect(await new SysfsThermalReader('x', 'p', { readText: async () => '\n' }).read()).toBeUndefined();
    expect(await new SysfsThermalReader('x', 'p', { readText: async () => '255000' }).read()).toBeUndefined();
  });

  it('FakeThermalReader replays values and repeats the last', async () => {
    const fake = new FakeThermalReader('f', [50, undefined]);
    expect([await fake.read(), await fake.read(), await fake.read()]).toEqual([50, undefined, undefined]);
  });
});
