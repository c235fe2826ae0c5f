/**
 * Reconnect backoff: a pure policy (attempt number + injected random -> delay in ms). Exponential
 * growth capped at maxMs, with "equal jitter" (half fixed, half random) so a fleet of rigs that lost
 * the same pool does not come back in lockstep, yet no retry ever happens sooner than half the step.
 */

export interface BackoffOptions {
  /** Delay before the first retry (before jitter). */
  readonly baseMs: number;
  /** Upper bound of any delay. */
  readonly maxMs: number;
  /** Growth per consecutive failure. Default 2. */
  readonly factor?: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 1_000, maxMs: 60_000, factor: 2 };

/** Uniform random in [0, 1), injected so tests are deterministic. */
export type RandomFn = () => number;

/**
 * Delay before retry number `attempt` (0 = first retry after one failure):
 * step = min(maxMs, baseMs * factor^attempt); delay = step/2 + random * step/2.
 */
export function backoffDelay(attempt: number, options: BackoffOptions, random: RandomFn): number {
  const factor = options.factor ?? 2;
  const exponent = Math.max(0, Math.floor(attempt));
  // Math.pow overflows to Infinity for large attempts; min() then clamps it to maxMs.
  const step = Math.min(options.maxMs, options.baseMs * factor ** exponent);
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.round(step / 2 + (r * step) / 2);
}
