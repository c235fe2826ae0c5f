/**
 * EMC2103 fan controller with two remote diodes (Bitaxe GammaTurbo at 0x2E; bm13xx.md §10.1),
 * register values as ESP-Miner drives it: once, CONFIGURATION1 (0x20), PWM_CONFIG (0x2A) and
 * PWM_BASE_FREQ (0x2B) all 0 (push-pull off, 26 kHz base), and where a diode needs it, the
 * ideality (0x11/0x12) and beta (0x14/0x15) of both diodes; then an 8-bit FAN_SETTING (0x40).
 * The tach is 13 bits, high byte at 0x4E and the low five bits at the top of 0x4F; RPM =
 * 3 932 160 x 2 / count for two-pole fans. Diode n reads at 0x02/0x03 (n = 1) or 0x04/0x05: an
 * 11-bit two's complement at 1/8 °C in the top bits, 0x8000 a diode fault.
 */
import type { I2cBus } from '../peripherals/i2c.js';
import { checkPercent, type FanController } from './fan.js';

const EMC2103_ADDRESS = 0x2e;
export const EMC2103 = {
  EXT1_TEMP_MSB: 0x02,
  EXT1_TEMP_LSB: 0x03,
  EXT2_TEMP_MSB: 0x04,
  EXT2_TEMP_LSB: 0x05,
  DIODE1_IDEALITY: 0x11,
  DIODE2_IDEALITY: 0x12,
  DIODE1_BETA: 0x14,
  DIODE2_BETA: 0x15,
  CONFIGURATION1: 0x20,
  PWM_CONFIG: 0x2a,
  PWM_BASE_FREQ: 0x2b,
  FAN_SETTING: 0x40,
  TACH_MSB: 0x4e,
  TACH_LSB: 0x4f,
} as const;
const RPM_NUMERATOR = 7_864_320;
const TACH_STALLED = 0x1fff;
const DIODE_FAULT = 0x8000;

interface Emc2103Options {
  readonly label?: string;
  readonly address?: number;
  /** Written to both diodes before the first reading, where the board gives them. */
  readonly ideality?: number;
  readonly beta?: number;
}

export class Emc2103Fan implements FanController {
  readonly label: string;
  private readonly bus: I2cBus;
  private readonly address: number;
  private readonly options: Emc2103Options;
  private configured = false;

  constructor(bus: I2cBus, options: Emc2103Options = {}) {
    this.bus = bus;
    this.address = options.address ?? EMC2103_ADDRESS;
    this.label = options.label ?? 'fan';
    this.options = options;
  }

  async setDutyPercent(percent: number): Promise<void> {
    checkPercent(percent);
    await this.configure();
    await this.bus.writeByte(this.address, EMC2103.FAN_SETTING, Math.trunc((255 * percent) / 100));
  }

  async readRpm(): Promise<number | undefined> {
    await this.configure();
    const high = await this.bus.readByte(this.address, EMC2103.TACH_MSB);
    const low = await this.bus.readByte(this.address, EMC2103.TACH_LSB);
    const count = ((high << 8) | low) >> 3;
    if (count === 0) return undefined;
    if (count === TACH_STALLED) return 0;
    return Math.trunc(RPM_NUMERATOR / count);
  }

  /** Remote diode 1 or 2 in °C; a diode fault is an error, never a temperature. */
  async readDiodeC(diode: 1 | 2): Promise<number> {
    await this.configure();
    const [msbRegister, lsbRegister] =
      diode === 1
        ? [EMC2103.EXT1_TEMP_MSB, EMC2103.EXT1_TEMP_LSB]
        : [EMC2103.EXT2_TEMP_MSB, EMC2103.EXT2_TEMP_LSB];
    const msb = await this.bus.readByte(this.address, msbRegister);
    const lsb = await this.bus.readByte(this.address, lsbRegister);
    const raw = (msb << 8) | lsb;
    if (raw === DIODE_FAULT)
      throw new Error(`EMC2103 0x${this.address.toString(16)} diode ${diode}: fault (open or shorted)`);
    const code = raw >> 5;
    const signed = code & 0x400 ? code - 0x800 : code;
    return signed / 8;
  }

  private async configure(): Promise<void> {
    if (this.configured) return;
    const { ideality, beta } = this.options;
    await this.bus.writeByte(this.address, EMC2103.CONFIGURATION1, 0x00);
    await this.bus.writeByte(this.address, EMC2103.PWM_CONFIG, 0x00);
    await this.bus.writeByte(this.address, EMC2103.PWM_BASE_FREQ, 0x00);
    if (ideality !== undefined) {
      await this.bus.writeByte(this.address, EMC2103.DIODE1_IDEALITY, ideality);
      await this.bus.writeByte(this.address, EMC2103.DIODE2_IDEALITY, ideality);
    }
    if (beta !== undefined) {
      await this.bus.writeByte(this.address, EMC2103.DIODE1_BETA, beta);
      await this.bus.writeByte(this.address, EMC2103.DIODE2_BETA, beta);
    }
    this.configured = true;
  }
}
