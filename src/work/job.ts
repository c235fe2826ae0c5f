/**
 * The upstream seam: what the mining client hands the work pipeline (a Job, the moment it becomes
 * active) and what the pipeline hands back (a Share). Pure data; no sockets, no chips.
 * Hashes are in block-header byte order, exactly as SV2 carries U256 values (sv2.md §6.3).
 */

export interface Job {
  /** Stable key of the pool connection this job came from (its URL). */
  readonly pool: string;
  readonly channelId: number;
  readonly jobId: number;
  readonly version: number;
  /** Bits the miner may roll (0 when the pool does not allow version rolling). */
  readonly versionMask: number;
  /** 32 bytes, header order. */
  readonly prevHash: Uint8Array;
  /** 32 bytes, header order. */
  readonly merkleRoot: Uint8Array;
  /** The ntime to start from (SetNewPrevHash.min_ntime or the job's min_ntime). */
  readonly ntime: number;
  /** Largest ntime the miner may roll to (pool rule; sv2.md §6.6). */
  readonly maxNtime: number;
  readonly nbits: number;
  /** Share target for this job as a 256-bit little-endian integer. */
  readonly target: bigint;
  /** True when this job follows a new prev hash: all earlier work is stale. */
  readonly clean: boolean;
}

/** A header the pipeline proved meets the job's target; the client submits it. */
export interface Share {
  readonly pool: string;
  readonly channelId: number;
  readonly jobId: number;
  readonly nonce: number;
  readonly ntime: number;
  readonly version: number;
  /** Difficulty of the hash (for counters and best-share tracking). */
  readonly difficulty: number;
  /** Monotonic ms when the nonce came off the chip (for latency figures). */
  readonly foundAt: number;
}

export type ShareOutcome =
  | { readonly kind: 'accepted' }
  | { readonly kind: 'rejected'; readonly reason: string }
  | { readonly kind: 'stale'; readonly reason: string };
