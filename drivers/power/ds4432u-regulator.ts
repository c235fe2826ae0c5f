/**
 * The DS4432U boards' core supply as a CoreRegulator: the buck (TPS40305 on the older Bitaxes,
 * LM25119 on the emberOne/00) is switched by the board's power-enable line (the sequencer's job),
 * so configuring is a no-op and "off" returns the DAC to no trim for the next power-up. The buck
 * feeds `voltageDomains` chips in series, so its output is the per-chip voltage times that.
 */
import type { Ds4432u } from './ds4432u.js';
import type { CoreRegulator } from './sequencer.js';

export class Ds4432uRegulator implements CoreRegulator {
  private readonly dac: Ds4432u;
  private readonly voltageDomains: number;

  constructor(dac: Ds4432u, voltageDomains = 1) {
    if (!Number.isInteger(voltageDomains) || voltageDomains < 1)
      throw new RangeError(`voltage domains ${voltageDomains}: expected a whole number >= 1`);
    this.dac = dac;
    this.voltageDomains = voltageDomains;
  }

  async configure(): Promise<void> {}

  setCoreVoltage(coreMv: number): Promise<void> {
    return this.dac.setOutputVoltage(coreMv * this.voltageDomains);
  }

  off(): Promise<void> {
    return this.dac.release();
  }
}
