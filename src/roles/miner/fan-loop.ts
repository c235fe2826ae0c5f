/**
 * The fan's side of each thermal sample: FanControl (drivers/fans/fan-control.ts) decides the
 * duty, this writes it to the board's fan controller when it changed, reads the tach back (stall
 * detection and `fanrpm`) and logs every change of reason once. A board without a fan driver
 * still gets the decision, so the APIs show what the fan would be asked for.
 */

import type { FanController } from '../../../drivers/fans/fan.js';
import type { FanControl, FanDecision, FanStepInput } from '../../../drivers/fans/fan-control.js';
import type { Logger } from '../../log.js';

export class FanLoop {
  readonly control: FanControl;
  private readonly fan: () => FanController | undefined;
  private readonly log: Logger;
  private written: number | undefined;
  private lastReason: string | undefined;
  private last: FanDecision | undefined;
  private rpmValue: number | null = null;
  private wasStalled = false;
  private queue: Promise<void> = Promise.resolve();

  /** `fan` is looked up at each update: a rig rebuilt on resume brings its own controller. */
  constructor(o: { control: FanControl; fan: () => FanController | undefined; log: Logger }) {
    this.control = o.control;
    this.fan = o.fan;
    this.log = o.log;
  }

  /** The duty last decided (what the fan was asked for), or null before the first sample. */
  get percent(): number | null {
    return this.last?.percent ?? null;
  }

  get rpm(): number | null {
    return this.rpmValue;
  }

  get stalled(): boolean {
    return this.control.stalled;
  }

  /** Forget what was written (a new fan controller, or a failed write): the next update writes. */
  invalidate(): void {
    this.written = undefined;
  }

  /** One step; steps run one at a time, so a late write never overtakes a newer decision. */
  update(input: FanStepInput): Promise<FanDecision> {
    const run = this.queue.then(() => this.step(input));
    this.queue = run.then(
      () => {},
      () => {},
    );
    return run;
  }

  private async step(input: FanStepInput): Promise<FanDecision> {
    const decision = this.control.step(input);
    this.last = decision;
    this.logReason(decision);
    const fan = this.fan();
    if (fan === undefined) return decision;
    if (this.written !== decision.percent) {
      try {
        await fan.setDutyPercent(decision.percent);
        this.written = decision.percent;
      } catch (err) {
        this.written = undefined;
        this.log.warn({ err, fan: fan.label }, 'fan duty not written');
      }
    }
    try {
      const rpm = await fan.readRpm();
      this.rpmValue = rpm ?? null;
      this.control.observeRpm(rpm);
    } catch {
      this.rpmValue = null;
    }
    if (this.control.stalled !== this.wasStalled) {
      this.wasStalled = this.control.stalled;
      if (this.wasStalled)
        this.log.error(
          { fan: fan.label, percent: decision.percent },
          'fan stalled: tach reads 0 RPM; fan at 100 %',
        );
      else this.log.info({ fan: fan.label, rpm: this.rpmValue }, 'fan turning again');
    }
    return decision;
  }

  private logReason(d: FanDecision): void {
    const key = `${d.reason}:${d.detail ?? ''}`;
    if (key === this.lastReason) return;
    this.lastReason = key;
    const fields = {
      percent: d.percent,
      reason: d.reason,
      ...(d.detail === undefined ? {} : { detail: d.detail }),
    };
    if (d.reason === 'auto')
      this.log.info(fields, `fan under PID control toward ${this.control.current.targetC} °C`);
    else if (d.reason === 'fixed') this.log.info(fields, `fan at a fixed ${d.percent} %`);
    else if (d.reason === 'starting')
      this.log.info(fields, 'fan at 100 % until the first temperature sample');
    else if (d.reason === 'sensor-failure') this.log.warn(fields, 'no chip temperature: fan at 100 %');
    else if (d.reason === 'fault') this.log.warn(fields, `fan at 100 % (${d.detail ?? 'fault'})`);
  }
}
