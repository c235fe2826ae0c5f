/**
 * EMC2101 and EMC2302 fan drivers, the DS4432U core-voltage DAC and the INA260 monitor: the
 * register bytes against ESP-Miner's (EMC2101.c, EMC2302.c, DS4432U.c) and the datasheets'
 * layouts, driven against the register-level simulated devices with their injectable faults.
 */
import { describe, expect, it } from 'vitest';
import { Emc2101Fan } from '../../../drivers/fans/emc2101.js';
import { Emc2302Fans } from '../../../drivers/fans/emc2302.js';
import { FakeI2cBus } from '../../../drivers/peripherals/i2c.js';
import { I2cTemperatureReader } from '../../../drivers/peripherals/i2c-sensors.js';
import { Ds4432u, ds4432uCode, ds4432uRangeMv } from '../../../drivers/power/ds4432u.js';
import { Ina260 } from '../../../drivers/power/ina260.js';
import { Emc2101Model, Emc2302Model } from '../../../drivers/sim/i2c/fan-models.js';
import { Ds4432uModel, Ina260Model } from '../../../drivers/sim/i2c/power-models.js';
import { bytesToHex } from '../../../src/bytes/hex.js';

const wire = (bus: FakeI2cBus): string[] =>
  bus.transactions.map((t) => bytesToHex(t.write) + (t.read.length > 0 ? `>${bytesToHex(t.read)}` : ''));

describe('EMC2101 fan (Bitaxe Gamma at 0x4C)', () => {
  it('configures TACH input and direct PWM once, then writes a 6-bit duty', async () => {
    const model = new Emc2101Model();
    const bus = new FakeI2cBus().attach(0x4c, model);
    const fan = new Emc2101Fan(bus);
    await fan.setDutyPercent(100);
    await fan.setDutyPercent(50);
    await fan.setDutyPercent(0);
    expect(wire(bus)).toEqual(['0304', '4a23', '4c3f', '4c1f', '4c00']);
    await expect(fan.setDutyPercent(101)).rejects.toThrow('fan duty 101 %: expected 0..100');
  });

  it('RPM is 5 400 000 / count; a stalled fan reads 0; a zero count is no reading', async () => {
    const model = new Emc2101Model();
    const bus = new FakeI2cBus().attach(0x4c, model);
    const fan = new Emc2101Fan(bus);
    await fan.setDutyPercent(100);
    expect(await fan.readRpm()).toBe(6000); // count 900
    expect(wire(bus).slice(-2)).toEqual(['46>84', '47>03']);
    model.stalled = true;
    expect(await fan.readRpm()).toBe(0);
    const zero = new FakeI2cBus().set(0x4c, 0x46, 0).set(0x4c, 0x47, 0);
    expect(await new Emc2101Fan(zero).readRpm()).toBeUndefined();
  });

  it('the same chip s diode feeds the existing temperature reader; an open diode is no temperature', async () => {
    const model = new Emc2101Model();
    model.temperatureC = 61.25;
    const bus = new FakeI2cBus().attach(0x4c, model);
    const reader = new I2cTemperatureReader(bus, { kind: 'emc2101', label: 'asic', address: 0x4c });
    expect(await reader.read()).toBe(61.25);
    model.diode = 'open';
    expect(await reader.read()).toBeUndefined();
    model.diode = -100; // absurd on a running board: the reader refuses an implausible temperature
    expect(await reader.read()).toBeUndefined();
  });

  it('NACK and a stuck bus reject with a message naming the device or the bus', async () => {
    const bus = new FakeI2cBus('/dev/i2c-3').attach(0x4c, new Emc2101Model());
    const fan = new Emc2101Fan(bus);
    bus.fail(0x4c);
    await expect(fan.readRpm()).rejects.toThrow('no answer from device 0x4c');
    bus.fail(0x4c, false);
    bus.stuck = true;
    await expect(fan.setDutyPercent(40)).rejects.toThrow('/dev/i2c-3: bus stuck (SDA held low)');
  });
});

describe('EMC2302 fans (Hex/SupraHex at 0x2F)', () => {
  it('both fans get the same 8-bit duty; tach 1 is 13 bits, RPM = 7 864 320 / count', async () => {
    const model = new Emc2302Model();
    const bus = new FakeI2cBus().attach(0x2f, model);
    const fans = new Emc2302Fans(bus);
    await fans.setDutyPercent(60);
    expect(wire(bus)).toEqual(['3099', '4099']);
    expect(await fans.readRpm()).toBe(3599); // 3600 RPM simulated is count 2185 = 0x889
    expect(wire(bus).slice(-2)).toEqual(['3e>44', '3f>48']);
    model.stalled = true;
    expect(await fans.readRpm()).toBe(0);
  });
});

describe('DS4432U core voltage (Max/Ultra/Supra 400-401 at 0x48)', () => {
  it('codes from the board network: sink bit below the nominal 1.451 V, 7-bit magnitude', () => {
    expect(ds4432uCode(1200)).toBe(0xc6);
    expect(ds4432uCode(1100)).toBe(0xe1);
    expect(ds4432uCode(1400)).toBe(0x90);
    expect(ds4432uCode(1500)).toBe(0x0c);
    expect(ds4432uCode(950)).toBeUndefined(); // would need more than 127
    expect(ds4432uCode(2000)).toBeUndefined();
    expect(ds4432uRangeMv()).toEqual({ min: 989, max: 1928 });
  });

  it('writes OUT0 (0xF8); the simulated buck lands within one DAC step of the request', async () => {
    const model = new Ds4432uModel();
    const bus = new FakeI2cBus().attach(0x48, model);
    const dac = new Ds4432u(bus);
    await dac.setCoreVoltage(1200);
    expect(wire(bus)).toEqual(['f8c6']);
    const step = (4750 * 0.000098921) / 127;
    expect(Math.abs(model.voutV - 1.2)).toBeLessThan(step);
    await expect(dac.setCoreVoltage(2100)).rejects.toThrow(
      'core voltage 2100 mV: the DS4432U on the bitaxe-tps40305 network reaches 989..1928 mV',
    );
    expect(bus.transactions).toHaveLength(1);
  });
});

describe('INA260 input power', () => {
  it('big-endian words at 1.25 mA, 1.25 mV and 10 mW per bit; current is signed', async () => {
    const model = new Ina260Model();
    model.voltageMv = 5000;
    model.currentMa = 2500;
    const bus = new FakeI2cBus().attach(0x40, model);
    expect(await new Ina260(bus).read()).toEqual({ currentMa: 2500, voltageMv: 5000, powerMw: 12500 });
    expect(wire(bus)).toEqual(['01>07d0', '02>0fa0', '03>04e2']);
    const negative = new FakeI2cBus().set(0x40, 0x01, 0xff).set(0x40, 0x02, 0xfc);
    expect((await new Ina260(negative).read()).currentMa).toBe(-5);
  });
});
