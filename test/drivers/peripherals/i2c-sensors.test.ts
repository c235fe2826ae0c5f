import { describe, expect, it } from 'vitest';
import { FakeI2cBus, type I2cBus, LinuxI2cBus, linuxI2cBusNumber } from '../../../drivers/peripherals/i2c.js';
import {
  emc2101Celsius,
  I2cTemperatureReader,
  tmp451Celsius,
  tmp1075Celsius,
} from '../../../drivers/peripherals/i2c-sensors.js';
import {
  decideThermal,
  INITIAL_THERMAL_STATE,
  type ThermalState,
} from '../../../drivers/peripherals/thermal.js';

describe('sensor register decoding (datasheet layouts)', () => {
  it('EMC2101 external diode: 11-bit two s complement in 1/8 °C; fault codes are no temperature', () => {
    expect(emc2101Celsius(0x30, 0x20)).toBe(48.125);
    expect(emc2101Celsius(0x00, 0x00)).toBe(0);
    expect(emc2101Celsius(0x7e, 0xe0)).toBe(126.875);
    expect(emc2101Celsius(0xf0, 0x00)).toBe(-16);
    expect(emc2101Celsius(0xff, 0xe0)).toBe(-0.125);
    // Open diode 0x3F8 and short 0x3FF would otherwise read 127.0 and 127.875 °C.
    expect(emc2101Celsius(0x7f, 0x00)).toBeUndefined();
    expect(emc2101Celsius(0x7f, 0xe0)).toBeUndefined();
    // The low byte's unused bits 4..0 do not change the reading.
    expect(emc2101Celsius(0x30, 0x3f)).toBe(48.125);
  });

  it('TMP1075: 12 bits left-justified, two s complement, 1/16 °C', () => {
    expect(tmp1075Celsius(0x19, 0x00)).toBe(25);
    expect(tmp1075Celsius(0x32, 0x10)).toBe(50.0625);
    expect(tmp1075Celsius(0xe7, 0x00)).toBe(-25);
    expect(tmp1075Celsius(0xff, 0xf0)).toBe(-0.0625);
    expect(tmp1075Celsius(0x7f, 0xf0)).toBe(127.9375);
  });

  it('TMP451 remote: whole degrees plus a 1/16 °C nibble, extended range offset by 64', () => {
    expect(tmp451Celsius(0x32, 0x80, false)).toBe(50.5);
    expect(tmp451Celsius(0x72, 0x80, true)).toBe(50.5);
    expect(tmp451Celsius(0x00, 0x00, true)).toBe(-64);
    expect(tmp451Celsius(0x19, 0xf0, false)).toBe(25.9375);
  });
});

/** An EMC2101 reader at 0x4C on `bus` that keeps every error message it reports. */
function emc2101WithErrors(bus: I2cBus): { reader: I2cTemperatureReader; errors: string[] } {
  const errors: string[] = [];
  const reader = new I2cTemperatureReader(bus, {
    kind: 'emc2101',
    label: 'asic',
    address: 0x4c,
    onError: (m) => errors.push(m),
  });
  return { reader, errors };
}

describe('I2cTemperatureReader over a bus', () => {
  it('EMC2101: writes ideality and beta once before the first reading, then reads the diode', async () => {
    const bus = new FakeI2cBus().set(0x4c, 0x01, 0x37).set(0x4c, 0x10, 0x40);
    const reader = new I2cTemperatureReader(bus, {
      kind: 'emc2101',
      label: 'asic',
      address: 0x4c,
      ideality: 0x24,
      beta: 0x00,
    });
    expect(await reader.read()).toBe(55.25);
    expect(await reader.read()).toBe(55.25);
    expect(bus.writes).toEqual([
      { address: 0x4c, register: 0x17, value: 0x24 },
      { address: 0x4c, register: 0x18, value: 0x00 },
    ]);
  });

  it('TMP1075 with offset; TMP451 honours the range bit of its configuration', async () => {
    const bus = new FakeI2cBus()
      .set(0x4a, 0x00, 0x2d)
      .set(0x4a, 0x01, 0x80)
      .set(0x49, 0x03, 0x04)
      .set(0x49, 0x01, 0x7c)
      .set(0x49, 0x10, 0x00);
    const board = new I2cTemperatureReader(bus, { kind: 'tmp1075', label: 'pcb', address: 0x4a });
    const chip = new I2cTemperatureReader(bus, {
      kind: 'tmp451',
      label: 'chip0',
      address: 0x49,
      offsetC: -7,
    });
    expect(await board.read()).toBe(45.5);
    expect(await chip.read()).toBe(60 - 7);
  });

  it('a NACK or a diode fault is an unreadable sample, reported once per streak, and recovers', async () => {
    const bus = new FakeI2cBus().set(0x4c, 0x01, 0x30).set(0x4c, 0x10, 0x00);
    const { reader, errors } = emc2101WithErrors(bus);
    expect(await reader.read()).toBe(48);
    bus.fail(0x4c);
    expect(await reader.read()).toBeUndefined();
    expect(await reader.read()).toBeUndefined();
    bus.fail(0x4c, false);
    bus.set(0x4c, 0x01, 0x7f); // open diode
    expect(await reader.read()).toBeUndefined();
    expect(errors).toEqual(['asic (emc2101 at 0x4c on /dev/i2c-fake): no answer from device 0x4c']);
    bus.set(0x4c, 0x01, 0x31);
    expect(await reader.read()).toBe(49);
    bus.set(0x4c, 0x01, 0x7f);
    expect(await reader.read()).toBeUndefined();
    expect(errors[1]).toBe('asic (emc2101 at 0x4c on /dev/i2c-fake): diode fault (open or short)');
  });

  it('three open-diode readings in a row shut the rig down instead of reading 127 °C', async () => {
    const bus = new FakeI2cBus().set(0x4c, 0x01, 0x7f).set(0x4c, 0x10, 0x00);
    const reader = new I2cTemperatureReader(bus, { kind: 'emc2101', label: 'asic', address: 0x4c });
    const limits = { throttleC: 70, shutdownC: 80, hysteresisC: 5, maxBadReadings: 3 };
    let state: ThermalState = INITIAL_THERMAL_STATE;
    const decisions: string[] = [];
    for (let i = 0; i < 3; i++) {
      const step = decideThermal(await reader.read(), limits, state);
      state = step.state;
      decisions.push(
        step.decision.kind === 'shutdown' ? `shutdown:${step.decision.reason}` : step.decision.kind,
      );
    }
    expect(decisions).toEqual(['ok', 'ok', 'shutdown:sensor-failure']);
  });
});

describe('LinuxI2cBus', () => {
  it('takes only /dev/i2c-<n> paths', () => {
    expect(linuxI2cBusNumber('/dev/i2c-1')).toBe(1);
    expect(linuxI2cBusNumber('/dev/i2c-12')).toBe(12);
    expect(() => linuxI2cBusNumber('/dev/ttyS0')).toThrow(
      'I2C bus path: expected /dev/i2c-<n>, got "/dev/ttyS0"',
    );
  });

  it('a bus that does not exist fails each read with its path, and the reader turns that into a bad sample', async () => {
    const bus = new LinuxI2cBus('/dev/i2c-250');
    await expect(bus.readByte(0x4c, 0x01)).rejects.toThrow(
      /^ENOENT: no such file or directory, open '\/dev\/i2c-250'$/,
    );
    const { reader, errors } = emc2101WithErrors(bus);
    expect(await reader.read()).toBeUndefined();
    expect(errors[0]).toMatch(
      /^asic \(emc2101 at 0x4c on \/dev\/i2c-250\): ENOENT: no such file or directory, open .\/dev\/i2c-250.$/,
    );
    await bus.close();
  });
});
