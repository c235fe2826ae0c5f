/**
 * Temperatures and what to do about them. Readers take a Linux hwmon `temp<N>_input` or
 * `thermal_zone<N>/temp` file (millidegrees C; path injected, fake for tests), or an I2C sensor
 * (i2c-sensors.ts). The decision is a pure
 * function of the reading, the limits and the previous state: ok, throttle (with hysteresis), or
 * shutdown at the limit or after N unreadable samples in a row (mujina: 3 bad readings or >= 80 C,
 * bm13xx.md §10.1). It decides only; lowering frequency or resetting chips is the caller's job.
 */
import { readFile } from 'node:fs/promises';

export interface ThermalReader {
  readonly label: string;
  /** Degrees C, or undefined when the sensor cannot be read or gives nonsense. */
  read(): Promise<number | undefined>;
}

/** Plausible die/board temperatures; anything outside is a broken sensor, not a hot chip. */
const PLAUSIBLE_MIN_C = -40;
const PLAUSIBLE_MAX_C = 200;

/** The reading, or undefined when it cannot be a real temperature (NaN, out of range). */
export function plausibleCelsius(celsius: number): number | undefined {
  return Number.isFinite(celsius) && celsius >= PLAUSIBLE_MIN_C && celsius <= PLAUSIBLE_MAX_C
    ? celsius
    : undefined;
}

export class SysfsThermalReader implements ThermalReader {
  readonly label: string;
  private readonly path: string;
  private readonly readText: (path: string) => Promise<string>;
  private readonly offsetC: number;

  constructor(
    label: string,
    path: string,
    options: { offsetC?: number; readText?: (path: string) => Promise<string> } = {},
  ) {
    this.label = label;
    this.path = path;
    this.offsetC = options.offsetC ?? 0;
    this.readText = options.readText ?? ((p) => readFile(p, 'utf8'));
  }

  async read(): Promise<number | undefined> {
    let text: string;
    try {
      text = await this.readText(this.path);
    } catch {
      return undefined;
    }
    const milli = Number(text.trim());
    if (text.trim() === '' || !Number.isFinite(milli)) return undefined;
    return plausibleCelsius(milli / 1000 + this.offsetC);
  }
}

/** A reader that returns scripted values in turn (the last one repeats). */
export class FakeThermalReader implements ThermalReader {
  readonly label: string;
  private readonly values: readonly (number | undefined)[];
  private index = 0;

  constructor(label: string, values: readonly (number | undefined)[]) {
    this.label = label;
    this.values = values;
  }

  async read(): Promise<number | undefined> {
    const value = this.values[Math.min(this.index, this.values.length - 1)];
    this.index++;
    return value;
  }
}

export interface ThermalLimits {
  readonly throttleC: number;
  readonly shutdownC: number;
  /** Throttling ends only below throttleC - hysteresisC. */
  readonly hysteresisC: number;
  readonly maxBadReadings: number;
}

export type ThermalDecision =
  | { readonly kind: 'ok' }
  /** tempC undefined: throttling continues through an unreadable sample. */
  | { readonly kind: 'throttle'; readonly tempC: number | undefined }
  | {
      readonly kind: 'shutdown';
      readonly reason: 'over-temperature' | 'sensor-failure' | 'vr-over-temperature';
      readonly tempC?: number;
    };

export interface ThermalState {
  readonly throttling: boolean;
  readonly badReadings: number;
}

export const INITIAL_THERMAL_STATE: ThermalState = { throttling: false, badReadings: 0 };

/**
 * One step: `tempC` is the hottest sensor this round, undefined when none could be read.
 * A bad reading keeps the previous decision until maxBadReadings in a row.
 */
export function decideThermal(
  tempC: number | undefined,
  limits: ThermalLimits,
  previous: ThermalState,
): { readonly decision: ThermalDecision; readonly state: ThermalState } {
  if (tempC === undefined || !Number.isFinite(tempC)) {
    const badReadings = previous.badReadings + 1;
    if (badReadings >= limits.maxBadReadings) {
      return {
        decision: { kind: 'shutdown', reason: 'sensor-failure' },
        state: { ...previous, badReadings },
      };
    }
    const decision: ThermalDecision = previous.throttling
      ? { kind: 'throttle', tempC: undefined }
      : { kind: 'ok' };
    return { decision, state: { ...previous, badReadings } };
  }
  if (tempC >= limits.shutdownC) {
    return {
      decision: { kind: 'shutdown', reason: 'over-temperature', tempC },
      state: { throttling: true, badReadings: 0 },
    };
  }
  const throttling = previous.throttling
    ? tempC > limits.throttleC - limits.hysteresisC
    : tempC >= limits.throttleC;
  return {
    decision: throttling ? { kind: 'throttle', tempC } : { kind: 'ok' },
    state: { throttling, badReadings: 0 },
  };
}
