/**
 * DS4432U+ current DAC trimming a buck's feedback node (bm13xx.md §10.1), output 0 register 0xF8.
 * The code is the DAC current that moves the output from the network's nominal voltage: magnitude
 * in bits 6..0, bit 7 set to sink (lower the voltage). Each board has its own resistor network:
 *  - the older Bitaxes (Max, Ultra, Supra 400/401) trim a TPS40305 at 0x48 (ESP-Miner constants);
 *  - the emberOne/00 trims an LM25119 feeding its twelve BM1362 in series (schematic v2 values
 *    as skot/emberone-miner uses them: VFB 0.8 V, RA 3.57 k, RB 1.02 k, RFS 39 k at VRFS 0.997 V).
 */
import type { I2cBus } from '../peripherals/i2c.js';

const DS4432U_ADDRESS = 0x48;
export const DS4432U_OUT0 = 0xf8;

const CODE_MAX = 127;
const SINK = 0x80;

/** A buck's feedback network as the DAC sees it. */
export interface Ds4432uNetwork {
  readonly name: string;
  /** The buck's feedback reference (V). */
  readonly vfb: number;
  /** Output to feedback node, and feedback node to ground (ohms). */
  readonly ra: number;
  readonly rb: number;
  /** The DAC's full-scale current (A) with the board's RFS. */
  readonly ifs: number;
  /** The output at code 0, where the sink bit flips (V). */
  readonly nominalV: number;
}

export const BITAXE_TPS40305: Ds4432uNetwork = {
  name: 'bitaxe-tps40305',
  vfb: 0.6,
  ra: 4750,
  rb: 3320,
  ifs: 0.000098921,
  // ESP-Miner's figure; the network's own VFB x (RA+RB)/RB is 1.458 V.
  nominalV: 1.451,
};

export const EMBERONE_LM25119: Ds4432uNetwork = {
  name: 'emberone-lm25119',
  vfb: 0.8,
  ra: 3570,
  rb: 1020,
  // DS4432U full scale = (VRFS / RFS) x 127/16.
  ifs: (0.997 / 39_000) * (127 / 16),
  nominalV: (0.8 * (3570 + 1020)) / 1020,
};

/** The OUT0 byte for a regulator output of `outputMv`, or undefined when the 7-bit DAC cannot reach it. */
export function ds4432uCode(outputMv: number, network: Ds4432uNetwork = BITAXE_TPS40305): number | undefined {
  const volts = outputMv / 1000;
  if (!Number.isFinite(volts) || volts <= 0) return undefined;
  const { vfb, ra, rb, ifs } = network;
  const magnitude = Math.ceil(Math.abs(((vfb / rb - (volts - vfb) / ra) / ifs) * CODE_MAX));
  if (magnitude > CODE_MAX) return undefined;
  return volts < network.nominalV ? magnitude | SINK : magnitude;
}

/** The output (V) a code gives: the inverse of ds4432uCode, what the simulated buck does. */
export function ds4432uOutputV(code: number, network: Ds4432uNetwork = BITAXE_TPS40305): number {
  const current = ((code & 0x7f) / CODE_MAX) * network.ifs;
  const sign = code & SINK ? -1 : 1;
  return network.vfb + network.ra * (network.vfb / network.rb + sign * current);
}

/** The whole-millivolt output range the DAC reaches (989..1928 mV on the Bitaxe network). */
export function ds4432uRangeMv(network: Ds4432uNetwork = BITAXE_TPS40305): { min: number; max: number } {
  let min = Number.POSITIVE_INFINITY;
  let max = 0;
  const centre = Math.round(network.nominalV * 1000);
  for (let mv = Math.round(centre / 2); mv <= centre * 2; mv++)
    if (ds4432uCode(mv, network) !== undefined) {
      min = Math.min(min, mv);
      max = Math.max(max, mv);
    }
  return { min, max };
}

export class Ds4432u {
  private readonly bus: I2cBus;
  private readonly address: number;
  private readonly network: Ds4432uNetwork;

  constructor(bus: I2cBus, address = DS4432U_ADDRESS, network: Ds4432uNetwork = BITAXE_TPS40305) {
    this.bus = bus;
    this.address = address;
    this.network = network;
  }

  /** Sets the buck's whole output (all series domains). */
  async setOutputVoltage(outputMv: number): Promise<void> {
    const code = ds4432uCode(outputMv, this.network);
    if (code === undefined) {
      const range = ds4432uRangeMv(this.network);
      throw new RangeError(
        `core voltage ${outputMv} mV: the DS4432U on the ${this.network.name} network reaches ${range.min}..${range.max} mV`,
      );
    }
    await this.bus.writeByte(this.address, DS4432U_OUT0, code);
  }

  /** Single-domain boards: the output is the core voltage. */
  setCoreVoltage(coreMv: number): Promise<void> {
    return this.setOutputVoltage(coreMv);
  }

  /** Code 0: no trim, the buck sits at its nominal output (only the enable pin turns it off). */
  async release(): Promise<void> {
    await this.bus.writeByte(this.address, DS4432U_OUT0, 0);
  }
}
