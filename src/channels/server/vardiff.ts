/**
 * Channel targets for the local pool (sv2.md §6.4, §6.5): the initial target from a nominal hash
 * rate and a wanted share rate, as SRI's pool computes it (`(2^256 − h·s) / (h·s + 1)`, capped by the
 * client's max_target), and a small SetTarget-based vardiff that re-estimates the hash rate from
 * accepted shares. Pure: time comes in as arguments.
 */
import { MAX_TARGET, targetToDifficulty } from '../../bitcoin/target.js';

const TWO_256 = 1n << 256n;
/** Hashes behind one difficulty-1 share: 2^256 / (diff-1 target + 1) ≈ 2^32. */
const HASHES_PER_DIFF1 = 2 ** 32;

/**
 * The target at which a miner of `hashRate` H/s finds `sharesPerMinute` shares on average.
 * hashRate <= 0 (or not finite) gives the easiest target, as SRI does for a zero rate.
 */
export function hashrateToTarget(hashRate: number, sharesPerMinute: number): bigint {
  if (!(sharesPerMinute > 0)) throw new RangeError(`shares per minute must be > 0, got ${sharesPerMinute}`);
  if (!(hashRate > 0) || !Number.isFinite(hashRate)) return MAX_TARGET;
  const hashesPerShare = BigInt(Math.max(1, Math.round(hashRate * (60 / sharesPerMinute))));
  if (hashesPerShare >= TWO_256) return 0n;
  const target = (TWO_256 - hashesPerShare) / (hashesPerShare + 1n);
  return target > MAX_TARGET ? MAX_TARGET : target;
}

/** min(a, b) for targets: the harder one. */
export function harderTarget(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

interface VardiffOptions {
  readonly sharesPerMinute: number;
  /** Only retarget when the observed rate is outside [1/tolerance, tolerance] × the wanted rate. */
  readonly tolerance?: number;
}

/** A retarget decision: undefined when the current target is good enough. */
type VardiffDecision = { readonly target: bigint; readonly estimatedHashRate: number } | undefined;

/**
 * Per-channel vardiff window. `recordShare` on every accepted share (with the difficulty it was
 * credited at), `evaluate` on a timer; every evaluation starts a new window.
 */
export class VardiffState {
  private windowStartMs: number;
  private shares = 0;
  private work = 0;
  private readonly sharesPerMinute: number;
  private readonly tolerance: number;

  constructor(nowMs: number, options: VardiffOptions) {
    if (!(options.sharesPerMinute > 0))
      throw new RangeError(`shares per minute must be > 0, got ${options.sharesPerMinute}`);
    this.windowStartMs = nowMs;
    this.sharesPerMinute = options.sharesPerMinute;
    this.tolerance = options.tolerance ?? 2;
  }

  recordShare(difficulty: number): void {
    this.shares++;
    this.work += difficulty;
  }

  /** Starts a fresh window (after a target change from UpdateChannel). */
  reset(nowMs: number): void {
    this.windowStartMs = nowMs;
    this.shares = 0;
    this.work = 0;
  }

  evaluate(nowMs: number, currentTarget: bigint, maxTarget: bigint): VardiffDecision {
    const seconds = (nowMs - this.windowStartMs) / 1000;
    if (seconds <= 0) return undefined;
    const shares = this.shares;
    const work = this.work;
    // Each evaluation consumes its window, so the next one measures only what came after.
    this.reset(nowMs);
    const observed = (shares * 60) / seconds;
    const low = this.sharesPerMinute / this.tolerance;
    const high = this.sharesPerMinute * this.tolerance;
    if (observed >= low && observed <= high) return undefined;
    // No shares at all: we only know the rate is below one share per window, so halve the
    // difficulty the channel currently has (estimate from the current target, not from zero).
    const estimatedHashRate =
      shares === 0
        ? (targetToDifficulty(currentTarget) * HASHES_PER_DIFF1 * this.sharesPerMinute) / 60 / 2
        : (work * HASHES_PER_DIFF1) / seconds;
    const target = harderTarget(hashrateToTarget(estimatedHashRate, this.sharesPerMinute), maxTarget);
    if (target === currentTarget) return undefined;
    return { target, estimatedHashRate };
  }
}
