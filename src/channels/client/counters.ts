/**
 * Share counters per pool (sv2.md §6.8): every submitted share ends in exactly one bucket,
 * accepted, rejected (by the pool's error code) or unacknowledged (connection lost before any
 * answer), so `submitted = accepted + rejected + unacknowledged + in flight`. Stale shares are
 * caught locally and never submitted, so they are counted apart, by reason.
 */

export interface ShareCounters {
  submitted: number;
  accepted: number;
  /**
   * Sum of SubmitShares.Success.new_shares_sum: the difficulty the pool says it credited. SRI
   * truncates each batch's sum to an integer, so below difficulty 1 this stays 0.
   */
  creditedWork: number;
  /**
   * Our own sum of the target difficulties of the shares each Success settled (sv2.md §6.8:
   * the difficulty credited per share is its job's target), exact below difficulty 1.
   */
  acceptedDifficulty: number;
  rejected: number;
  /** Target difficulties of the shares the pool rejected (a late Error moves one from accepted). */
  rejectedDifficulty: number;
  /** Target difficulty of the last share submitted, 0 before the first. */
  lastShareDifficulty: number;
  rejectedByReason: Record<string, number>;
  /** Not submitted: job no longer valid, connection down, wrong pool or channel. */
  stale: number;
  staleByReason: Record<string, number>;
  /** Submitted, but the connection ended (or the ledger overflowed) before the pool answered. */
  unacknowledged: number;
  /** Success batches whose new_submits_accepted_count differed from what we matched. */
  ackMismatches: number;
}

export function emptyCounters(): ShareCounters {
  return {
    submitted: 0,
    accepted: 0,
    creditedWork: 0,
    acceptedDifficulty: 0,
    rejected: 0,
    rejectedDifficulty: 0,
    lastShareDifficulty: 0,
    rejectedByReason: reasonTable(),
    stale: 0,
    staleByReason: reasonTable(),
    unacknowledged: 0,
    ackMismatches: 0,
  };
}

// No prototype: a pool that sends the error code "__proto__" or "constructor" gets an ordinary key.
function reasonTable(): Record<string, number> {
  return Object.create(null) as Record<string, number>;
}

/** Distinct reasons kept per table; error codes are free-form pool text, so the table is bounded. */
const MAX_REASONS = 32;

export function countReason(table: Record<string, number>, reason: string): void {
  const key = Object.hasOwn(table, reason) || Object.keys(table).length < MAX_REASONS ? reason : 'other';
  table[key] = (table[key] ?? 0) + 1;
}

/** A deep copy for status snapshots, so API callers never hold live references. */
export function copyCounters(c: ShareCounters): ShareCounters {
  return {
    ...c,
    rejectedByReason: Object.assign(reasonTable(), c.rejectedByReason),
    staleByReason: Object.assign(reasonTable(), c.staleByReason),
  };
}

/** The sum of two counter sets; `b` is the newer (a live client's counters over retired ones). */
export function addCounters(a: ShareCounters, b: ShareCounters): ShareCounters {
  const sum = (x: Record<string, number>, y: Record<string, number>): Record<string, number> => {
    // Prototype-free like reasonTable(): a reason named "__proto__" must add up like any other.
    const out = reasonTable();
    for (const [k, v] of [...Object.entries(x), ...Object.entries(y)]) out[k] = (out[k] ?? 0) + v;
    return out;
  };
  return {
    submitted: a.submitted + b.submitted,
    accepted: a.accepted + b.accepted,
    creditedWork: a.creditedWork + b.creditedWork,
    acceptedDifficulty: a.acceptedDifficulty + b.acceptedDifficulty,
    rejected: a.rejected + b.rejected,
    rejectedDifficulty: a.rejectedDifficulty + b.rejectedDifficulty,
    // b is the newer of the two (the live client over the retired ones).
    lastShareDifficulty: b.submitted > 0 ? b.lastShareDifficulty : a.lastShareDifficulty,
    rejectedByReason: sum(a.rejectedByReason, b.rejectedByReason),
    stale: a.stale + b.stale,
    staleByReason: sum(a.staleByReason, b.staleByReason),
    unacknowledged: a.unacknowledged + b.unacknowledged,
    ackMismatches: a.ackMismatches + b.ackMismatches,
  };
}
