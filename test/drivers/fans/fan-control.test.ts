/**
 * The fan duty decision (drivers/fans/fan-control.ts): ESP-Miner's PID gains toward the target,
 * the floor in both modes, and 100 % on a missing temperature, a fault or a stalled tach.
 */
import { describe, expect, it } from 'vitest';
import { FanControl, type FanSettings } from '../../../drivers/fans/fan-control.js';

const auto: FanSettings = { auto: true, speedPercent: 40, minPercent: 25, targetC: 60 };

/** A board that heats with a fixed load and is cooled by the fan: first-order lag toward Tss(duty). */
function plant(heatC: number, tauS: number) {
  let t = 45;
  return {
    get tempC() {
      return t;
    },
    advance(duty: number, dtS: number) {
      const steady = 25 + heatC / (1 + 3 * (duty / 100));
      t += ((steady - t) * dtS) / tauS;
    },
  };
}

describe('FanControl', () => {
  it('drives the temperature to the target and holds it (PID, 500 ms samples)', () => {
    const control = new FanControl(auto);
    const board = plant(120, 20);
    const temps: number[] = [];
    const duties: number[] = [];
    for (let i = 0; i <= 1200; i++) {
      const d = control.step({ tempC: board.tempC, now: i * 500 });
      expect(d.reason).toBe('auto');
      board.advance(d.percent, 0.5);
      temps.push(board.tempC);
      duties.push(d.percent);
    }
    // 120 degrees of heat over 25: 60 C needs 1 + 3d = 120/35, d = 81 %.
    const last = temps.slice(-100);
    for (const t of last) expect(Math.abs(t - 60)).toBeLessThan(0.3);
    expect(duties.at(-1)).toBeGreaterThan(78);
    expect(duties.at(-1)).toBeLessThan(84);
    // The integral starts at full speed: 100 + 3 x (45 - 60) on the first sample.
    expect(duties[0]).toBe(55);
    for (const d of duties) {
      expect(d).toBeGreaterThanOrEqual(25);
      expect(d).toBeLessThanOrEqual(100);
    }
  });

  it('clamps at 100 % when the board cannot reach the target, and winds back without overshoot debt', () => {
    const control = new FanControl(auto);
    const board = plant(200, 10);
    let duty = 0;
    for (let i = 0; i < 600; i++) {
      duty = control.step({ tempC: board.tempC, now: i * 500 }).percent;
      board.advance(duty, 0.5);
    }
    expect(duty).toBe(100);
    // The load drops: the fan comes down within a minute, because the integral never grew past 100.
    const lighter = plant(60, 10);
    let seconds = 0;
    for (let i = 600; i < 1200 && duty === 100; i++) {
      duty = control.step({ tempC: lighter.tempC, now: i * 500 }).percent;
      lighter.advance(duty, 0.5);
      seconds += 0.5;
    }
    expect(seconds).toBeLessThan(60);
  });

  it('never goes below the minimum, in auto (cold board) and fixed mode', () => {
    const control = new FanControl({ ...auto, minPercent: 30 });
    let d = control.step({ tempC: 20, now: 0 });
    for (let i = 1; i < 200; i++) d = control.step({ tempC: 20, now: i * 500 });
    expect(d).toEqual({ percent: 30, reason: 'auto' });
    control.configure({ auto: false, speedPercent: 10, minPercent: 30, targetC: 60 });
    expect(control.step({ tempC: 20, now: 100_000 })).toEqual({ percent: 30, reason: 'fixed' });
    control.configure({ auto: false, speedPercent: 55, minPercent: 30, targetC: 60 });
    expect(control.step({ tempC: 20, now: 100_500 })).toEqual({ percent: 55, reason: 'fixed' });
  });

  it('100 % with no temperature in auto; a fault wins over either mode', () => {
    const control = new FanControl(auto);
    control.step({ tempC: 40, now: 0 });
    for (let i = 1; i < 100; i++) control.step({ tempC: 40, now: i * 500 });
    expect(control.step({ tempC: 40, now: 50_000 }).percent).toBe(25);
    expect(control.step({ tempC: undefined, now: 50_500 })).toEqual({
      percent: 100,
      reason: 'sensor-failure',
    });
    // Before any sample: full speed too, but not reported as a failure.
    expect(new FanControl(auto).step({ tempC: null, now: 0 })).toEqual({ percent: 100, reason: 'starting' });
    expect(control.step({ tempC: 40, now: 51_000 }).reason).toBe('auto');
    expect(control.step({ tempC: 40, now: 51_500, fault: 'regulator fault' })).toEqual({
      percent: 100,
      reason: 'fault',
      detail: 'regulator fault',
    });
    control.configure({ ...auto, auto: false });
    expect(control.step({ tempC: 40, now: 52_000, fault: 'overheat' }).percent).toBe(100);
    // A fixed duty does not need a temperature.
    expect(control.step({ tempC: undefined, now: 52_500 })).toEqual({ percent: 40, reason: 'fixed' });
  });

  it('a tach at 0 RPM twice in a row while driven is a stall: 100 % until it turns again', () => {
    const control = new FanControl({ ...auto, auto: false });
    expect(control.step({ tempC: 50, now: 0 }).percent).toBe(40);
    control.observeRpm(0);
    expect(control.stalled).toBe(false);
    // No usable count is not evidence either way.
    control.observeRpm(undefined);
    control.observeRpm(0);
    expect(control.stalled).toBe(true);
    expect(control.step({ tempC: 50, now: 500 })).toMatchObject({ percent: 100, reason: 'stalled' });
    control.observeRpm(3000);
    expect(control.stalled).toBe(false);
    expect(control.step({ tempC: 50, now: 1000 })).toEqual({ percent: 40, reason: 'fixed' });
  });

  it('a fan at 0 % duty reading 0 RPM is not stalled', () => {
    const control = new FanControl({ auto: false, speedPercent: 0, minPercent: 0, targetC: 60 });
    expect(control.step({ tempC: 50, now: 0 }).percent).toBe(0);
    control.observeRpm(0);
    control.observeRpm(0);
    expect(control.stalled).toBe(false);
  });
});
