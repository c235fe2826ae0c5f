/**
 * The simulated chain behind the local pool: a deterministic prev-hash chain ("blocks" every N s or
 * when a share meets nbits), a fixed nbits, and per-channel merkle roots derived from channel id,
 * extranonce prefix and a counter. Nothing here is a real block, but every value is a well-formed
 * SV2 U256 / U32 (sv2.md §5.2, §6.3) and shares are validated against exactly these bytes.
 */
import { sha256d } from '../bitcoin/sha256d.js';

/** A mainnet-like nbits (difficulty ≈ 8·10^13): the demo never finds a block with it. */
export const DEFAULT_NBITS = 0x17027726;
/** Base version: BIP9 top bits 001 and nothing else, as real templates carry. */
export const DEFAULT_JOB_VERSION = 0x20000000;

export interface ChainTip {
  readonly height: number;
  /** 32 bytes, header (wire) order. */
  readonly prevHash: Uint8Array;
  readonly nbits: number;
  /** Unix seconds: the header timestamp miners start from (SetNewPrevHash.min_ntime). */
  readonly minNtime: number;
}

const TAG = new TextEncoder().encode('sv2miner local pool');

function u32le(v: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, v >>> 0, true);
  return out;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * A fake block hash: sha256d of the previous one and the height, with the top 4 bytes of the
 * integer (the last 4 wire bytes) zeroed so it looks like a real block hash in explorers' order.
 */
export function nextPrevHash(previous: Uint8Array, height: number): Uint8Array {
  const h = sha256d(concat([TAG, previous, u32le(height)]));
  h.fill(0, 28);
  return h;
}

/** Deterministic merkle root for one job of one channel. */
export function deriveMerkleRoot(
  channelId: number,
  extranoncePrefix: Uint8Array,
  counter: number,
  prevHash: Uint8Array,
): Uint8Array {
  return sha256d(concat([TAG, u32le(channelId), extranoncePrefix, u32le(counter), prevHash]));
}

export interface JobSourceOptions {
  readonly nbits?: number;
  readonly version?: number;
  /** Unix seconds. */
  readonly nowSec: () => number;
  /** Seeds the genesis prev hash (different pools, different chains). */
  readonly seed?: Uint8Array;
}

/** Holds the current tip; `advance` makes the next simulated block. */
export class JobSource {
  readonly nbits: number;
  readonly version: number;
  private readonly nowSec: () => number;
  private current: ChainTip;

  constructor(options: JobSourceOptions) {
    this.nbits = options.nbits ?? DEFAULT_NBITS;
    this.version = options.version ?? DEFAULT_JOB_VERSION;
    this.nowSec = options.nowSec;
    const genesis = nextPrevHash(options.seed ?? new Uint8Array(32), 0);
    this.current = { height: 1, prevHash: genesis, nbits: this.nbits, minNtime: options.nowSec() };
  }

  get tip(): ChainTip {
    return this.current;
  }

  /**
   * Moves to a new block. `foundHash` (a share that met nbits) becomes the new prev hash, as it
   * would on a real chain; otherwise the next hash of the fake chain is used.
   */
  advance(foundHash?: Uint8Array): ChainTip {
    const prev = this.current;
    const prevHash =
      foundHash === undefined ? nextPrevHash(prev.prevHash, prev.height + 1) : foundHash.slice();
    // A new block's time may not go backwards (median-time-past in spirit).
    const minNtime = Math.max(this.nowSec(), prev.minNtime + 1);
    this.current = { height: prev.height + 1, prevHash, nbits: this.nbits, minNtime };
    return this.current;
  }

  /** ntime an active job announces now: the tip time, or the wall clock if later. */
  activeNtime(): number {
    return Math.max(this.current.minNtime, this.nowSec());
  }
}
