/**
 * Pool selection: an ordered list (index 0 = highest priority), per-pool backoff after failures,
 * pools marked dead (e.g. REQUIRES_EXTENDED_CHANNELS, no authority key) skipped, and fail-back to a
 * higher-priority pool once background probes have found it healthy for `holdMs`. Pure: the caller
 * passes `now` and a random source; nothing here opens sockets or sets timers.
 */
import { type BackoffOptions, backoffDelay, DEFAULT_BACKOFF, type RandomFn } from './backoff.js';

interface FailoverOptions {
  readonly backoff?: BackoffOptions;
  /** A higher-priority pool must probe healthy this long before we move back to it. Default 60 s. */
  readonly holdMs?: number;
}

type FailoverDecision =
  | { readonly kind: 'connect'; readonly index: number }
  | { readonly kind: 'wait'; readonly ms: number; readonly index: number }
  | { readonly kind: 'none' };

interface FailoverSlot {
  failures: number;
  retryAt: number;
  /** When it last failed (-Infinity: never): older evidence of a failure weighs less. */
  failedAt: number;
  dead: string | undefined;
  healthySince: number | undefined;
}

export class FailoverPolicy {
  private readonly slots: FailoverSlot[];
  private readonly backoff: BackoffOptions;
  private readonly holdMs: number;
  private readonly random: RandomFn;

  constructor(poolCount: number, options: FailoverOptions, random: RandomFn) {
    this.slots = Array.from({ length: poolCount }, () => ({
      failures: 0,
      retryAt: 0,
      failedAt: Number.NEGATIVE_INFINITY,
      dead: undefined,
      healthySince: undefined,
    }));
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.holdMs = options.holdMs ?? 60_000;
    this.random = random;
  }

  /**
   * The pool to try now: the highest-priority live one in good standing (not failed since it last
   * worked or probed healthy), else, of those whose backoff has expired, the one that failed
   * longest ago, else how long to wait for the soonest. A pool that just failed is the least
   * likely to work: going back to it while another pool is ready would idle the chips through its
   * judgement again (a hostile pool holds a session until its work deadline). Probes and
   * successes restore its standing, and fail-back returns to it once it has held up.
   */
  next(now: number): FailoverDecision {
    let soonest: { index: number; at: number } | undefined;
    let expired: number | undefined;
    for (let i = 0; i < this.slots.length; i++) {
      const s = this.slot(i);
      if (s.dead !== undefined) continue;
      if (s.retryAt <= now) {
        if (s.failures === 0) return { kind: 'connect', index: i };
        if (expired === undefined || s.failedAt < this.slot(expired).failedAt) expired = i;
        continue;
      }
      if (soonest === undefined || s.retryAt < soonest.at) soonest = { index: i, at: s.retryAt };
    }
    if (expired !== undefined) return { kind: 'connect', index: expired };
    if (soonest === undefined) return { kind: 'none' };
    return { kind: 'wait', ms: soonest.at - now, index: soonest.index };
  }

  /** A connection attempt or a running session on `index` failed: back off that pool. */
  failed(index: number, now: number): number {
    const s = this.slot(index);
    const delay = backoffDelay(s.failures, this.backoff, this.random);
    s.failures++;
    s.retryAt = now + delay;
    s.failedAt = now;
    s.healthySince = undefined;
    return delay;
  }

  /** The pool reached the mining state: its backoff starts over. */
  succeeded(index: number): void {
    const s = this.slot(index);
    s.failures = 0;
    s.retryAt = 0;
  }

  /** Never try this pool again (this run). */
  markDead(index: number, reason: string): void {
    this.slot(index).dead = reason;
  }

  deadReason(index: number): string | undefined {
    return this.slot(index).dead;
  }

  /** Whether any pool other than `index` may still be tried (else a failure means retrying it). */
  hasAlternative(index: number): boolean {
    return this.slots.some((s, i) => i !== index && s.dead === undefined);
  }

  /** Milliseconds until `index` may be tried again (0 = now). */
  retryInMs(index: number, now: number): number {
    return Math.max(0, this.slot(index).retryAt - now);
  }

  /** Live pools with a higher priority than `current`: the ones to probe in the background. */
  probeCandidates(current: number): number[] {
    const out: number[] = [];
    for (let i = 0; i < Math.min(current, this.slots.length); i++) {
      if (this.slot(i).dead === undefined) out.push(i);
    }
    return out;
  }

  /** Result of a background probe (TCP + Noise + SetupConnection) of a higher-priority pool. */
  probed(index: number, ok: boolean, now: number): void {
    const s = this.slot(index);
    if (!ok) {
      s.healthySince = undefined;
      return;
    }
    s.healthySince ??= now;
    // A healthy probe is fresh evidence: do not make the real connection wait out an old backoff.
    s.retryAt = 0;
    s.failures = 0;
  }

  /** The pool to fail back to now, if a higher-priority one has been healthy for holdMs. */
  failBackTarget(current: number, now: number): number | undefined {
    for (const i of this.probeCandidates(current)) {
      const since = this.slot(i).healthySince;
      if (since !== undefined && now - since >= this.holdMs) return i;
    }
    return undefined;
  }

  private slot(index: number): FailoverSlot {
    const s = this.slots[index];
    if (s === undefined) throw new RangeError(`pool index ${index} out of range 0..${this.slots.length - 1}`);
    return s;
  }
}
