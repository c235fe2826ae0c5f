/**
 * Temperature sensors on the boards' I2C buses (bm13xx.md §10.1-10.2), as ThermalReaders: the
 * EMC2101 (the ASIC's own diode on single-chip Bitaxe-style boards), the TMP1075 (board
 * temperature) and the TMP451 (board plus a remote diode). Register layouts are the datasheets'.
 * A bus error or a diode fault reads as undefined, which the thermal guard counts as a bad
 * reading (three in a row shut the chips down) instead of a temperature.
 */
import type { I2cBus } from './i2c.js';
import { plausibleCelsius, type ThermalReader } from './thermal.js';

type I2cSensorKind = 'emc2101' | 'tmp1075' | 'tmp451';

// EMC2101: external diode high byte, low byte (bits 7..5), ideality and beta configuration.
const EMC2101_EXT_HIGH = 0x01;
const EMC2101_EXT_LOW = 0x10;
const EMC2101_IDEALITY = 0x17;
const EMC2101_BETA = 0x18;
// The 11-bit codes the EMC2101 reports for an open or shorted diode (they would read 127 °C).
const EMC2101_FAULT_OPEN = 0x3f8;
const EMC2101_FAULT_SHORT = 0x3ff;
// TMP451: remote high byte, remote low byte (bits 7..4), configuration (bit 2 = extended range).
const TMP451_REMOTE_HIGH = 0x01;
const TMP451_REMOTE_LOW = 0x10;
const TMP451_CONFIG = 0x03;

/** EMC2101 external diode: an 11-bit two's-complement value in 1/8 °C; undefined on a diode fault. */
export function emc2101Celsius(high: number, low: number): number | undefined {
  const code = (((high & 0xff) << 8) | (low & 0xff)) >> 5;
  if (code === EMC2101_FAULT_OPEN || code === EMC2101_FAULT_SHORT) return undefined;
  const signed = code & 0x400 ? code - 0x800 : code;
  return signed / 8;
}

/** TMP1075 temperature register: 12 bits left-justified, two's complement, 1/16 °C. */
export function tmp1075Celsius(msb: number, lsb: number): number {
  const raw = ((msb & 0xff) << 8) | (lsb & 0xff);
  const signed = raw & 0x8000 ? raw - 0x10000 : raw;
  return (signed >> 4) / 16;
}

/** TMP451 remote temperature: whole degrees plus 1/16 °C in the low byte's top nibble. */
export function tmp451Celsius(high: number, low: number, extendedRange: boolean): number {
  const whole = extendedRange ? (high & 0xff) - 64 : high & 0xff;
  return whole + ((low & 0xf0) >> 4) / 16;
}

interface I2cSensorOptions {
  readonly kind: I2cSensorKind;
  readonly label: string;
  readonly address: number;
  readonly offsetC?: number;
  /** EMC2101 diode ideality and beta compensation, written before the first reading. */
  readonly ideality?: number;
  readonly beta?: number;
  /** Sees why a reading failed (once per failure streak, so a dead sensor does not flood the log). */
  readonly onError?: (message: string) => void;
}

export class I2cTemperatureReader implements ThermalReader {
  readonly label: string;
  private readonly bus: I2cBus;
  private readonly o: I2cSensorOptions;
  private configured = false;
  private failing = false;

  constructor(bus: I2cBus, options: I2cSensorOptions) {
    this.bus = bus;
    this.o = options;
    this.label = options.label;
  }

  async read(): Promise<number | undefined> {
    try {
      if (!this.configured) {
        await this.configure();
        this.configured = true;
      }
      const celsius = await this.measure();
      if (celsius === undefined) return this.failed('diode fault (open or short)');
      this.failing = false;
      return plausibleCelsius(celsius + (this.o.offsetC ?? 0));
    } catch (err) {
      return this.failed(err instanceof Error ? err.message : String(err));
    }
  }

  private async configure(): Promise<void> {
    if (this.o.kind !== 'emc2101') return;
    if (this.o.ideality !== undefined)
      await this.bus.writeByte(this.o.address, EMC2101_IDEALITY, this.o.ideality);
    if (this.o.beta !== undefined) await this.bus.writeByte(this.o.address, EMC2101_BETA, this.o.beta);
  }

  private async measure(): Promise<number | undefined> {
    const { bus, o } = this;
    switch (o.kind) {
      case 'emc2101': {
        // High byte first: reading it latches the low byte (datasheet), so the pair is one sample.
        const high = await bus.readByte(o.address, EMC2101_EXT_HIGH);
        const low = await bus.readByte(o.address, EMC2101_EXT_LOW);
        return emc2101Celsius(high, low);
      }
      case 'tmp1075': {
        const [msb = 0, lsb = 0] = await bus.readBlock(o.address, 0x00, 2);
        return tmp1075Celsius(msb, lsb);
      }
      case 'tmp451': {
        const config = await bus.readByte(o.address, TMP451_CONFIG);
        const high = await bus.readByte(o.address, TMP451_REMOTE_HIGH);
        const low = await bus.readByte(o.address, TMP451_REMOTE_LOW);
        return tmp451Celsius(high, low, (config & 0x04) !== 0);
      }
    }
  }

  private failed(message: string): undefined {
    if (!this.failing)
      this.o.onError?.(
        `${this.label} (${this.o.kind} at 0x${this.o.address.toString(16)} on ${this.bus.path}): ${message}`,
      );
    this.failing = true;
    return undefined;
  }
}
