/**
 * Per-channel share ledger (sv2.md §6.8): strictly increasing sequence numbers (mod 2^32, from 0),
 * the map seq -> share in flight, batched SubmitShares.Success (every seq <= last_sequence_number,
 * serial-number arithmetic) and per-share SubmitShares.Error. Pure: no sockets, time passed in.
 * A late Error for a share already acknowledged moves it from accepted to rejected.
 */

export interface PendingShare {
  readonly seq: number;
  readonly jobId: number;
  /** What the pool credits for it: its job's target difficulty (not the hash's own difficulty). */
  readonly difficulty: number;
  readonly sentAt: number;
}

interface AckResult {
  readonly accepted: readonly PendingShare[];
  /** What the pool says it accepted in this batch. */
  readonly reportedCount: number;
  readonly mismatch: boolean;
  /** sentAt -> now of the share named by last_sequence_number, if we still had it. */
  readonly roundTripMs: number | undefined;
}

export type RejectResult =
  | { readonly kind: 'rejected'; readonly share: PendingShare }
  /** The pool rejected a share it had already acknowledged in a batch. */
  | { readonly kind: 'rejected-after-ack'; readonly share: PendingShare }
  | { readonly kind: 'unknown' };

const HALF = 2 ** 31;

/** a <= b in 32-bit serial-number arithmetic (RFC 1982 style): survives the 2^32 wrap. */
export function seqLe(a: number, b: number): boolean {
  return (b - a) >>> 0 < HALF;
}

interface ShareLedgerOptions {
  /** Shares in flight before the oldest is written off as unacknowledged. Default 4096. */
  readonly maxPending?: number;
  /** Acknowledged shares remembered for late Errors. Default 1024. */
  readonly recentAcked?: number;
  /** First sequence number (tests of the wrap). Default 0. */
  readonly firstSequence?: number;
}

export class ShareLedger {
  private nextSeq: number;
  private readonly pending = new Map<number, PendingShare>();
  private readonly acked = new Map<number, PendingShare>();
  private readonly maxPending: number;
  private readonly recentAcked: number;

  constructor(options: ShareLedgerOptions = {}) {
    this.nextSeq = (options.firstSequence ?? 0) >>> 0;
    this.maxPending = options.maxPending ?? 4096;
    this.recentAcked = options.recentAcked ?? 1024;
  }

  get inFlight(): number {
    return this.pending.size;
  }

  /**
   * Assigns the next sequence number and records the share. Returns the share written off to
   * make room (a pool that never acknowledges), if any.
   */
  record(jobId: number, difficulty: number, sentAt: number): { seq: number; evicted?: PendingShare } {
    const seq = this.nextSeq;
    this.nextSeq = (seq + 1) >>> 0;
    this.pending.set(seq, { seq, jobId, difficulty, sentAt });
    if (this.pending.size <= this.maxPending) return { seq };
    const oldest = this.pending.keys().next().value;
    if (oldest === undefined) return { seq };
    const evicted = this.pending.get(oldest);
    this.pending.delete(oldest);
    return evicted === undefined ? { seq } : { seq, evicted };
  }

  /** SubmitShares.Success: every in-flight seq <= last is accepted. */
  acknowledge(lastSeq: number, reportedCount: number, now: number): AckResult {
    const accepted: PendingShare[] = [];
    let roundTripMs: number | undefined;
    // Insertion order = sequence order, so stop at the first share newer than lastSeq.
    for (const [seq, share] of this.pending) {
      if (!seqLe(seq, lastSeq)) break;
      this.pending.delete(seq);
      accepted.push(share);
      this.remember(share);
      if (seq === lastSeq) roundTripMs = now - share.sentAt;
    }
    return { accepted, reportedCount, mismatch: reportedCount !== accepted.length, roundTripMs };
  }

  /** SubmitShares.Error for one sequence number. */
  reject(seq: number): RejectResult {
    const share = this.pending.get(seq);
    if (share !== undefined) {
      this.pending.delete(seq);
      return { kind: 'rejected', share };
    }
    const late = this.acked.get(seq);
    if (late !== undefined) {
      this.acked.delete(seq);
      return { kind: 'rejected-after-ack', share: late };
    }
    return { kind: 'unknown' };
  }

  /** Removes one share in flight (its write failed): it will never be answered. */
  forget(seq: number): PendingShare | undefined {
    const share = this.pending.get(seq);
    this.pending.delete(seq);
    return share;
  }

  /** The connection or channel is gone: everything in flight will never be answered. */
  drain(): PendingShare[] {
    const all = [...this.pending.values()];
    this.pending.clear();
    this.acked.clear();
    return all;
  }

  private remember(share: PendingShare): void {
    this.acked.set(share.seq, share);
    if (this.acked.size > this.recentAcked) {
      const oldest = this.acked.keys().next().value;
      if (oldest !== undefined) this.acked.delete(oldest);
    }
  }
}
