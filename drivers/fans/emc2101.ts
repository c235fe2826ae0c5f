/**
 * The EMC2101's fan half (its diode temperature is read by src/hw/i2c-sensors.ts): PWM in direct
 * setting mode and the tach count, register values as ESP-Miner drives it on the Bitaxe boards
 * (CONFIG 0x04 enables the TACH input, FAN_CONFIG 0x23 direct setting at the fast PWM range,
 * FAN_SETTING is a 6-bit duty, RPM = 5 400 000 / count).
 */
import type { I2cBus } from '../peripherals/i2c.js';
import { checkPercent, type FanController } from './fan.js';

const EMC2101_ADDRESS = 0x4c;
export const EMC2101 = {
  CONFIG: 0x03,
  TACH_LSB: 0x46,
  TACH_MSB: 0x47,
  FAN_CONFIG: 0x4a,
  FAN_SETTING: 0x4c,
} as const;
const CONFIG_TACH_INPUT = 0x04;
const FAN_CONFIG_DIRECT = 0x23;
const DUTY_MAX = 63;
const RPM_NUMERATOR = 5_400_000;
/** The count a stopped fan leaves (it would read as 82 RPM). */
const TACH_STALLED = 0xffff;

export class Emc2101Fan implements FanController {
  readonly label: string;
  private readonly bus: I2cBus;
  private readonly address: number;
  private configured = false;

  constructor(bus: I2cBus, options: { label?: string; address?: number } = {}) {
    this.bus = bus;
    this.address = options.address ?? EMC2101_ADDRESS;
    this.label = options.label ?? 'fan';
  }

  async setDutyPercent(percent: number): Promise<void> {
    checkPercent(percent);
    await this.configure();
    await this.bus.writeByte(this.address, EMC2101.FAN_SETTING, Math.trunc((DUTY_MAX * percent) / 100));
  }

  async readRpm(): Promise<number | undefined> {
    await this.configure();
    // Low byte first: reading it latches the high byte (datasheet), so the pair is one count.
    const low = await this.bus.readByte(this.address, EMC2101.TACH_LSB);
    const high = await this.bus.readByte(this.address, EMC2101.TACH_MSB);
    const count = low | (high << 8);
    if (count === 0) return undefined;
    if (count === TACH_STALLED) return 0;
    return Math.trunc(RPM_NUMERATOR / count);
  }

  private async configure(): Promise<void> {
    if (this.configured) return;
    await this.bus.writeByte(this.address, EMC2101.CONFIG, CONFIG_TACH_INPUT);
    await this.bus.writeByte(this.address, EMC2101.FAN_CONFIG, FAN_CONFIG_DIRECT);
    this.configured = true;
  }
}
