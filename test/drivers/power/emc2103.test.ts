/**
 * EMC2103 (Bitaxe GammaTurbo at 0x2E): the register bytes against ESP-Miner's EMC2103.c and the
 * datasheet's layouts (13-bit tach, 11-bit diode readings, 0x8000 diode fault), driven against
 * the register-level simulated device.
 */
import { describe, expect, it } from 'vitest';
import { Emc2103Fan } from '../../../drivers/fans/emc2103.js';
import { FakeI2cBus } from '../../../drivers/peripherals/i2c.js';
import { fanFor } from '../../../drivers/power/board-power.js';
import { Emc2103Model } from '../../../drivers/sim/i2c/fan-models.js';
import { bytesToHex } from '../../../src/bytes/hex.js';

const wire = (bus: FakeI2cBus): string[] =>
  bus.transactions.map((t) => bytesToHex(t.write) + (t.read.length > 0 ? `>${bytesToHex(t.read)}` : ''));

describe('EMC2103 fan controller', () => {
  it('configures once (CONFIGURATION1, PWM_CONFIG, PWM_BASE_FREQ = 0), then an 8-bit FAN_SETTING', async () => {
    const model = new Emc2103Model();
    const bus = new FakeI2cBus().attach(0x2e, model);
    const fan = new Emc2103Fan(bus);
    await fan.setDutyPercent(60);
    await fan.setDutyPercent(100);
    await fan.setDutyPercent(0);
    expect(wire(bus)).toEqual(['2000', '2a00', '2b00', '4099', '40ff', '4000']);
    await expect(fan.setDutyPercent(-1)).rejects.toThrow('fan duty -1 %: expected 0..100');
    expect(bus.transactions).toHaveLength(6);
  });

  it('tach: high byte 0x4E, low five bits atop 0x4F; RPM = 7 864 320 / count; 0x1FFF is stalled', async () => {
    const model = new Emc2103Model();
    const bus = new FakeI2cBus().attach(0x2e, model);
    const fan = new Emc2103Fan(bus);
    await fan.setDutyPercent(60);
    expect(await fan.readRpm()).toBe(3599); // 3600 RPM simulated is count 2185 = 0x889
    expect(wire(bus).slice(-2)).toEqual(['4e>44', '4f>48']);
    model.stalled = true;
    expect(await fan.readRpm()).toBe(0);
    expect(wire(bus).slice(-2)).toEqual(['4e>ff', '4f>f8']);
  });

  it('diodes 1 and 2: 11-bit two s complement at 1/8 °C; ideality and beta to both; a fault is an error', async () => {
    const model = new Emc2103Model();
    model.diodes[0] = 40;
    model.diodes[1] = -5.5;
    const bus = new FakeI2cBus().attach(0x2e, model);
    const fan = new Emc2103Fan(bus, { ideality: 0x12, beta: 0x07 });
    expect(await fan.readDiodeC(1)).toBe(40);
    expect(await fan.readDiodeC(2)).toBe(-5.5);
    expect(wire(bus)).toEqual([
      '2000',
      '2a00',
      '2b00',
      '1112',
      '1212',
      '1407',
      '1507',
      '02>28',
      '03>00',
      '04>fa',
      '05>80',
    ]);
    model.diodes[0] = 'open';
    await expect(fan.readDiodeC(1)).rejects.toThrow('EMC2103 0x2e diode 1: fault (open or shorted)');
  });

  it('a board fan of kind emc2103 gets this driver; a NACK is an error, not a reading', async () => {
    const bus = new FakeI2cBus().attach(0x2e, new Emc2103Model());
    const fan = fanFor({ kind: 'emc2103', label: 'fans', bus: '/dev/i2c-1', address: 0x2e }, bus);
    expect(fan).toBeInstanceOf(Emc2103Fan);
    bus.fail(0x2e);
    await expect(fan.readRpm()).rejects.toThrow('no answer from device 0x2e');
  });
});
