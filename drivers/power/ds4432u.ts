/**
 * DS4432U+ current DAC trimming the TPS40305 buck on the older Bitaxe boards (Max, Ultra,
 * Supra 400/401; bm13xx.md §10.1), at 0x48, output 0 register 0xF8. The code is the DAC current
 * that moves the feedback node from the board's nominal 1.451 V: magnitude in bits 6..0, bit 7
 * set to sink (lower the voltage). Constants are the boards' resistor network (ESP-Miner).
 */
import type { I2cBus } from '../peripherals/i2c.js';

const DS4432U_ADDRESS = 0x48;
export const DS4432U_OUT0 = 0xf8;

const VFB = 0.6;
const RA = 4750;
const RB = 3320;
const IFS = 0.000098921;
const V_NOMINAL = 1.451;
const CODE_MAX = 127;
const SINK = 0x80;

/** The OUT0 byte for `coreMv`, or undefined when the 7-bit DAC cannot reach it. */
export function ds4432uCode(coreMv: number): number | undefined {
  const volts = coreMv / 1000;
  if (!Number.isFinite(volts) || volts <= 0) return undefined;
  const magnitude = Math.ceil(Math.abs(((VFB / RB - (volts - VFB) / RA) / IFS) * CODE_MAX));
  if (magnitude > CODE_MAX) return undefined;
  return volts < V_NOMINAL ? magnitude | SINK : magnitude;
}

/** The whole-millivolt range the DAC reaches (989..1928 mV on the Bitaxe network). */
export function ds4432uRangeMv(): { min: number; max: number } {
  let min = Number.POSITIVE_INFINITY;
  let max = 0;
  for (let mv = 500; mv <= 2500; mv++)
    if (ds4432uCode(mv) !== undefined) {
      min = Math.min(min, mv);
      max = Math.max(max, mv);
    }
  return { min, max };
}

export class Ds4432u {
  private readonly bus: I2cBus;
  private readonly address: number;

  constructor(bus: I2cBus, address = DS4432U_ADDRESS) {
    this.bus = bus;
    this.address = address;
  }

  async setCoreVoltage(coreMv: number): Promise<void> {
    const code = ds4432uCode(coreMv);
    if (code === undefined) {
      const range = ds4432uRangeMv();
      throw new RangeError(`core voltage ${coreMv} mV: the DS4432U reaches ${range.min}..${range.max} mV`);
    }
    await this.bus.writeByte(this.address, DS4432U_OUT0, code);
  }

  /** Code 0: no trim, the buck sits at its nominal 1.451 V (only the enable pin turns it off). */
  async release(): Promise<void> {
    await this.bus.writeByte(this.address, DS4432U_OUT0, 0);
  }
}
