/**
 * Periodic temperature check (drivers/peripherals/thermal.ts decideThermal, bm13xx.md §10.1): reads every sensor,
 * takes the hottest, reads the core regulator's own temperature where the board has one, and tells
 * the daemon to throttle, un-throttle or shut the chips down. The decision is pure; this file only
 * samples on a timer, reports transitions once and hands every sample on (fan loop, overheat latch).
 * The period (500 ms) keeps a shutdown within a second of the sensor crossing its limit.
 */
import {
  decideThermal,
  INITIAL_THERMAL_STATE,
  type ThermalDecision,
  type ThermalLimits,
  type ThermalReader,
  type ThermalState,
} from '../../../drivers/peripherals/thermal.js';
import type { Logger } from '../../log.js';
import type { Clock, TimerHandle } from '../../time/clock.js';

const THERMAL_SAMPLE_MS = 500;

type ShutdownReason = 'over-temperature' | 'sensor-failure' | 'vr-over-temperature';

interface ThermalActions {
  throttle(on: boolean): Promise<void>;
  /** `detail`: one line for the log and the API, with the temperature and the limit. */
  shutdown(reason: ShutdownReason, detail: string): Promise<void>;
}

/** One sample, as the fan loop and the overheat latch see it. */
export interface ThermalSample {
  /** Hottest chip sensor; undefined = none readable; null = the board has no chip sensor. */
  readonly chipC: number | undefined | null;
  /** The regulator's temperature; undefined = unreadable; null = no regulator sensor. */
  readonly vrC: number | undefined | null;
  readonly decision: ThermalDecision;
  readonly now: number;
}

export class ThermalGuard {
  private readonly readers: readonly ThermalReader[];
  private readonly vr: ThermalReader | undefined;
  private readonly limits: ThermalLimits & { readonly vrShutdownC?: number };
  private readonly actions: ThermalActions;
  private readonly onSample: ((sample: ThermalSample) => Promise<void>) | undefined;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly periodMs: number;
  private state: ThermalState = INITIAL_THERMAL_STATE;
  private timer: TimerHandle | undefined;
  private running = false;
  private last: ThermalDecision['kind'] = 'ok';
  /** Latest reading per sensor label (null = unreadable). */
  readonly readings = new Map<string, number | null>();
  /** The regulator's latest temperature (null = unreadable or none). */
  vrC: number | null = null;

  constructor(o: {
    readers: readonly ThermalReader[];
    /** The core regulator's temperature, checked against limits.vrShutdownC. */
    vr?: ThermalReader;
    limits: ThermalLimits & { readonly vrShutdownC?: number };
    actions: ThermalActions;
    onSample?: (sample: ThermalSample) => Promise<void>;
    clock: Clock;
    log: Logger;
    periodMs?: number;
  }) {
    this.readers = o.readers;
    this.vr = o.vr;
    this.limits = o.limits;
    this.actions = o.actions;
    this.onSample = o.onSample;
    this.clock = o.clock;
    this.log = o.log;
    this.periodMs = o.periodMs ?? THERMAL_SAMPLE_MS;
  }

  start(): void {
    if (this.running) return;
    if (this.readers.length === 0 && this.vr === undefined && this.onSample === undefined) return;
    this.running = true;
    const tick = (): void => {
      if (!this.running) return;
      this.timer = this.clock.setTimer(() => {
        this.sample()
          .catch((err: unknown) => this.log.error({ err }, 'thermal check failed'))
          .finally(tick);
      }, this.periodMs);
    };
    void this.sample()
      .catch((err: unknown) => this.log.error({ err }, 'thermal check failed'))
      .finally(tick);
  }

  stop(): void {
    this.running = false;
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.timer = undefined;
  }

  /** Hottest current reading, or null. */
  hottest(): number | null {
    const values = [...this.readings.values()].filter((v): v is number => v !== null);
    return values.length === 0 ? null : Math.max(...values);
  }

  async sample(): Promise<ThermalDecision> {
    const temps = await Promise.all(
      this.readers.map(async (r) => {
        const t = await r.read();
        this.readings.set(r.label, t ?? null);
        return t;
      }),
    );
    const vrC = this.vr === undefined ? null : await this.vr.read().catch(() => undefined);
    this.vrC = vrC ?? null;
    const readable = temps.filter((t): t is number => t !== undefined);
    const hottest = readable.length === 0 ? undefined : Math.max(...readable);
    let decision: ThermalDecision = { kind: 'ok' };
    if (this.readers.length > 0) {
      const step = decideThermal(hottest, this.limits, this.state);
      this.state = step.state;
      decision = step.decision;
    }
    const vrLimit = this.limits.vrShutdownC;
    let detail = '';
    if (typeof vrC === 'number' && vrLimit !== undefined && vrC >= vrLimit) {
      decision = { kind: 'shutdown', reason: 'vr-over-temperature', tempC: vrC };
      detail = `regulator ${vrC.toFixed(1)} °C at or over thermal.vrShutdownC ${vrLimit}`;
    } else if (decision.kind === 'shutdown')
      detail =
        decision.reason === 'over-temperature'
          ? `chip ${(decision.tempC ?? 0).toFixed(1)} °C at or over thermal.shutdownC ${this.limits.shutdownC}`
          : `no chip temperature for ${this.limits.maxBadReadings} samples in a row`;
    if (decision.kind !== this.last) {
      const previous = this.last;
      this.last = decision.kind;
      if (decision.kind === 'shutdown') {
        this.log.error(
          { tempC: decision.tempC, reason: decision.reason },
          `thermal shutdown (${detail}): stopping the chips`,
        );
        await this.actions.shutdown(decision.reason, detail);
      } else if (decision.kind === 'throttle') {
        this.log.warn({ tempC: decision.tempC }, 'too hot: throttling');
        await this.actions.throttle(true);
      } else if (previous !== 'ok') {
        // From a shutdown too: a rig the latch resumes must not stay at the throttled frequency.
        this.log.info({ tempC: hottest }, 'cool again: back to full frequency');
        await this.actions.throttle(false);
      }
    }
    await this.onSample?.({
      chipC: this.readers.length === 0 ? null : hottest,
      vrC,
      decision,
      now: this.clock.now(),
    });
    return decision;
  }
}
