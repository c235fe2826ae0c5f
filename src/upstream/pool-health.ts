/**
 * Per-pool health scoring (issue 12): a pool is judged by the useful work it delivers, so every
 * protocol violation it commits (a message of an unknown type, one for a channel, job or share we
 * do not have, prev hashes faster than any chain produces blocks) is counted by kind and added to a
 * leaky-bucket score. Once the score crosses the bound the session fails over. The leak lets a
 * healthy pool's rare oddity (an extension message we do not speak) fade; a pool that keeps it up
 * crosses the bound within about a minute. Pure: time is passed in.
 */

export type ViolationKind =
  | 'unknown-message'
  | 'unexpected-message'
  | 'unknown-channel'
  | 'unknown-job'
  | 'unknown-share'
  | 'prev-hash-churn';

/** Score at which the session is dropped. */
const MAX_VIOLATION_SCORE = 60;
/** One point leaks away per this many ms: a violation a second never reaches the bound alone. */
export const VIOLATION_LEAK_MS = 1_000;

export class PoolHealth {
  private scoreNow = 0;
  private lastAt: number | undefined;
  readonly bound: number;
  /** Cumulative by kind, shared with the pool's status (the client's slot owns it). */
  readonly byKind: Record<string, number>;

  constructor(byKind: Record<string, number>, bound = MAX_VIOLATION_SCORE) {
    this.byKind = byKind;
    this.bound = bound;
  }

  /** Counts one violation; true when the score has now crossed the bound. */
  note(kind: ViolationKind, now: number): boolean {
    this.byKind[kind] = (this.byKind[kind] ?? 0) + 1;
    this.scoreNow = this.score(now) + 1;
    this.lastAt = now;
    return this.scoreNow > this.bound;
  }

  score(now: number): number {
    if (this.lastAt === undefined) return 0;
    return Math.max(0, this.scoreNow - (now - this.lastAt) / VIOLATION_LEAK_MS);
  }
}

/** A prototype-free table of violations by kind (a kind is our own word, but keep it uniform). */
export function violationTable(): Record<string, number> {
  return Object.create(null) as Record<string, number>;
}

/** The sum of two tables (retired clients' counts plus the live one's). */
export function addViolations(
  a: Readonly<Record<string, number>>,
  b: Readonly<Record<string, number>>,
): Record<string, number> {
  const out = violationTable();
  for (const [k, n] of [...Object.entries(a), ...Object.entries(b)]) out[k] = (out[k] ?? 0) + n;
  return out;
}
