/**
 * Flatline and chip-fault recovery. Every second each mining chain's window of returned work is
 * checked against what its chips should return (src/work/chip-health.ts); a chain that went
 * silent (flatlined), or has a silent or weak chip, is re-initialised: work held back, chips into
 * reset with the core rail off where the board switches it (chain close: NRST held, or the power
 * sequencer's power-down), a pause, then the full bring-up (power-up or reset pulse, enumeration,
 * addressing, ramp) and work again. BM13xx chips are addressed by one chain-wide enumeration and
 * share one NRST line and rail, so a single chip cannot be reset or re-addressed alone: a chip
 * fault re-initialises its whole chain, once per episode (a chip still bad after a successful
 * re-init is reported, not re-initialised again and again). A failed attempt (bring-up refused,
 * or the chain still flatlined at its next verdict) is retried after an exponential backoff;
 * `maxFailures` failures within `failureWindowMs` disable the chain (held in reset, out of
 * dispatch) while the other chains mine on. A chain whose bring-up failed at start is retried
 * the same way, the start counting as its first failure. The clock is injected; nothing here touches a port.
 */
import type { Logger } from '../../log.js';
import type { Clock, TimerHandle } from '../../time/clock.js';
import type {
  ChainExpectation,
  ChainVerdict,
  ChipHealth,
  ChipHealthMonitor,
} from '../../work/chip-health.js';

export interface RecoveryPolicy {
  /** Verdicts are asked for this often. Default 1 s. */
  readonly checkMs: number;
  /** The wait before the second attempt; doubled per further failure. Default 10 s. */
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  /** Failed attempts within failureWindowMs that disable a chain. Default 5 in 30 min. */
  readonly maxFailures: number;
  readonly failureWindowMs: number;
  /** Chips held in reset (and unpowered where the board can) this long before coming back up. Default 1 s. */
  readonly offMs: number;
}

export const DEFAULT_RECOVERY_POLICY: RecoveryPolicy = {
  checkMs: 1_000,
  backoffBaseMs: 10_000,
  backoffMaxMs: 300_000,
  maxFailures: 5,
  failureWindowMs: 30 * 60_000,
  offMs: 1_000,
};

/** The wait before the next attempt after `failures` consecutive failed ones (0: at once). */
export function backoffMs(failures: number, p: RecoveryPolicy = DEFAULT_RECOVERY_POLICY): number {
  if (failures <= 0) return 0;
  return Math.min(p.backoffMaxMs, p.backoffBaseMs * 2 ** (failures - 1));
}

export type RecoveryReason = 'flatline' | 'chip-silent' | 'chip-weak';
export const RECOVERY_REASONS: readonly RecoveryReason[] = ['flatline', 'chip-silent', 'chip-weak'];

/** 'failed': its bring-up at start failed; it is retried like a failed re-init. */
export type ChainRunState = 'mining' | 'recovering' | 'disabled' | 'failed';

/** What recovery does to one chain; the rig supplies it. */
export interface RecoverableChain {
  readonly index: number;
  /** The chain is set to this state (the rig's chain state, the API's). */
  setState(state: ChainRunState): void;
  /** No more work for this chain (dispatcher). */
  holdWork(): void;
  /** Chips into reset, rail off where the board switches it, port closed. */
  shutDown(): Promise<void>;
  /** Power-up or reset release, then the full chain init; rejects when the chain does not come up. */
  bringUp(): Promise<void>;
  /** Work again (dispatcher). */
  resumeWork(): Promise<void>;
  /** True while the chain has live work: without it, nothing is expected back. */
  hasWork(): boolean;
  /** What the chips should return now; undefined while the chain is not initialised. */
  expectation(): ChainExpectation | undefined;
}

export interface ChainRecoveryStatus {
  readonly chain: number;
  readonly state: ChainRunState;
  /** Re-initialisations started, in all and by reason. */
  readonly recoveries: number;
  readonly recoveriesByReason: Readonly<Record<RecoveryReason, number>>;
  /** Attempts that failed (bring-up refused, or still flatlined after it). */
  readonly failures: number;
  readonly lastReason: string | null;
  /** Clock ms of the next attempt while one is scheduled. */
  readonly nextAttemptAt: number | null;
  /** Per chip, from the last verdict ('unknown' before one). */
  readonly chips: readonly ChipHealth[];
}

interface Entry {
  readonly target: RecoverableChain;
  state: ChainRunState;
  recoveries: number;
  byReason: Record<RecoveryReason, number>;
  failures: number;
  failureTimes: number[];
  /** Failures since the chain last proved healthy: the backoff exponent. */
  consecutive: number;
  lastReason: string | null;
  timer: TimerHandle | undefined;
  nextAttemptAt: number | null;
  /** The next verdict is the first after a re-init: it says whether the re-init helped. */
  probation: boolean;
  /** Chips a re-init did not cure: reported, not re-initialised for again. */
  incurable: Set<number>;
  /** The chips whose fault started the last re-init. */
  treating: Set<number>;
  chips: readonly ChipHealth[];
  busy: boolean;
}

interface ChainRecoveryOptions {
  readonly chains: readonly RecoverableChain[];
  readonly monitor: ChipHealthMonitor;
  readonly clock: Clock;
  readonly log: Logger;
  readonly policy?: Partial<RecoveryPolicy>;
  /**
   * Chains whose bring-up at start failed, with the error: retried after the first backoff step
   * (the start counts as the first failure), under the same bound.
   */
  readonly failedAtStart?: ReadonlyMap<number, string>;
}

export class ChainRecovery {
  private readonly o: ChainRecoveryOptions;
  private readonly p: RecoveryPolicy;
  private readonly entries = new Map<number, Entry>();
  private tickTimer: TimerHandle | undefined;
  private closed = false;

  constructor(options: ChainRecoveryOptions) {
    this.o = options;
    this.p = { ...DEFAULT_RECOVERY_POLICY, ...options.policy };
  }

  get policy(): RecoveryPolicy {
    return this.p;
  }

  /** Watch every chain given (mining, or failed at start and then retried) and start the checks. */
  start(): void {
    const now = this.o.clock.now();
    for (const target of this.o.chains) {
      const startError = this.o.failedAtStart?.get(target.index);
      const entry: Entry = {
        target,
        state: startError === undefined ? 'mining' : 'failed',
        recoveries: 0,
        byReason: { flatline: 0, 'chip-silent': 0, 'chip-weak': 0 },
        failures: 0,
        failureTimes: [],
        consecutive: 0,
        lastReason: null,
        timer: undefined,
        nextAttemptAt: null,
        probation: false,
        incurable: new Set(),
        treating: new Set(),
        chips: [],
        busy: false,
      };
      this.entries.set(target.index, entry);
      if (startError === undefined) this.o.monitor.watch(target.index, () => target.expectation(), now);
      else this.retryFailedStart(entry, startError, now);
    }
    this.scheduleTick();
  }

  /** A chain that did not come up at start: its first failure; a retry (a flatline: it returns nothing) after the backoff. */
  private retryFailedStart(e: Entry, error: string, now: number): void {
    e.failures = 1;
    e.consecutive = 1;
    e.failureTimes = [now];
    e.lastReason = `bring-up at start failed: ${error}`;
    const delay = backoffMs(1, this.p);
    e.nextAttemptAt = now + delay;
    this.o.log.warn(
      { chain: e.target.index, retryInMs: delay },
      `chain ${e.target.index}: bring-up at start failed; next attempt in ${Math.round(delay / 1000)} s`,
    );
    e.timer = this.o.clock.setTimer(() => {
      if (this.closed) return;
      e.byReason.flatline++;
      void this.attempt(e);
    }, delay);
  }

  /** Stop checking and cancel planned attempts; an attempt under way ends without touching the chain again. */
  close(): void {
    this.closed = true;
    if (this.tickTimer !== undefined) this.o.clock.clearTimer(this.tickTimer);
    this.tickTimer = undefined;
    for (const e of this.entries.values()) {
      if (e.timer !== undefined) this.o.clock.clearTimer(e.timer);
      e.timer = undefined;
      this.o.monitor.unwatch(e.target.index);
    }
  }

  status(): ChainRecoveryStatus[] {
    return [...this.entries.values()].map((e) => ({
      chain: e.target.index,
      state: e.state,
      recoveries: e.recoveries,
      recoveriesByReason: { ...e.byReason },
      failures: e.failures,
      lastReason: e.lastReason,
      nextAttemptAt: e.nextAttemptAt,
      chips: [...e.chips],
    }));
  }

  private scheduleTick(): void {
    if (this.closed) return;
    this.tickTimer = this.o.clock.setTimer(() => {
      this.tick();
      this.scheduleTick();
    }, this.p.checkMs);
  }

  /** One check: windows of idle chains start over, closed windows are judged and acted on. */
  tick(): void {
    const now = this.o.clock.now();
    for (const e of this.entries.values())
      if (e.state === 'mining' && !e.busy && !e.target.hasWork())
        this.o.monitor.restartWindow(e.target.index, now);
    for (const verdict of this.o.monitor.evaluate(now)) {
      const e = this.entries.get(verdict.chain);
      if (e !== undefined && e.state === 'mining' && !e.busy) this.onVerdict(e, verdict);
    }
  }

  private onVerdict(e: Entry, v: ChainVerdict): void {
    e.chips = v.chips;
    const chain = e.target.index;
    const bad = v.chips.flatMap((h, i) => (h === 'silent' || h === 'weak' ? [i] : []));
    if (e.probation) {
      e.probation = false;
      if (v.health === 'flatlined') {
        void this.fail(
          e,
          `still no nonces after re-init (${v.observed} of ${v.expected.toFixed(1)} expected)`,
        );
        return;
      }
      if (v.health !== 'unknown') e.consecutive = 0;
      // A chip the re-init was for and that is still bad stays as it is: another re-init of the
      // whole chain would stop its healthy chips for nothing.
      for (const i of bad)
        if (e.treating.has(i) && !e.incurable.has(i)) {
          e.incurable.add(i);
          this.o.log.warn(
            { chain, chip: i, health: v.chips[i] },
            `chain ${chain} chip ${i} still ${v.chips[i]} after re-init: reported, not re-initialised again`,
          );
        }
      e.treating.clear();
    }
    // A chip that came back is curable again should it fail later.
    for (const i of [...e.incurable]) if (v.chips[i] === 'ok') e.incurable.delete(i);
    if (v.health === 'flatlined') {
      this.recover(
        e,
        'flatline',
        `flatline: ${v.observed} nonces in ${(v.windowMs / 1000).toFixed(0)} s where ${v.expected.toFixed(1)} were expected`,
        [],
      );
      return;
    }
    const fresh = bad.filter((i) => !e.incurable.has(i));
    if (fresh.length === 0) return;
    const silent = fresh.filter((i) => v.chips[i] === 'silent');
    const kind: RecoveryReason = silent.length > 0 ? 'chip-silent' : 'chip-weak';
    const named = (silent.length > 0 ? silent : fresh)
      .map((i) => `${i} (${v.chipObserved[i] ?? 0} of ${v.chipExpected.toFixed(1)} expected)`)
      .join(', ');
    this.recover(e, kind, `${kind}: chip ${named} in ${(v.windowMs / 1000).toFixed(0)} s`, fresh);
  }

  /** Begin a recovery: counted, logged, the chain out of dispatch, then the attempt. */
  private recover(e: Entry, kind: RecoveryReason, reason: string, chips: readonly number[]): void {
    e.lastReason = reason;
    e.byReason[kind]++;
    e.treating = new Set(chips);
    this.o.log.warn(
      { chain: e.target.index, reason: kind },
      `chain ${e.target.index}: ${reason}: re-initialising`,
    );
    void this.attempt(e);
  }

  private async attempt(e: Entry): Promise<void> {
    const t = e.target;
    e.timer = undefined;
    e.nextAttemptAt = null;
    e.busy = true;
    e.recoveries++;
    this.setState(e, 'recovering');
    this.o.monitor.unwatch(t.index);
    t.holdWork();
    try {
      await t
        .shutDown()
        .catch((err: unknown) =>
          this.o.log.warn({ chain: t.index, err }, `chain ${t.index}: shut-down before re-init failed`),
        );
      await this.wait(this.p.offMs);
      if (this.closed) return;
      try {
        await t.bringUp();
      } catch (err) {
        if (this.closed) return;
        await this.fail(e, `re-init failed: ${err instanceof Error ? err.message : String(err)}`, false);
        return;
      }
      if (this.closed) return;
      e.probation = true;
      this.setState(e, 'mining');
      this.o.monitor.watch(t.index, () => t.expectation(), this.o.clock.now());
      this.o.log.info(
        { chain: t.index, attempt: e.recoveries },
        `chain ${t.index} re-initialised: mining again`,
      );
      await t.resumeWork();
    } finally {
      e.busy = false;
    }
  }

  /** A failed attempt: counted; the chain is disabled at the bound, else tried again after the backoff. */
  private async fail(e: Entry, why: string, running = true): Promise<void> {
    const t = e.target;
    const now = this.o.clock.now();
    e.failures++;
    e.consecutive++;
    e.failureTimes = [...e.failureTimes.filter((at) => now - at < this.p.failureWindowMs), now];
    e.lastReason = why;
    if (running) {
      e.busy = true;
      this.setState(e, 'recovering');
      this.o.monitor.unwatch(t.index);
      t.holdWork();
    }
    try {
      await t
        .shutDown()
        .catch((err: unknown) =>
          this.o.log.warn({ chain: t.index, err }, `chain ${t.index}: shut-down failed`),
        );
    } finally {
      e.busy = false;
    }
    if (this.closed) return;
    if (e.failureTimes.length >= this.p.maxFailures) {
      this.setState(e, 'disabled');
      this.o.log.error(
        { chain: t.index, failures: e.failureTimes.length },
        `chain ${t.index} disabled after ${e.failureTimes.length} failed recoveries in ${Math.round(this.p.failureWindowMs / 60_000)} min (last: ${why}); chips held in reset, the other chains mine on`,
      );
      return;
    }
    const delay = backoffMs(e.consecutive, this.p);
    e.nextAttemptAt = now + delay;
    this.o.log.error(
      { chain: t.index, failures: e.consecutive, retryInMs: delay },
      `chain ${t.index}: ${why}; next attempt in ${Math.round(delay / 1000)} s`,
    );
    e.timer = this.o.clock.setTimer(() => {
      if (!this.closed) void this.attempt(e);
    }, delay);
  }

  private setState(e: Entry, state: ChainRunState): void {
    e.state = state;
    e.target.setState(state);
  }

  private wait(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => this.o.clock.setTimer(resolve, ms));
  }
}
