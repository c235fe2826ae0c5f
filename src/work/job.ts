/**
 * The upstream seam: what the mining client hands the work pipeline (a Job, the moment it becomes
 * active) and what the pipeline hands back (a Share). Pure data; no sockets, no chips.
 * Hashes are in block-header byte order, exactly as SV2 carries U256 values (sv2.md §6.3).
 *
 * A job is either standard (the pool fixed the merkle root) or extended (the pool sent a
 * coinbase split and merkle path; the pipeline rolls the miner's extranonce and builds one merkle
 * root per extranonce). A share of an extended job carries the extranonce it was found with.
 */

interface JobCommon {
  /** Stable key of the pool connection this job came from (its URL). */
  readonly pool: string;
  readonly channelId: number;
  readonly jobId: number;
  readonly version: number;
  /** Bits the miner may roll (0 when the pool does not allow version rolling). */
  readonly versionMask: number;
  /** 32 bytes, header order. */
  readonly prevHash: Uint8Array;
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

/** A standard-channel job: one merkle root, no extranonce to roll. */
export interface StandardJob extends JobCommon {
  /** 32 bytes, header order. */
  readonly merkleRoot: Uint8Array;
  readonly extended?: undefined;
}

/**
 * What an extended job lets the miner build: coinbase = coinbasePrefix | extranoncePrefix |
 * miner extranonce (extranonceSize bytes) | coinbaseSuffix, the merkle root from its txid and
 * merklePath (spec 05 §5.3.17).
 */
export interface ExtendedTemplate {
  readonly coinbasePrefix: Uint8Array;
  readonly coinbaseSuffix: Uint8Array;
  /** Sibling hashes from the coinbase up, 32 bytes each, internal order. */
  readonly merklePath: readonly Uint8Array[];
  /** The pool's part of the extranonce, fixed for this job (SetExtranoncePrefix applies to later jobs). */
  readonly extranoncePrefix: Uint8Array;
  /** Bytes the miner rolls after the prefix: the channel's extranonce_size. */
  readonly extranonceSize: number;
}

/** An extended-channel job: the pipeline rolls the extranonce and builds the merkle roots. */
export interface ExtendedJob extends JobCommon {
  readonly extended: ExtendedTemplate;
  readonly merkleRoot?: undefined;
}

export type Job = StandardJob | ExtendedJob;

/** A header the pipeline proved meets the job's target; the client submits it. */
export interface Share {
  readonly pool: string;
  readonly channelId: number;
  readonly jobId: number;
  readonly nonce: number;
  readonly ntime: number;
  readonly version: number;
  /** The miner's extranonce (extranonceSize bytes) the header's merkle root was built with; extended jobs only. */
  readonly extranonce?: Uint8Array;
  /** Difficulty of the hash (for counters and best-share tracking). */
  readonly difficulty: number;
  /** Monotonic ms when the nonce came off the chip (for latency figures). */
  readonly foundAt: number;
}
