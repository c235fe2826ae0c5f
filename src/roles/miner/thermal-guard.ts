/**
 * Periodic temperature check (drivers/peripherals/thermal.ts decideThermal, bm13xx.md §10.1): reads every sensor,
 * takes the hottest, and tells the daemon to throttle, un-throttle or shut the chips down. The
 * decision is pure; this file only samples on a timer and reports transitions once.
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

interface ThermalActions {
  throttle(on: boolean): Promise<void>;
  shutdown(reason: string): Promise<void>;
}

export class ThermalGuard {
  private readonly readers: readonly ThermalReader[];
  private readonly limits: ThermalLimits;
  private readonly actions: ThermalActions;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly periodMs: number;
  private state: ThermalState = INITIAL_THERMAL_STATE;
  private timer: TimerHandle | undefined;
  private last: ThermalDecision['kind'] = 'ok';
  /** Latest reading per sensor label (null = unreadable). */
  readonly readings = new Map<string, number | null>();

  constructor(o: {
    readers: readonly ThermalReader[];
    limits: ThermalLimits;
    actions: ThermalActions;
    clock: Clock;
    log: Logger;
    periodMs?: number;
  }) {
    this.readers = o.readers;
    this.limits = o.limits;
    this.actions = o.actions;
    this.clock = o.clock;
    this.log = o.log;
    this.periodMs = o.periodMs ?? 5_000;
  }

  start(): void {
    if (this.readers.length === 0 || this.timer !== undefined) return;
    const tick = (): void => {
      this.timer = this.clock.setTimer(() => {
        this.sample()
          .catch((err: unknown) => this.log.error({ err }, 'thermal check failed'))
          .finally(tick);
      }, this.periodMs);
    };
    void this.sample().finally(tick);
  }

  stop(): void {
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
    const readable = temps.filter((t): t is number => t !== undefined);
    const hottest = readable.length === 0 ? undefined : Math.max(...readable);
    const { decision, state } = decideThermal(hottest, this.limits, this.state);
    this.state = state;
    if (decision.kind !== this.last) {
      const previous = this.last;
      this.last = decision.kind;
      if (decision.kind === 'shutdown') {
        this.log.error(
          { tempC: decision.tempC, reason: decision.reason },
          'thermal shutdown: stopping the chips',
        );
        await this.actions.shutdown(decision.reason);
      } else if (decision.kind === 'throttle') {
        this.log.warn({ tempC: decision.tempC }, 'too hot: throttling');
        await this.actions.throttle(true);
      } else if (previous === 'throttle') {
        this.log.info({ tempC: hottest }, 'cool again: back to full frequency');
        await this.actions.throttle(false);
      }
    }
    return decision;
  }
}
