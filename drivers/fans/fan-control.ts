/**
 * What duty the fan gets, decided without I/O: a PID toward a target temperature (`fan.auto`) or
 * the operator's fixed percent, never below the minimum, and 100 % whenever the controller cannot
 * trust what it sees (no temperature, a fault, a stalled fan). Time comes in with each step, so a
 * test drives it with any clock.
 *
 * The PID is the form ESP-Miner runs (an Arduino-style PID, proportional on error, derivative on
 * the measurement, reverse acting: hotter = more fan), with its gains Kp 3, Ki 0.1, Kd 1 in
 * percent per degree, per degree-second and per degree/second, so they hold at any sample period.
 * The integral is clamped to the output range (no wind-up while pinned at 100 % or the minimum).
 * The duty is a whole percent: finer than the controllers' PWM steps (EMC2101 1/63, EMC2302
 * 1/255 of full), and the fan is only written when it changes.
 */

/** ESP-Miner's fan PID gains (main/tasks/fan_controller_task.c), target and minimum defaults (nvs_config.c). */
const FAN_PID_GAINS = { kp: 3, ki: 0.1, kd: 1 } as const;
export const DEFAULT_TARGET_C = 60;
export const DEFAULT_MIN_PERCENT = 25;

export interface FanSettings {
  /** PID toward targetC; otherwise speedPercent. */
  readonly auto: boolean;
  readonly speedPercent: number;
  /** The floor for either mode. */
  readonly minPercent: number;
  readonly targetC: number;
}

export interface FanGains {
  readonly kp: number;
  readonly ki: number;
  readonly kd: number;
}

type FanReason = 'auto' | 'fixed' | 'starting' | 'sensor-failure' | 'fault' | 'stalled';

export interface FanDecision {
  readonly percent: number;
  readonly reason: FanReason;
  /** The fault or stall behind a 100 % override, for the log. */
  readonly detail?: string;
}

export interface FanStepInput {
  /**
   * Hottest chip temperature this sample; undefined when no sensor could be read or it is
   * implausible; null before the first sample (auto runs at 100 % until then, without alarm).
   */
  readonly tempC: number | undefined | null;
  /** Monotonic milliseconds. */
  readonly now: number;
  /** A fault in force (regulator fault, overheat latch): the fan runs flat out. */
  readonly fault?: string | undefined;
}

/** Tach readings of 0 RPM in a row, with duty above 0, before the fan counts as stalled. */
const STALL_READINGS = 2;

export class FanControl {
  private settings: FanSettings;
  private readonly gains: FanGains;
  /** The integral term, kept inside [minPercent, 100]. */
  private integral: number;
  private lastTempC: number | undefined;
  private lastAt: number | undefined;
  private zeroRpmReadings = 0;
  private lastPercent = 100;

  constructor(settings: FanSettings, gains: FanGains = FAN_PID_GAINS) {
    this.settings = settings;
    this.gains = gains;
    // Bumpless start from full speed: the loop winds down toward the target rather than
    // starting the fan at its minimum under a warm board.
    this.integral = 100;
  }

  /** New operator settings; the PID keeps its state (the integral is re-clamped to the new floor). */
  configure(settings: FanSettings): void {
    this.settings = settings;
    this.integral = clamp(this.integral, settings.minPercent, 100);
  }

  get current(): FanSettings {
    return this.settings;
  }

  /** True once STALL_READINGS tach readings in a row said 0 RPM while the duty was above 0. */
  get stalled(): boolean {
    return this.zeroRpmReadings >= STALL_READINGS;
  }

  /** A tach reading: 0 = stopped, undefined = no usable count (not evidence of a stall). */
  observeRpm(rpm: number | undefined): void {
    if (rpm === undefined) return;
    this.zeroRpmReadings = rpm === 0 && this.lastPercent > 0 ? this.zeroRpmReadings + 1 : 0;
  }

  step(input: FanStepInput): FanDecision {
    const decision = this.decide(input);
    this.lastPercent = decision.percent;
    return decision;
  }

  private decide(input: FanStepInput): FanDecision {
    const { tempC, now } = input;
    const dtS = this.lastAt === undefined ? 0 : Math.max(0, (now - this.lastAt) / 1000);
    const previousTemp = this.lastTempC;
    this.lastAt = now;
    this.lastTempC = typeof tempC === 'number' ? tempC : undefined;
    // The PID runs on every good reading, even while overridden, so it takes over smoothly.
    const pid = typeof tempC === 'number' ? this.pid(tempC, previousTemp, dtS) : undefined;
    if (input.fault !== undefined) return { percent: 100, reason: 'fault', detail: input.fault };
    if (this.stalled)
      return { percent: 100, reason: 'stalled', detail: 'tach reads 0 RPM with duty above 0' };
    if (!this.settings.auto)
      return { percent: clamp(this.settings.speedPercent, this.settings.minPercent, 100), reason: 'fixed' };
    if (pid === undefined) return { percent: 100, reason: tempC === null ? 'starting' : 'sensor-failure' };
    return { percent: pid, reason: 'auto' };
  }

  private pid(tempC: number, previousTemp: number | undefined, dtS: number): number {
    const { kp, ki, kd } = this.gains;
    const { targetC, minPercent } = this.settings;
    const error = tempC - targetC;
    this.integral = clamp(this.integral + ki * error * dtS, minPercent, 100);
    const slope = previousTemp === undefined || dtS === 0 ? 0 : (tempC - previousTemp) / dtS;
    return Math.round(clamp(kp * error + this.integral + kd * slope, minPercent, 100));
  }
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
