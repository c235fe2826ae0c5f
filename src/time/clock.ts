/**
 * The clock the work pipeline runs on, injected so tests drive time by hand. Monotonic
 * milliseconds (performance.now) plus one-shot timers; nothing else.
 */

export interface Clock {
  now(): number;
  setTimer(fn: () => void, ms: number): TimerHandle;
  clearTimer(handle: TimerHandle): void;
}

/** Opaque to callers; each Clock knows what it handed out. */
export type TimerHandle = { readonly timer: unknown };

/** Node's timers; resolved at call time so a test framework's fake timers also apply. */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimer: (fn, ms) => {
    const timer = setTimeout(fn, ms);
    // A refresh timer alone must not keep the process alive after shutdown.
    timer.unref();
    return { timer };
  },
  clearTimer: (handle) => clearTimeout(handle.timer as ReturnType<typeof setTimeout>),
};

/** Node caps timer delays at 2^31-1 ms; longer ones fire at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;
