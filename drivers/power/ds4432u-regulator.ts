/**
 * The DS4432U boards' core supply as a CoreRegulator: the TPS40305 buck is switched by the
 * board's power-enable line (the sequencer's job), so configuring is a no-op and "off" returns
 * the DAC to no trim for the next power-up.
 */
import type { Ds4432u } from './ds4432u.js';
import type { CoreRegulator } from './sequencer.js';

export class Ds4432uRegulator implements CoreRegulator {
  private readonly dac: Ds4432u;

  constructor(dac: Ds4432u) {
    this.dac = dac;
  }

  async configure(): Promise<void> {}

  setCoreVoltage(coreMv: number): Promise<void> {
    return this.dac.setCoreVoltage(coreMv);
  }

  off(): Promise<void> {
    return this.dac.release();
  }
}
