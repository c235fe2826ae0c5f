/**
 * The hot path between work and chips, kept apart from chain bring-up: ChipWork -> job frame
 * (bm13xx.md §7.1 full header, §7.2 host midstates for the BM1397, §7.3 version stepping) and a
 * decoded nonce reply -> NonceResult with the rolled version merged under the mask (§2.3, §13).
 * Pure apart from the id allocator the chain passes in.
 */

import { sha256Midstate } from '../../src/bitcoin/sha256-midstate.js';
import type { ChipWork, NonceResult } from '../types.js';
import type { ChipSpec } from './chips.js';
import { jobFull, jobMidstate } from './commands.js';
import { headerPrefix, stepVersion } from './midstate.js';
import type { NonceReply } from './replies.js';

/** What the ring remembers about a job on the chips. */
export interface SentJob {
  readonly work: ChipWork;
  /** Version per midstate slot (BM1397), or the single version sent (full-header chips). */
  readonly versions: readonly number[];
}

/** Build the job frame for `work`; `takeId` allocates the chip job id for the SentJob. */
export function buildJob(spec: ChipSpec, work: ChipWork, takeId: (sent: SentJob) => number): Uint8Array {
  const mask = work.versionMask >>> 0;
  if (spec.jobFormat === 'full') {
    // §13: rolling is only verified with the mask bits clear in the sent version.
    const version = (work.version & ~mask) >>> 0;
    const jobId = takeId({ work, versions: [version] });
    return jobFull({
      jobId,
      nbits: work.nbits,
      ntime: work.ntime,
      merkleRoot: work.merkleRoot,
      prevHash: work.prevHash,
      version,
    });
  }
  // BM1397: 4 host-rolled midstates when the pool allows rolling, else 1 (§7.2).
  const count = mask === 0 ? 1 : 4;
  const versions = Array.from({ length: count }, (_, k) => stepVersion(work.version, mask, k));
  const midstates = versions.map((v) => sha256Midstate(headerPrefix(v, work.prevHash, work.merkleRoot)));
  const jobId = takeId({ work, versions });
  return jobMidstate({
    jobId,
    nbits: work.nbits,
    ntime: work.ntime,
    merkle4: work.merkleRoot.subarray(28, 32),
    midstates,
  });
}

/** NonceResult for a reply whose job id was found; undefined if it names a midstate never sent. */
export function nonceResult(
  chain: number,
  sent: SentJob,
  reply: NonceReply,
  chipIndex: number | undefined,
  receivedAt: number,
): NonceResult | undefined {
  const mask = sent.work.versionMask >>> 0;
  let version: number | undefined;
  if (sent.versions.length > 1 || reply.versionField === undefined) {
    // BM1397 (midstate index in the result header) or a 9-byte reply without a version field.
    version = sent.versions.length > 1 ? sent.versions[reply.subcore] : sent.versions[0];
  } else {
    version = (((sent.versions[0] ?? 0) & ~mask) | (reply.rolledBits & mask)) >>> 0;
  }
  if (version === undefined) return undefined;
  return { chain, work: sent.work, nonce: reply.nonce, version, chipIndex, coreId: reply.coreId, receivedAt };
}
