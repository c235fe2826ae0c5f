/**
 * The DS4432U boards' core supply at register level: a DS4432U+ whose OUT0 code sets the buck's
 * output through the board's resistor network (the inverse of drivers/power/ds4432u.ts), and an
 * INA260 that reports the input the board draws.
 */
import { type I2cDevice, RegisterMapDevice } from '../../peripherals/fake-i2c.js';
import { BITAXE_TPS40305, DS4432U_OUT0, type Ds4432uNetwork, ds4432uOutputV } from '../../power/ds4432u.js';
import { INA260 } from '../../power/ina260.js';

export class Ds4432uModel implements I2cDevice {
  readonly map = new RegisterMapDevice();
  private readonly network: Ds4432uNetwork;

  constructor(network: Ds4432uNetwork = BITAXE_TPS40305) {
    this.network = network;
  }

  /** The trimmed buck output (V) for the current code. */
  get voutV(): number {
    return ds4432uOutputV(this.map.registers.get(DS4432U_OUT0) ?? 0, this.network);
  }

  transfer(write: Uint8Array, readLength: number): Uint8Array {
    return this.map.transfer(write, readLength);
  }
}

export class Ina260Model implements I2cDevice {
  voltageMv = 5000;
  currentMa = 0;
  /** Absurd-reading injection: every register answers this word. */
  absurd: number | undefined;

  transfer(write: Uint8Array, readLength: number): Uint8Array {
    const register = write[0];
    const word = (value: number): number => this.absurd ?? Math.max(0, Math.min(0xffff, Math.round(value)));
    let raw = 0;
    if (register === INA260.CURRENT) raw = word(this.currentMa / 1.25);
    else if (register === INA260.BUS_VOLTAGE) raw = word(this.voltageMv / 1.25);
    else if (register === INA260.POWER) raw = word((this.voltageMv * this.currentMa) / 1000 / 10);
    return Uint8Array.from([raw >> 8, raw & 0xff].slice(0, readLength));
  }
}
