/**
 * What every server-side channel shares (sv2.md §5.2, §6.2, §6.5, §6.8), like SRI's channels_sv2
 * server channels: jobs issued under the current prev hash (a future job + SetNewPrevHash, then
 * active jobs), staleness, duplicates by header hash, the per-job target, and batched
 * SubmitShares.Success accounting. Pure: builds message values; the connection encodes them.
 * standard.ts and extended.ts add the job message and how a share's merkle root is found.
 */
import { bigIntToLeBytes } from '../../bitcoin/target.js';
import type { MessageFields } from '../../sv2/messages/registry.js';
import type { ChainTip, JobTemplate } from './job-template.js';
import { checkShare, type ShareErrorCode } from './share-validator.js';
import type { VardiffState } from './vardiff.js';

/** Jobs kept per prev hash; older ones answer stale-share. */
const MAX_LIVE_JOBS = 64;
/** Header hashes remembered for duplicate detection (cleared on every new prev hash). */
const MAX_SEEN = 100_000;

export interface ServerJob {
  readonly jobId: number;
  readonly version: number;
  readonly template: JobTemplate;
  /** The channel's extranonce prefix when the job was sent (SetExtranoncePrefix applies to later jobs). */
  readonly extranoncePrefix: Uint8Array;
  /** Standard channels: the root computed at issue; extended: rebuilt per share. */
  readonly merkleRoot: Uint8Array | undefined;
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
  readonly versionMask: number;
  readonly shareBatchSize: number;
  readonly ntimeLeewaySec: number;
  readonly vardiff: VardiffState | undefined;
  /** A fresh template for each job, so no two jobs share a coinbase (and so a merkle root). */
  readonly nextTemplate: () => JobTemplate;
}

type Sent<N extends string> = N extends keyof MessageFieldsMap
  ? { readonly name: N; readonly fields: MessageFieldsMap[N] }
  : never;
type MessageFieldsMap = {
  [N in
    | 'NewMiningJob'
    | 'NewExtendedMiningJob'
    | 'SetNewPrevHash'
    | 'SetTarget'
    | 'SetExtranoncePrefix'
    | 'SubmitShares.Success'
    | 'SubmitShares.Error'
    | 'SetCustomMiningJob.Success'
    | 'SetCustomMiningJob.Error']: MessageFields<N>;
};
export type Outgoing = Sent<keyof MessageFieldsMap>;

export type ServerShareVerdict =
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

/** The header fields every SubmitShares* carries. */
export interface SubmittedShare {
  readonly sequence_number: number;
  readonly job_id: number;
  readonly nonce: number;
  readonly ntime: number;
  readonly version: number;
}

export abstract class ServerChannelBase {
  readonly channelId: number;
  readonly groupChannelId: number;
  readonly userIdentity: string;
  readonly versionMask: number;
  readonly vardiff: VardiffState | undefined;
  target: bigint;
  maxTarget: bigint;
  nominalHashRate: number;
  protected extranoncePrefixBytes: Uint8Array;
  private readonly shareBatchSize: number;
  private readonly ntimeLeewaySec: number;
  private readonly nextTemplate: () => JobTemplate;
  private tip: ChainTip | undefined;
  private readonly jobs = new Map<number, ServerJob>();
  private nextJobId = 1;
  /** Every job id below this was issued under an older prev hash or evicted: stale. */
  private staleBelow = 1;
  private readonly seen = new Set<string>();
  private pendingCount = 0;
  private pendingSum = 0;
  private lastSequence = 0;

  constructor(init: ServerChannelInit) {
    this.channelId = init.channelId;
    this.groupChannelId = init.groupChannelId;
    this.userIdentity = init.userIdentity;
    this.extranoncePrefixBytes = init.extranoncePrefix;
    this.target = init.target;
    this.maxTarget = init.maxTarget;
    this.nominalHashRate = init.nominalHashRate;
    this.versionMask = init.versionMask;
    this.shareBatchSize = Math.max(1, init.shareBatchSize);
    this.ntimeLeewaySec = init.ntimeLeewaySec;
    this.vardiff = init.vardiff;
    this.nextTemplate = init.nextTemplate;
  }

  get extranoncePrefix(): Uint8Array {
    return this.extranoncePrefixBytes;
  }

  /** The job message this channel kind sends. */
  protected abstract jobMessage(job: ServerJob, minNtime: number | null): Outgoing;
  /** The merkle root a standard channel announces; undefined where the downstream builds it. */
  protected abstract rootAtIssue(template: JobTemplate, extranoncePrefix: Uint8Array): Uint8Array | undefined;

  /** A new prev hash: a future job, then SetNewPrevHash activating it; all older jobs go stale. */
  onNewTip(tip: ChainTip): Outgoing[] {
    this.tip = tip;
    this.staleBelow = this.nextJobId;
    this.jobs.clear();
    this.seen.clear();
    const job = this.makeJob(tip.minNtime);
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
    const job = this.makeJob(Math.max(ntime, tip.minNtime));
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

  /** The job a share names, or the rejection (stale or unknown id). */
  protected lookupJob(share: SubmittedShare): { job: ServerJob; tip: ChainTip } | ServerShareVerdict {
    const jobId = share.job_id >>> 0;
    const job = this.jobs.get(jobId);
    const tip = this.tip;
    if (job === undefined || tip === undefined) {
      if (jobId >= 1 && jobId < this.staleBelow)
        return this.rejected(share, 'stale-share', `job ${jobId} belongs to an older prev hash`);
      return this.rejected(share, 'invalid-job-id', `job ${jobId} was never sent on this channel`);
    }
    return { job, tip };
  }

  /** Header checks, duplicates and accounting for a share whose merkle root is known. */
  protected judge(
    share: SubmittedShare,
    job: ServerJob,
    tip: ChainTip,
    merkleRoot: Uint8Array,
    nowSec: number,
  ): ServerShareVerdict {
    const check = checkShare(share, {
      version: job.version,
      prevHash: tip.prevHash,
      merkleRoot,
      nbits: tip.nbits,
      minNtime: job.minNtime,
      maxNtime: Math.max(job.minNtime, nowSec) + this.ntimeLeewaySec,
      versionMask: this.versionMask,
      target: job.target,
    });
    if (check.kind === 'rejected') return this.rejected(share, check.code, check.detail);
    const key = Buffer.from(check.hash).toString('hex');
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

  protected rejected(share: SubmittedShare, code: ShareErrorCode, detail: string): ServerShareVerdict {
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

  /** The prev hash jobs are sent under now (undefined before the first). */
  protected get currentTip(): ChainTip | undefined {
    return this.tip;
  }

  private makeJob(minNtime: number): ServerJob {
    return this.addJob(this.nextTemplate(), minNtime);
  }

  /** Issues a job id for `template` under the current tip (a pool job or an accepted custom job). */
  protected addJob(template: JobTemplate, minNtime: number): ServerJob {
    const jobId = this.nextJobId;
    this.nextJobId = (this.nextJobId + 1) >>> 0 || 1;
    const prefix = this.extranoncePrefixBytes;
    const job: ServerJob = {
      jobId,
      version: template.version,
      template,
      extranoncePrefix: prefix,
      merkleRoot: this.rootAtIssue(template, prefix),
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

  private remember(key: string): void {
    if (this.seen.size >= MAX_SEEN) {
      const first = this.seen.values().next();
      if (first.done !== true) this.seen.delete(first.value);
    }
    this.seen.add(key);
  }
}
