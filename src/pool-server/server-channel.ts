/**
 * One standard channel as the local pool sees it (sv2.md §5.2, §6.2, §6.5, §6.8): jobs sent under
 * the current prev hash (future job + SetNewPrevHash, then active jobs), staleness, duplicates by
 * header hash, the per-job target, and batched SubmitShares.Success accounting. Builds the message
 * values to send; the connection handler encodes them. Like SRI's server StandardChannel.
 */

import { bigIntToLeBytes } from '../bitcoin/target.js';
import type { MessageFields } from '../sv2/messages/registry.js';
import { type ChainTip, deriveMerkleRoot } from './job-source.js';
import { checkShare, type ShareErrorCode } from './share-validator.js';
import type { VardiffState } from './vardiff.js';

/** Jobs kept per prev hash; older ones answer stale-share. */
const MAX_LIVE_JOBS = 64;
/** Header hashes remembered for duplicate detection (cleared on every new prev hash). */
const MAX_SEEN = 100_000;

interface ServerJob {
  readonly jobId: number;
  readonly version: number;
  readonly merkleRoot: Uint8Array;
  readonly minNtime: number;
  readonly target: bigint;
}

export interface ServerChannelInit {
  readonly channelId: number;
  readonly groupChannelId: number;
  readonly userIdentity: string;
  readonly extranoncePrefix: Uint8Array;
  readonly target: bigint;
  readonly maxTarget: bigint;
  readonly nominalHashRate: number;
  readonly version: number;
  readonly versionMask: number;
  readonly shareBatchSize: number;
  readonly ntimeLeewaySec: number;
  readonly vardiff: VardiffState | undefined;
}

export type Outgoing =
  | { readonly name: 'NewMiningJob'; readonly fields: MessageFields<'NewMiningJob'> }
  | { readonly name: 'SetNewPrevHash'; readonly fields: MessageFields<'SetNewPrevHash'> }
  | { readonly name: 'SetTarget'; readonly fields: MessageFields<'SetTarget'> }
  | { readonly name: 'SubmitShares.Success'; readonly fields: MessageFields<'SubmitShares.Success'> }
  | { readonly name: 'SubmitShares.Error'; readonly fields: MessageFields<'SubmitShares.Error'> };

export type SubmitOutcome =
  | {
      readonly kind: 'accepted';
      readonly hash: Uint8Array;
      readonly creditedDifficulty: number;
      readonly block: boolean;
      /** The batch acknowledgement, when this share completed a batch (or found a block). */
      readonly ack: Outgoing | undefined;
    }
  | {
      readonly kind: 'rejected';
      readonly code: ShareErrorCode;
      readonly detail: string;
      readonly reply: Outgoing;
    };

export interface SubmittedShare {
  readonly sequence_number: number;
  readonly job_id: number;
  readonly nonce: number;
  readonly ntime: number;
  readonly version: number;
}

export class ServerChannel {
  readonly channelId: number;
  readonly groupChannelId: number;
  readonly userIdentity: string;
  readonly extranoncePrefix: Uint8Array;
  readonly versionMask: number;
  readonly vardiff: VardiffState | undefined;
  target: bigint;
  maxTarget: bigint;
  nominalHashRate: number;
  private readonly version: number;
  private readonly shareBatchSize: number;
  private readonly ntimeLeewaySec: number;
  private tip: ChainTip | undefined;
  private readonly jobs = new Map<number, ServerJob>();
  private nextJobId = 1;
  /** Every job id below this was issued under an older prev hash or evicted: stale. */
  private staleBelow = 1;
  private readonly seen = new Set<string>();
  private jobCounter = 0;
  private pendingCount = 0;
  private pendingSum = 0;
  private lastSequence = 0;

  constructor(init: ServerChannelInit) {
    this.channelId = init.channelId;
    this.groupChannelId = init.groupChannelId;
    this.userIdentity = init.userIdentity;
    this.extranoncePrefix = init.extranoncePrefix;
    this.target = init.target;
    this.maxTarget = init.maxTarget;
    this.nominalHashRate = init.nominalHashRate;
    this.version = init.version;
    this.versionMask = init.versionMask;
    this.shareBatchSize = Math.max(1, init.shareBatchSize);
    this.ntimeLeewaySec = init.ntimeLeewaySec;
    this.vardiff = init.vardiff;
  }

  /** A new prev hash: a future job, then SetNewPrevHash activating it; all older jobs go stale. */
  onNewTip(tip: ChainTip): Outgoing[] {
    this.tip = tip;
    this.staleBelow = this.nextJobId;
    this.jobs.clear();
    this.seen.clear();
    const job = this.makeJob(tip, tip.minNtime);
    return [
      this.jobMessage(job, null),
      {
        name: 'SetNewPrevHash',
        fields: {
          channel_id: this.channelId,
          job_id: job.jobId,
          prev_hash: tip.prevHash,
          min_ntime: tip.minNtime,
          nbits: tip.nbits,
        },
      },
    ];
  }

  /** A new active job on the current prev hash (min_ntime set); undefined before any tip. */
  newActiveJob(ntime: number): Outgoing | undefined {
    const tip = this.tip;
    if (tip === undefined) return undefined;
    const job = this.makeJob(tip, Math.max(ntime, tip.minNtime));
    return this.jobMessage(job, job.minNtime);
  }

  /** Changes the channel target for jobs sent from now on (sv2.md §6.5). */
  retarget(target: bigint): Outgoing {
    this.target = target;
    return {
      name: 'SetTarget',
      fields: { channel_id: this.channelId, maximum_target: bigIntToLeBytes(target) },
    };
  }

  submit(share: SubmittedShare, nowSec: number): SubmitOutcome {
    const jobId = share.job_id >>> 0;
    const job = this.jobs.get(jobId);
    const tip = this.tip;
    if (job === undefined || tip === undefined) {
      if (jobId >= 1 && jobId < this.staleBelow)
        return this.rejected(share, 'stale-share', `job ${jobId} belongs to an older prev hash`);
      return this.rejected(share, 'invalid-job-id', `job ${jobId} was never sent on this channel`);
    }
    const check = checkShare(share, {
      version: job.version,
      prevHash: tip.prevHash,
      merkleRoot: job.merkleRoot,
      nbits: tip.nbits,
      minNtime: job.minNtime,
      maxNtime: Math.max(job.minNtime, nowSec) + this.ntimeLeewaySec,
      versionMask: this.versionMask,
      target: job.target,
    });
    if (check.kind === 'rejected') return this.rejected(share, check.code, check.detail);
    const key = hashKey(check.hash);
    if (this.seen.has(key))
      return this.rejected(share, 'duplicate-share', 'this header was already accepted');
    this.remember(key);
    this.pendingCount++;
    this.pendingSum += check.creditedDifficulty;
    this.lastSequence = share.sequence_number >>> 0;
    this.vardiff?.recordShare(check.creditedDifficulty);
    // SRI acknowledges a block-finding share at once instead of waiting for the batch.
    const ack = this.pendingCount >= this.shareBatchSize || check.block ? this.flushAck() : undefined;
    return {
      kind: 'accepted',
      hash: check.hash,
      creditedDifficulty: check.creditedDifficulty,
      block: check.block,
      ack,
    };
  }

  /** The pending batch acknowledgement, if any shares are unacknowledged. */
  flushAck(): Outgoing | undefined {
    if (this.pendingCount === 0) return undefined;
    const msg: Outgoing = {
      name: 'SubmitShares.Success',
      fields: {
        channel_id: this.channelId,
        last_sequence_number: this.lastSequence,
        new_submits_accepted_count: this.pendingCount,
        // U64 on the wire: whole difficulty units, as SRI casts its float sum.
        new_shares_sum: BigInt(Math.floor(this.pendingSum)),
      },
    };
    this.pendingCount = 0;
    this.pendingSum = 0;
    return msg;
  }

  private makeJob(tip: ChainTip, minNtime: number): ServerJob {
    const jobId = this.nextJobId;
    this.nextJobId = (this.nextJobId + 1) >>> 0 || 1;
    const job: ServerJob = {
      jobId,
      version: this.version,
      merkleRoot: deriveMerkleRoot(this.channelId, this.extranoncePrefix, this.jobCounter++, tip.prevHash),
      minNtime,
      target: this.target,
    };
    this.jobs.set(jobId, job);
    if (this.jobs.size > MAX_LIVE_JOBS) {
      const oldest = this.jobs.keys().next();
      if (oldest.done !== true) {
        this.jobs.delete(oldest.value);
        this.staleBelow = Math.max(this.staleBelow, oldest.value + 1);
      }
    }
    return job;
  }

  private jobMessage(job: ServerJob, minNtime: number | null): Outgoing {
    return {
      name: 'NewMiningJob',
      fields: {
        channel_id: this.channelId,
        job_id: job.jobId,
        min_ntime: minNtime,
        version: job.version,
        merkle_root: job.merkleRoot,
      },
    };
  }

  private rejected(share: SubmittedShare, code: ShareErrorCode, detail: string): SubmitOutcome {
    return {
      kind: 'rejected',
      code,
      detail,
      reply: {
        name: 'SubmitShares.Error',
        fields: { channel_id: this.channelId, sequence_number: share.sequence_number, error_code: code },
      },
    };
  }

  private remember(key: string): void {
    if (this.seen.size >= MAX_SEEN) {
      const first = this.seen.values().next();
      if (first.done !== true) this.seen.delete(first.value);
    }
    this.seen.add(key);
  }
}

function hashKey(hash: Uint8Array): string {
  return Buffer.from(hash).toString('hex');
}
