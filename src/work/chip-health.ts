/**
 * Is each chip returning the work it should? A chip hashing H per second reports an event (a
 * nonce, or one count of its nonce counter) for every 2^32 x D hashes on average, D the
 * difficulty behind one event: the chip target the pipeline checks (ticket difficulty, relaxed on
 * simulated boards: relaxedTicketDifficulty) or the counter's difficulty (chip-counters.ts). Over
 * a window the count is Poisson with mean lambda = H x seconds / (2^32 x D). A chip is judged only
 * on a window long enough that a healthy chip returning nothing would be a one-in-a-million event
 * (lambda >= ln(1/alpha)); it is 'silent' with nothing, 'weak' with far fewer than expected
 * (under weakFraction x lambda, and P(X <= observed | lambda) < alpha). A chain is 'flatlined'
 * when it returned no nonce at all, or every chip is silent. Pure and clock-free: callers pass
 * `now`; nothing here schedules anything.
 */

export type ChipHealth = 'unknown' | 'ok' | 'weak' | 'silent';
type ChainHealth = 'unknown' | 'ok' | 'degraded' | 'flatlined';

export interface HealthThresholds {
  /** Events a healthy chip should return in one window; the window is sized for it. Default 40. */
  readonly targetEvents: number;
  /** A judgement is made only where a healthy chip would be this unlikely to look so bad. Default 1e-6. */
  readonly alpha: number;
  /** Weak = below this fraction of the expected count (and improbable). Default 0.25. */
  readonly weakFraction: number;
  /** Window bounds: at least one counter read and a ramp's worth; at most what a rig can wait. */
  readonly minWindowMs: number;
  readonly maxWindowMs: number;
}

const DEFAULT_HEALTH_THRESHOLDS: HealthThresholds = {
  targetEvents: 40,
  alpha: 1e-6,
  weakFraction: 0.25,
  minWindowMs: 10_000,
  maxWindowMs: 600_000,
};

/** Mean events in `windowMs` for `hashrate` H/s at `difficulty` per event: H t / (2^32 D). */
export function expectedEvents(hashrate: number, windowMs: number, difficulty: number): number {
  if (!(hashrate >= 0) || !(windowMs >= 0) || !(difficulty > 0))
    throw new RangeError(
      `expectedEvents: bad input (${hashrate} H/s, ${windowMs} ms, difficulty ${difficulty})`,
    );
  return (hashrate * (windowMs / 1000)) / (2 ** 32 * difficulty);
}

/** ln P(X <= k) for X ~ Poisson(lambda), summed in log space so a large lambda cannot underflow. */
export function poissonLogCdf(k: number, lambda: number): number {
  if (k < 0) return Number.NEGATIVE_INFINITY;
  if (lambda === 0) return 0;
  let logTerm = -lambda; // ln P(X = 0)
  let logSum = logTerm;
  for (let i = 1; i <= k; i++) {
    logTerm += Math.log(lambda) - Math.log(i);
    const hi = Math.max(logSum, logTerm);
    logSum = hi + Math.log(Math.exp(logSum - hi) + Math.exp(logTerm - hi));
  }
  return Math.min(0, logSum);
}

/** One chip's (or chain's) window: `observed` events where `expected` were due. */
export function judge(
  observed: number,
  expected: number,
  t: HealthThresholds = DEFAULT_HEALTH_THRESHOLDS,
): ChipHealth {
  // Too short a window proves nothing either way.
  if (expected < -Math.log(t.alpha)) return 'unknown';
  if (observed === 0) return 'silent';
  if (observed < t.weakFraction * expected && poissonLogCdf(observed, expected) < Math.log(t.alpha))
    return 'weak';
  return 'ok';
}

/** The window in which one chip at `eventsPerSecond` should return `targetEvents`, within the bounds. */
export function windowFor(eventsPerSecond: number, t: HealthThresholds = DEFAULT_HEALTH_THRESHOLDS): number {
  if (!(eventsPerSecond > 0)) return t.maxWindowMs;
  const ms = Math.ceil((1000 * t.targetEvents) / eventsPerSecond);
  return Math.min(t.maxWindowMs, Math.max(t.minWindowMs, ms));
}

/** What one chain of chips should do, read when a window opens and again when it closes. */
export interface ChainExpectation {
  readonly chips: number;
  /** Hashes per second each chip should do at its current frequency. */
  readonly chipHashrate: number;
  /** Difficulty behind one accepted nonce (the pipeline's chip target, relaxed on sim boards). */
  readonly nonceDifficulty: number;
  /**
   * Where per-chip events come from: nonces that name their chip, or the chips' nonce counters
   * (each count worth `difficulty`) where nonces do not (bm13xx.md §12.7).
   */
  readonly chipEvents: { readonly kind: 'nonce' } | { readonly kind: 'counter'; readonly difficulty: number };
}

export interface ChainVerdict {
  readonly chain: number;
  readonly health: ChainHealth;
  readonly chips: readonly ChipHealth[];
  readonly windowMs: number;
  /** Accepted nonces of the whole chain in the window, and the mean a healthy chain returns. */
  readonly observed: number;
  readonly expected: number;
  /** Per chip, in the chips' event unit. */
  readonly chipObserved: readonly number[];
  readonly chipExpected: number;
}

/** Verdict of a whole chain's window from its counts. */
export function judgeChain(
  chain: number,
  e: ChainExpectation,
  windowMs: number,
  observed: number,
  chipObserved: readonly number[],
  t: HealthThresholds = DEFAULT_HEALTH_THRESHOLDS,
): ChainVerdict {
  const expected = expectedEvents(e.chips * e.chipHashrate, windowMs, e.nonceDifficulty);
  const chipDifficulty = e.chipEvents.kind === 'counter' ? e.chipEvents.difficulty : e.nonceDifficulty;
  const chipExpected = expectedEvents(e.chipHashrate, windowMs, chipDifficulty);
  const chips = Array.from({ length: e.chips }, (_, i) => judge(chipObserved[i] ?? 0, chipExpected, t));
  const whole = judge(observed, expected, t);
  let health: ChainHealth;
  if (whole === 'silent' || (chips.length > 0 && chips.every((c) => c === 'silent'))) health = 'flatlined';
  else if (whole === 'weak' || chips.some((c) => c === 'silent' || c === 'weak')) health = 'degraded';
  else if (whole === 'unknown' && chips.every((c) => c === 'unknown')) health = 'unknown';
  else health = 'ok';
  return {
    chain,
    health,
    chips,
    windowMs,
    observed,
    expected,
    chipObserved: [...chipObserved],
    chipExpected,
  };
}

interface Watched {
  readonly expectation: () => ChainExpectation | undefined;
  openedAt: number;
  windowMs: number;
  observed: number;
  chipObserved: number[];
  last: ChainVerdict | undefined;
}

/**
 * Counts per chain and chip over back-to-back windows. The owner feeds events, restarts a window
 * whenever the chain had no work (an idle chain returns nothing and proves nothing), and asks
 * for verdicts; `now` is whatever clock the owner runs on.
 */
export class ChipHealthMonitor {
  private readonly t: HealthThresholds;
  private readonly chains = new Map<number, Watched>();

  constructor(thresholds: Partial<HealthThresholds> = {}) {
    this.t = { ...DEFAULT_HEALTH_THRESHOLDS, ...thresholds };
  }

  get thresholds(): HealthThresholds {
    return this.t;
  }

  /** Start (or start over) judging `chain`: after bring-up or a recovery. */
  watch(chain: number, expectation: () => ChainExpectation | undefined, now: number): void {
    const w: Watched = {
      expectation,
      openedAt: now,
      windowMs: 0,
      observed: 0,
      chipObserved: [],
      last: undefined,
    };
    this.chains.set(chain, w);
    this.open(w, now);
  }

  /** Stop judging `chain` (recovering, disabled, closed); its last verdict is forgotten. */
  unwatch(chain: number): void {
    this.chains.delete(chain);
  }

  /** Throw away the open window (the chain had no work for a while). */
  restartWindow(chain: number, now: number): void {
    const w = this.chains.get(chain);
    if (w !== undefined) this.open(w, now);
  }

  /** An accepted nonce of `chain`; it also counts for its chip where the chip is known and nonces are the chip events. */
  nonce(chain: number, chipIndex: number | undefined): void {
    const w = this.chains.get(chain);
    if (w === undefined) return;
    w.observed++;
    if (chipIndex !== undefined && w.expectation()?.chipEvents.kind === 'nonce') this.bump(w, chipIndex, 1);
  }

  /** Counts a chip's nonce counter moved by (counter-read chains). */
  chipCounts(chain: number, chipIndex: number, counts: number): void {
    const w = this.chains.get(chain);
    if (w === undefined || counts <= 0) return;
    if (w.expectation()?.chipEvents.kind === 'counter') this.bump(w, chipIndex, counts);
  }

  /** Verdicts of every chain whose window closed by `now`; each such chain opens its next window. */
  evaluate(now: number): ChainVerdict[] {
    const out: ChainVerdict[] = [];
    for (const [chain, w] of this.chains) {
      if (now - w.openedAt < w.windowMs) continue;
      const e = w.expectation();
      if (e !== undefined) {
        const verdict = judgeChain(chain, e, now - w.openedAt, w.observed, w.chipObserved, this.t);
        w.last = verdict;
        out.push(verdict);
      }
      this.open(w, now);
    }
    return out;
  }

  /** The last verdict on `chain`, or undefined before its first window closed. */
  last(chain: number): ChainVerdict | undefined {
    return this.chains.get(chain)?.last;
  }

  private bump(w: Watched, chipIndex: number, n: number): void {
    if (!Number.isInteger(chipIndex) || chipIndex < 0 || chipIndex >= 256) return;
    w.chipObserved[chipIndex] = (w.chipObserved[chipIndex] ?? 0) + n;
  }

  private open(w: Watched, now: number): void {
    w.openedAt = now;
    w.observed = 0;
    w.chipObserved = [];
    const e = w.expectation();
    if (e === undefined) {
      w.windowMs = this.t.maxWindowMs;
      return;
    }
    const difficulty = e.chipEvents.kind === 'counter' ? e.chipEvents.difficulty : e.nonceDifficulty;
    w.windowMs = windowFor(expectedEvents(e.chipHashrate, 1000, difficulty), this.t);
  }
}
