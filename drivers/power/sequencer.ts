/**
 * The board's power-up and power-down order (bm13xx.md §10.1), one place for every board kind:
 *   up:   I/O enable asserted (+ settle) where the board switches it, power enable asserted
 *         (+ settle), regulator configured, core voltage set and output on, settle, chip reset
 *         released; the caller then initialises the chips. Boards whose buck must start on the
 *         trimmed value (emberOne/00) set the voltage first and assert the enable after it.
 *   down: chips held in reset, regulator output off, power enable released, I/O enable released.
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
  /** Logical 1 enables the chips' I/O supply (emberOne/00 VDDIO_EN). */
  readonly ioEnable?: Gpio | undefined;
  /** mujina waits 5 ms after VDDIO_EN (LDOs settle in well under 1 ms). */
  readonly ioEnableSettleMs?: number;
  /** Default 'before-regulator'; see PowerDefinition.enableOrder. */
  readonly enableOrder?: 'before-regulator' | 'after-voltage';
  /** After the voltage is set and before the enable, in 'after-voltage' order (emberOne/00: 100 ms). */
  readonly voltageToEnableMs?: number;
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
      if (o.ioEnable !== undefined) {
        await o.ioEnable.write(1);
        this.step('io enable asserted');
        await o.sleep(o.ioEnableSettleMs ?? 5);
      }
      const enableLast = o.enableOrder === 'after-voltage';
      if (!enableLast) await this.enable();
      if (!this.configured) {
        await o.regulator.configure();
        this.configured = true;
        this.step('regulator configured');
      }
      await o.regulator.setCoreVoltage(coreMv);
      this.step(`core at ${coreMv} mV`);
      if (enableLast) {
        await o.sleep(o.voltageToEnableMs ?? 100);
        await this.enable();
      }
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
    if (o.ioEnable !== undefined)
      await o.ioEnable
        .write(0)
        .then(() => this.step('io enable released'))
        .catch((e: unknown) => errors.push(e));
    if (errors.length > 0) throw errors[0];
  }

  private async enable(): Promise<void> {
    const { o } = this;
    if (o.powerEnable === undefined) return;
    await o.powerEnable.write(1);
    this.step('power enable asserted');
    await o.sleep(o.enableSettleMs ?? 20);
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
