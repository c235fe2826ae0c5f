/**
 * The fan loop against the simulated EMC2101 at register level (drivers/sim/i2c/fan-models.ts):
 * the PID duty goes out as FAN_SETTING, the diode it reads warms and cools with that duty (a
 * first-order board model stepped on a hand-driven clock), and an open diode, a fault or a
 * stalled tach put FAN_SETTING at 63/63.
 */

import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { EMC2101, Emc2101Fan } from '../../../drivers/fans/emc2101.js';
import { FanControl } from '../../../drivers/fans/fan-control.js';
import { FakeI2cBus } from '../../../drivers/peripherals/i2c.js';
import { I2cTemperatureReader } from '../../../drivers/peripherals/i2c-sensors.js';
import { Emc2101Model } from '../../../drivers/sim/i2c/fan-models.js';
import { FanLoop } from '../../../src/roles/miner/fan-loop.js';

function board(settings = { auto: true, speedPercent: 50, minPercent: 25, targetC: 60 }) {
  const model = new Emc2101Model();
  model.temperatureC = 45;
  const bus = new FakeI2cBus().attach(0x4c, model);
  const fan = new Emc2101Fan(bus);
  const reader = new I2cTemperatureReader(bus, { kind: 'emc2101', label: 'asic', address: 0x4c });
  const lines: { msg: string; percent?: number }[] = [];
  const log = pino({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l)) });
  const loop = new FanLoop({ control: new FanControl(settings), fan: () => fan, log });
  let now = 0;
  return {
    model,
    loop,
    lines,
    /** One 500 ms sample: read the diode, update the fan, let the board's temperature move. */
    async sample(fault?: string) {
      const tempC = await reader.read();
      const d = await loop.update({ tempC, now, fault });
      now += 500;
      // 100 W of heat over 25 °C ambient, the fan taking up to three quarters away; tau 20 s.
      const steady = 25 + 120 / (1 + 3 * model.duty);
      model.temperatureC += ((steady - model.temperatureC) * 0.5) / 20;
      return d;
    },
  };
}

describe('FanLoop on the simulated EMC2101', () => {
  it('PID through FAN_SETTING holds the diode at the target', async () => {
    const b = board();
    for (let i = 0; i < 1200; i++) await b.sample();
    // The diode register carries 1/8 °C; the duty 1/63 steps.
    expect(Math.abs(b.model.temperatureC - 60)).toBeLessThan(1);
    const setting = b.model.map.registers.get(EMC2101.FAN_SETTING) ?? 0;
    expect(setting).toBeGreaterThan(45);
    expect(setting).toBeLessThan(56);
    // The tach as the driver decodes it: RPM = 5 400 000 / count of a fan at that duty.
    const count = Math.round(5_400_000 / Math.round(6000 * (setting / 63)));
    expect(b.loop.rpm).toBe(Math.trunc(5_400_000 / count));
    expect(b.lines.filter((l) => l.msg.startsWith('fan under PID control'))).toHaveLength(1);
  });

  it('an open diode (no temperature) and a fault each put the fan at 63/63', async () => {
    const b = board();
    for (let i = 0; i < 20; i++) await b.sample();
    // A cold board (the diode reads 30 °C whatever the duty): the PID winds down to the floor.
    b.model.thermal = () => 30;
    for (let i = 0; i < 200; i++) await b.sample();
    expect(b.model.map.registers.get(EMC2101.FAN_SETTING)).toBe(15); // the 25 % floor
    b.model.diode = 'open';
    expect(await b.sample()).toEqual({ percent: 100, reason: 'sensor-failure' });
    expect(b.model.map.registers.get(EMC2101.FAN_SETTING)).toBe(63);
    expect(b.lines.at(-1)?.msg).toBe('no chip temperature: fan at 100 %');
    b.model.diode = undefined;
    expect(await b.sample()).toMatchObject({ reason: 'auto' });
    expect(await b.sample('regulator fault')).toMatchObject({ percent: 100, reason: 'fault' });
    expect(b.model.map.registers.get(EMC2101.FAN_SETTING)).toBe(63);
  });

  it('a stalled tach is logged and answered with 100 % until the fan turns again', async () => {
    const b = board({ auto: false, speedPercent: 40, minPercent: 25, targetC: 60 });
    await b.sample();
    expect(b.model.map.registers.get(EMC2101.FAN_SETTING)).toBe(25);
    b.model.stalled = true;
    await b.sample();
    await b.sample();
    expect(b.loop.stalled).toBe(true);
    expect(b.lines.some((l) => l.msg === 'fan stalled: tach reads 0 RPM; fan at 100 %')).toBe(true);
    expect(await b.sample()).toMatchObject({ percent: 100, reason: 'stalled' });
    expect(b.model.map.registers.get(EMC2101.FAN_SETTING)).toBe(63);
    b.model.stalled = false;
    await b.sample();
    expect(b.loop.stalled).toBe(false);
    expect(await b.sample()).toEqual({ percent: 40, reason: 'fixed' });
    expect(b.model.map.registers.get(EMC2101.FAN_SETTING)).toBe(25);
    expect(b.lines.some((l) => l.msg === 'fan turning again')).toBe(true);
  });
});
