/**
 * INA260 input power monitor (0x40 on the DS4432U boards): current, bus voltage and power
 * registers, big-endian words; 1.25 mA, 1.25 mV and 10 mW per bit (datasheet; current signed).
 */
import type { I2cBus } from '../peripherals/i2c.js';

const INA260_ADDRESS = 0x40;
export const INA260 = { CURRENT: 0x01, BUS_VOLTAGE: 0x02, POWER: 0x03 } as const;

interface InputPower {
  readonly currentMa: number;
  readonly voltageMv: number;
  readonly powerMw: number;
}

export class Ina260 {
  private readonly bus: I2cBus;
  private readonly address: number;

  constructor(bus: I2cBus, address = INA260_ADDRESS) {
    this.bus = bus;
    this.address = address;
  }

  async read(): Promise<InputPower> {
    const raw = async (register: number): Promise<number> => {
      const [msb = 0, lsb = 0] = await this.bus.readBlock(this.address, register, 2);
      return (msb << 8) | lsb;
    };
    const current = await raw(INA260.CURRENT);
    const signed = current & 0x8000 ? current - 0x10000 : current;
    return {
      currentMa: signed * 1.25,
      voltageMv: (await raw(INA260.BUS_VOLTAGE)) * 1.25,
      powerMw: (await raw(INA260.POWER)) * 10,
    };
  }
}
