/**
 * Host-side nonce validation (bm13xx.md §9, sv2.md §6.3-§6.4): rebuild the header a chip hashed,
 * sha256d it, and judge it against the chip target (health, hashrate) and the job's share target
 * (pool-worthy). The verdict is a value; nothing here throws for a bad nonce.
 * Stale detection (work retired by a clean job) is the dispatcher's job, before this runs.
 */
import type { NonceResult } from '../../drivers/types.js';
import { HeaderHasher } from '../bitcoin/header.js';
import { hashToDifficulty, leBytesToBigInt, nbitsToTarget } from '../bitcoin/target.js';
import type { Job, Share } from './job.js';

type ShareVerdict =
  /** The hash misses the chip target, or the chip changed version bits it may not roll. */
  | { readonly kind: 'hw-error'; readonly reason: 'above-chip-target' | 'version-outside-mask' }
  /** A good chip nonce, but below the pool's difficulty: counts for hashrate only. */
  | { readonly kind: 'chip-only'; readonly difficulty: number }
  /** Meets the job's share target: submit it. `block` when it also meets the nbits target. */
  | { readonly kind: 'share'; readonly share: Share; readonly difficulty: number; readonly block: boolean };

/**
 * Judges one nonce. `chipTarget` is what the chain's chips enforce (target.ts ticketTarget, relaxed
 * for simulated boards). The header is built from `result.work` (what the chip really hashed) with
 * the version and nonce the chip reported; `job` supplies the ids and the share target.
 */
export function checkNonce(
  result: NonceResult,
  job: Job,
  chipTarget: bigint,
  hasher: HeaderHasher = sharedHasher,
): ShareVerdict {
  const work = result.work;
  // Rolled bits must stay inside the job's mask, or the pool answers invalid-non-rollable-version-bit
  // (sv2.md §6.7); a chip that does this is misbehaving, so it counts against the chip.
  if (((result.version ^ job.version) & ~job.versionMask) !== 0) {
    return { kind: 'hw-error', reason: 'version-outside-mask' };
  }
  const hash = hasher.hash(work, result.version, result.nonce);
  const value = leBytesToBigInt(hash);
  if (value > chipTarget) return { kind: 'hw-error', reason: 'above-chip-target' };
  const difficulty = hashToDifficulty(hash);
  if (value > job.target) return { kind: 'chip-only', difficulty };
  const share: Share = {
    pool: job.pool,
    channelId: job.channelId,
    jobId: job.jobId,
    nonce: result.nonce >>> 0,
    ntime: work.ntime >>> 0,
    version: result.version >>> 0,
    difficulty,
    foundAt: result.receivedAt,
  };
  return { kind: 'share', share, difficulty, block: value <= blockTarget(work.nbits) };
}

const sharedHasher = new HeaderHasher();

// nbits changes once per block; caching the last conversion keeps bigint shifts off the nonce path.
let lastNbits = -1;
let lastBlockTarget = 0n;
function blockTarget(nbits: number): bigint {
  if (nbits !== lastNbits) {
    lastBlockTarget = nbitsToTarget(nbits);
    lastNbits = nbits;
  }
  return lastBlockTarget;
}
