/**
 * Fan controllers at register level for simulated boards: an EMC2101 (PWM, tach and the ASIC's
 * diode temperature) and an EMC2302 (two PWM outputs, tach 1). A fan spins in proportion to its
 * duty unless stalled; an EMC2103 (one PWM output, its tach, two remote diodes); the diode reads whatever the board's thermal model says, or an injected
 * open diode, or an absurd value.
 */

import { EMC2101 } from '../../fans/emc2101.js';
import { EMC2103 } from '../../fans/emc2103.js';
import { EMC2302 } from '../../fans/emc2302.js';
import { type I2cDevice, RegisterMapDevice } from '../../peripherals/fake-i2c.js';

const EMC2101_EXT_HIGH = 0x01;
const EMC2101_EXT_LOW = 0x10;

export class Emc2101Model implements I2cDevice {
  readonly map = new RegisterMapDevice();
  maxRpm = 6000;
  stalled = false;
  /** The ASIC diode as the thermal model sets it (or `thermal`, when given, from the duty). */
  temperatureC = 35;
  thermal: ((duty: number) => number) | undefined;
  /** An injected diode reading: 'open' (code 0x3F8) or a raw °C value however absurd. */
  diode: 'open' | number | undefined;

  /** Duty as a fraction 0..1 (FAN_SETTING is 6 bits). */
  get duty(): number {
    return Math.min(63, this.map.registers.get(EMC2101.FAN_SETTING) ?? 63) / 63;
  }

  get rpm(): number {
    return this.stalled ? 0 : Math.round(this.maxRpm * this.duty);
  }

  transfer(write: Uint8Array, readLength: number): Uint8Array {
    const out = this.map.transfer(write, readLength);
    const pointer = write[0] ?? 0;
    for (let i = 0; i < readLength; i++) {
      const value = this.live((pointer + i) & 0xff);
      if (value !== undefined) out[i] = value;
    }
    return out;
  }

  private live(register: number): number | undefined {
    const count = this.rpm === 0 ? 0xffff : Math.min(0xfffe, Math.round(5_400_000 / this.rpm));
    if (register === EMC2101.TACH_LSB) return count & 0xff;
    if (register === EMC2101.TACH_MSB) return count >> 8;
    const celsius = this.diode ?? this.thermal?.(this.duty) ?? this.temperatureC;
    const code = celsius === 'open' ? 0x3f8 : Math.round(celsius * 8) & 0x7ff;
    if (register === EMC2101_EXT_HIGH) return (code << 5) >> 8;
    if (register === EMC2101_EXT_LOW) return (code << 5) & 0xe0;
    return undefined;
  }
}

export class Emc2302Model implements I2cDevice {
  readonly map = new RegisterMapDevice();
  maxRpm = 6000;
  stalled = false;

  get duty(): number {
    return (this.map.registers.get(EMC2302.FAN1_SETTING) ?? 255) / 255;
  }

  get rpm(): number {
    return this.stalled ? 0 : Math.round(this.maxRpm * this.duty);
  }

  transfer(write: Uint8Array, readLength: number): Uint8Array {
    const out = this.map.transfer(write, readLength);
    const count = this.rpm === 0 ? 0x1fff : Math.min(0x1ffe, Math.round(7_864_320 / this.rpm));
    const pointer = write[0] ?? 0;
    for (let i = 0; i < readLength; i++) {
      const register = (pointer + i) & 0xff;
      if (register === EMC2302.TACH1_HIGH) out[i] = (count << 3) >> 8;
      if (register === EMC2302.TACH1_LOW) out[i] = (count << 3) & 0xf8;
    }
    return out;
  }
}

export class Emc2103Model implements I2cDevice {
  readonly map = new RegisterMapDevice();
  maxRpm = 6000;
  stalled = false;
  /** The two remote diodes; 'open' reads as the 0x8000 fault code. */
  readonly diodes: [number | 'open', number | 'open'] = [40, 40];

  get duty(): number {
    return (this.map.registers.get(EMC2103.FAN_SETTING) ?? 255) / 255;
  }

  get rpm(): number {
    return this.stalled ? 0 : Math.round(this.maxRpm * this.duty);
  }

  transfer(write: Uint8Array, readLength: number): Uint8Array {
    const out = this.map.transfer(write, readLength);
    const count = this.rpm === 0 ? 0x1fff : Math.min(0x1ffe, Math.round(7_864_320 / this.rpm));
    const diodeWord = (d: number | 'open'): number =>
      d === 'open' ? 0x8000 : (Math.round(d * 8) & 0x7ff) << 5;
    const pointer = write[0] ?? 0;
    for (let i = 0; i < readLength; i++) {
      const register = (pointer + i) & 0xff;
      if (register === EMC2103.TACH_MSB) out[i] = (count << 3) >> 8;
      if (register === EMC2103.TACH_LSB) out[i] = (count << 3) & 0xf8;
      if (register === EMC2103.EXT1_TEMP_MSB) out[i] = diodeWord(this.diodes[0]) >> 8;
      if (register === EMC2103.EXT1_TEMP_LSB) out[i] = diodeWord(this.diodes[0]) & 0xff;
      if (register === EMC2103.EXT2_TEMP_MSB) out[i] = diodeWord(this.diodes[1]) >> 8;
      if (register === EMC2103.EXT2_TEMP_LSB) out[i] = diodeWord(this.diodes[1]) & 0xff;
    }
    return out;
  }
}
