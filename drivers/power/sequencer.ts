/**
 * The board's power-up and power-down order (bm13xx.md §10.1), one place for every board kind:
 *   up:   power enable asserted (+ settle), regulator configured, core voltage set and output on,
 *         settle, chip reset pulsed and released; the caller then initialises the chips.
 *   down: chips held in reset, regulator output off, power enable released.
 * Every step is reported by name (the log and the order tests read them). A failure in power-up
 * leaves the chips in reset and the rail off before it rejects.
 */
import type { Gpio } from '../peripherals/gpio.js';

/** What the sequencer needs of a core regulator (Tps546, or the DS4432U adapter below). */
export interface CoreRegulator {
  /** Identity checks and configuration, output left off. */
  configure(): Promise<void>;
  /** Sets the per-chip core voltage and turns the output on; refuses values out of range. */
  setCoreVoltage(coreMv: number): Promise<void>;
  off(): Promise<void>;
}

interface PowerSequencerOptions {
  readonly regulator: CoreRegulator;
  /** Logical 1 holds the chips in reset (NRST asserted). */
  readonly reset: Gpio | undefined;
  /** Logical 1 enables the core supply. */
  readonly powerEnable: Gpio | undefined;
  readonly settleMs: number;
  /** ESP-Miner waits 20 ms after asserting the enable. */
  readonly enableSettleMs?: number;
  readonly resetHoldMs?: number;
  readonly resetSettleMs?: number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly onStep?: (step: string) => void;
}

export class PowerSequencer {
  private readonly o: PowerSequencerOptions;
  private configured = false;

  constructor(options: PowerSequencerOptions) {
    this.o = options;
  }

  get regulator(): CoreRegulator {
    return this.o.regulator;
  }

  async powerUp(coreMv: number): Promise<void> {
    const { o } = this;
    try {
      await this.holdReset();
      if (o.powerEnable !== undefined) {
        await o.powerEnable.write(1);
        this.step('power enable asserted');
        await o.sleep(o.enableSettleMs ?? 20);
      }
      if (!this.configured) {
        await o.regulator.configure();
        this.configured = true;
        this.step('regulator configured');
      }
      await o.regulator.setCoreVoltage(coreMv);
      this.step(`core at ${coreMv} mV`);
      await o.sleep(o.settleMs);
      this.step('rail settled');
      if (o.reset !== undefined) {
        await o.sleep(o.resetHoldMs ?? 100);
        await o.reset.write(0);
        this.step('reset released');
        await o.sleep(o.resetSettleMs ?? 100);
      }
    } catch (err) {
      // Nothing half-powered is left behind: chips held, rail off (each best effort).
      await this.powerDown().catch(() => {});
      this.configured = false;
      throw err;
    }
  }

  async powerDown(): Promise<void> {
    const { o } = this;
    const errors: unknown[] = [];
    await this.holdReset().catch((e: unknown) => errors.push(e));
    await o.regulator
      .off()
      .then(() => this.step('regulator off'))
      .catch((e: unknown) => errors.push(e));
    if (o.powerEnable !== undefined)
      await o.powerEnable
        .write(0)
        .then(() => this.step('power enable released'))
        .catch((e: unknown) => errors.push(e));
    if (errors.length > 0) throw errors[0];
  }

  private async holdReset(): Promise<void> {
    if (this.o.reset === undefined) return;
    await this.o.reset.write(1);
    this.step('reset held');
  }

  private step(name: string): void {
    this.o.onStep?.(name);
  }
}
