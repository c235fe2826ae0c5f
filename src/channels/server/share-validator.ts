/**
 * Server-side check of one SubmitSharesStandard against the job it names (sv2.md §5.3, §6.3–§6.7):
 * ntime window, non-rollable version bits, the rebuilt 80-byte header's sha256d against the job's
 * target (H <= T) and against nbits (block). Job lookup, staleness and duplicates are the channel's
 * business (channel.ts); this part is pure and the same for every channel.
 */
import { buildHeader, HEADER_LENGTH } from '../../bitcoin/header.js';
import { sha256d } from '../../bitcoin/sha256d.js';
import { leBytesToBigInt, nbitsToTarget, targetToDifficulty } from '../../bitcoin/target.js';

/** SubmitShares.Error codes this pool sends: SRI's strings (sv2.md §5.3). */
const SHARE_ERROR_CODES = [
  'invalid-channel-id',
  'stale-share',
  'invalid-job-id',
  'invalid-share',
  'invalid-non-rollable-version-bit',
  'difficulty-too-low',
  'duplicate-share',
  'bad-extranonce-size',
] as const;
export type ShareErrorCode = (typeof SHARE_ERROR_CODES)[number];

/** What a share is checked against: the job plus the chain tip it belongs to. */
export interface ShareWork {
  readonly version: number;
  readonly prevHash: Uint8Array;
  readonly merkleRoot: Uint8Array;
  readonly nbits: number;
  /** The job's min_ntime (SetNewPrevHash.min_ntime for an activated future job). */
  readonly minNtime: number;
  /** Largest ntime accepted now (spec: min_ntime + seconds since the prev hash, plus leeway). */
  readonly maxNtime: number;
  readonly versionMask: number;
  /** The target the job was sent with (SetTarget does not retarget sent jobs, sv2.md §6.5). */
  readonly target: bigint;
}

interface SubmittedHeaderFields {
  readonly nonce: number;
  readonly ntime: number;
  readonly version: number;
}

type ShareCheck =
  | {
      readonly kind: 'valid';
      /** sha256d of the header, wire order. */
      readonly hash: Uint8Array;
      /** Difficulty credited for the share: that of the job target (what SRI credits). */
      readonly creditedDifficulty: number;
      /** True when the hash also meets the nbits target. */
      readonly block: boolean;
    }
  | { readonly kind: 'rejected'; readonly code: ShareErrorCode; readonly detail: string };

const scratch = new Uint8Array(HEADER_LENGTH);

export function checkShare(share: SubmittedHeaderFields, work: ShareWork): ShareCheck {
  // SRI rejects ntime below min_ntime with invalid-share; the upper bound is the spec's (§6.6).
  if (share.ntime < work.minNtime)
    return reject('invalid-share', `ntime ${share.ntime} is below min_ntime ${work.minNtime}`);
  if (share.ntime > work.maxNtime)
    return reject('invalid-share', `ntime ${share.ntime} is after the allowed maximum ${work.maxNtime}`);
  const fixedBits = ~work.versionMask >>> 0;
  if (((share.version ^ work.version) & fixedBits) >>> 0 !== 0)
    return reject(
      'invalid-non-rollable-version-bit',
      `version 0x${hex32(share.version)} changes bits outside mask 0x${hex32(work.versionMask)} of job version 0x${hex32(work.version)}`,
    );
  const header = buildHeader(
    {
      version: share.version,
      prevHash: work.prevHash,
      merkleRoot: work.merkleRoot,
      ntime: share.ntime,
      nbits: work.nbits,
      nonce: share.nonce,
    },
    scratch,
  );
  const hash = sha256d(header);
  const value = leBytesToBigInt(hash);
  const block = value <= nbitsToTarget(work.nbits);
  // A block solution is accepted whatever the channel target (it is always harder in practice).
  if (!block && value > work.target)
    return reject('difficulty-too-low', 'header hash is above the job target');
  return { kind: 'valid', hash, creditedDifficulty: targetToDifficulty(work.target), block };
}

function reject(code: ShareErrorCode, detail: string): ShareCheck {
  return { kind: 'rejected', code, detail };
}

function hex32(v: number): string {
  return (v >>> 0).toString(16).padStart(8, '0');
}
