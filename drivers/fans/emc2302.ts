/**
 * EMC2302 two-fan controller (Bitaxe Hex and SupraHex at 0x2F): both fans get the same 8-bit
 * duty (FAN1/FAN2_SETTING, as ESP-Miner drives them); fan 1's tach is the reading. The TACH
 * reading is 13 bits, high byte at 0x3E and the low five bits at the top of 0x3F (datasheet);
 * RPM = 3 932 160 x 2 / count for the default two-pole fans. The byte order is the datasheet's
 * and the Linux hwmon emc2305 driver's (TACH_READ_HIGH 0x3E, TACH_READ_LOW 0x3F); ESP-Miner's
 * header names the two the other way round, which would read a running fan as a few RPM.
 */
import type { I2cBus } from '../peripherals/i2c.js';
import { checkPercent, type FanController } from './fan.js';

const EMC2302_ADDRESS = 0x2f;
export const EMC2302 = {
  FAN1_SETTING: 0x30,
  TACH1_HIGH: 0x3e,
  TACH1_LOW: 0x3f,
  FAN2_SETTING: 0x40,
} as const;
const RPM_NUMERATOR = 7_864_320;
const TACH_STALLED = 0x1fff;

export class Emc2302Fans implements FanController {
  readonly label: string;
  private readonly bus: I2cBus;
  private readonly address: number;

  constructor(bus: I2cBus, options: { label?: string; address?: number } = {}) {
    this.bus = bus;
    this.address = options.address ?? EMC2302_ADDRESS;
    this.label = options.label ?? 'fans';
  }

  async setDutyPercent(percent: number): Promise<void> {
    checkPercent(percent);
    const setting = Math.trunc((255 * percent) / 100);
    await this.bus.writeByte(this.address, EMC2302.FAN1_SETTING, setting);
    await this.bus.writeByte(this.address, EMC2302.FAN2_SETTING, setting);
  }

  async readRpm(): Promise<number | undefined> {
    const high = await this.bus.readByte(this.address, EMC2302.TACH1_HIGH);
    const low = await this.bus.readByte(this.address, EMC2302.TACH1_LOW);
    const count = ((high << 8) | low) >> 3;
    if (count === 0) return undefined;
    if (count === TACH_STALLED) return 0;
    return Math.trunc(RPM_NUMERATOR / count);
  }
}
