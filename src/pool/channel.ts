/**
 * One standard mining channel as a pure state machine (sv2.md §6.2, §6.5, §6.6; spec 05 §5.3.10–
 * 5.3.21): future jobs by id (bounded, oldest evicted), SetNewPrevHash activating one of them and
 * invalidating every other, active jobs (min_ntime set) on the current prevhash, a target kept per
 * job (SetTarget changes the channel and stored future jobs, never a job already active), and the
 * question "may a share for job X still be submitted?". No sockets, no timers: time is passed in.
 */

import { leBytesToBigInt } from '../bitcoin/target.js';
import type { Job } from '../work/job.js';

export interface ChannelInit {
  /** Job.pool of every job this channel emits. */
  readonly pool: string;
  readonly channelId: number;
  readonly groupChannelId: number;
  /** Initial target, 32 wire bytes (U256 LE). */
  readonly target: Uint8Array;
  readonly extranoncePrefix: Uint8Array;
  readonly versionMask: number;
  /** SRI bounds its client-side future-job store to 16 (sv2.md §6.2). */
  readonly maxFutureJobs?: number;
  /** Jobs of the current prevhash that stay valid for late shares. Default 32. */
  readonly maxValidJobs?: number;
  /** Seconds granted beyond the spec's ntime bound (default 0 = spec-strict, sv2.md §6.6). */
  readonly ntimeSlackSec?: number;
}

export interface NewMiningJobFields {
  readonly job_id: number;
  readonly min_ntime: number | null;
  readonly version: number;
  readonly merkle_root: Uint8Array;
}

export interface SetNewPrevHashFields {
  readonly job_id: number;
  readonly prev_hash: Uint8Array;
  readonly min_ntime: number;
  readonly nbits: number;
}

export type ChannelUpdate =
  | { readonly kind: 'job'; readonly job: Job }
  | { readonly kind: 'stored'; readonly jobId: number; readonly evicted: number | undefined }
  /** An active job (min_ntime set) before any prevhash: kept until a SetNewPrevHash names it (gotcha 22). */
  | { readonly kind: 'held'; readonly jobId: number }
  /** SetNewPrevHash for a job we never got (gotcha 23): stop hashing, wait for a job. */
  | { readonly kind: 'no-job'; readonly jobId: number };

export type JobValidity =
  /** `target`: the job's share target, what the pool credits a share of it (sv2.md §6.8). */
  | { readonly kind: 'valid'; readonly target: bigint }
  | { readonly kind: 'stale'; readonly reason: 'unknown-job' | 'found-before-job' };

interface StoredJob {
  readonly jobId: number;
  readonly version: number;
  readonly merkleRoot: Uint8Array;
  target: bigint;
}

interface PrevHash {
  readonly prevHash: Uint8Array;
  readonly minNtime: number;
  readonly nbits: number;
  /** Clock ms when it arrived: the spec's ntime bound grows from here. */
  readonly receivedAt: number;
}

export class StandardChannel {
  readonly pool: string;
  readonly channelId: number;
  readonly groupChannelId: number;
  readonly versionMask: number;
  private channelTarget: bigint;
  private prefix: Uint8Array;
  private prev: PrevHash | undefined;
  private active: Job | undefined;
  private readonly future = new Map<number, StoredJob>();
  /** jobId -> clock ms it was emitted and its target; shares for anything else are stale. */
  private readonly valid = new Map<number, { readonly emittedAt: number; readonly target: bigint }>();
  private readonly maxFutureJobs: number;
  private readonly maxValidJobs: number;
  private readonly ntimeSlackSec: number;

  constructor(init: ChannelInit) {
    this.pool = init.pool;
    this.channelId = init.channelId;
    this.groupChannelId = init.groupChannelId;
    this.versionMask = init.versionMask;
    this.channelTarget = leBytesToBigInt(init.target);
    this.prefix = init.extranoncePrefix;
    this.maxFutureJobs = init.maxFutureJobs ?? 16;
    this.maxValidJobs = init.maxValidJobs ?? 32;
    this.ntimeSlackSec = init.ntimeSlackSec ?? 0;
  }

  get target(): bigint {
    return this.channelTarget;
  }

  get extranoncePrefix(): Uint8Array {
    return this.prefix;
  }

  get activeJob(): Job | undefined {
    return this.active;
  }

  get futureJobCount(): number {
    return this.future.size;
  }

  newMiningJob(f: NewMiningJobFields, now: number): ChannelUpdate {
    const stored: StoredJob = {
      jobId: f.job_id,
      version: f.version,
      merkleRoot: f.merkle_root,
      target: this.channelTarget,
    };
    if (f.min_ntime === null || this.prev === undefined) {
      // Re-sent ids replace the old entry and move to the back of the eviction order.
      this.future.delete(f.job_id);
      this.future.set(f.job_id, stored);
      let evicted: number | undefined;
      if (this.future.size > this.maxFutureJobs) {
        evicted = this.future.keys().next().value;
        if (evicted !== undefined) this.future.delete(evicted);
      }
      if (f.min_ntime !== null) return { kind: 'held', jobId: f.job_id };
      return { kind: 'stored', jobId: f.job_id, evicted };
    }
    return { kind: 'job', job: this.activate(stored, this.prev, f.min_ntime, false, now) };
  }

  setNewPrevHash(f: SetNewPrevHashFields, now: number): ChannelUpdate {
    const prev: PrevHash = {
      prevHash: f.prev_hash,
      minNtime: f.min_ntime,
      nbits: f.nbits,
      receivedAt: now,
    };
    this.prev = prev;
    const stored = this.future.get(f.job_id);
    // Every other job, active or future, is invalid from now on (spec 05 §5.3.17).
    this.future.clear();
    this.valid.clear();
    this.active = undefined;
    if (stored === undefined) return { kind: 'no-job', jobId: f.job_id };
    return { kind: 'job', job: this.activate(stored, prev, f.min_ntime, true, now) };
  }

  /** SetTarget: new jobs and stored future jobs get it; the active job keeps its own (spec 05 §5.3.21). */
  setTarget(target: Uint8Array): void {
    this.channelTarget = leBytesToBigInt(target);
    for (const job of this.future.values()) job.target = this.channelTarget;
  }

  setExtranoncePrefix(prefix: Uint8Array): void {
    this.prefix = prefix;
  }

  /** May a share for `jobId`, found at clock ms `foundAt`, still be submitted on this channel? */
  jobValidity(jobId: number, foundAt: number): JobValidity {
    const entry = this.valid.get(jobId);
    if (entry === undefined) return { kind: 'stale', reason: 'unknown-job' };
    // Job ids are reused (spec allows it once a job is invalid): a nonce older than this job's
    // emission belongs to an earlier job with the same id.
    if (foundAt < entry.emittedAt) return { kind: 'stale', reason: 'found-before-job' };
    return { kind: 'valid', target: entry.target };
  }

  private activate(stored: StoredJob, prev: PrevHash, ntime: number, clean: boolean, now: number): Job {
    const elapsedSec = Math.max(0, Math.floor((now - prev.receivedAt) / 1000));
    // Spec bound: ntime <= SetNewPrevHash.min_ntime + seconds since it arrived (sv2.md §6.6).
    const maxNtime = Math.max(ntime, prev.minNtime + elapsedSec) + this.ntimeSlackSec;
    const job: Job = {
      pool: this.pool,
      channelId: this.channelId,
      jobId: stored.jobId,
      version: stored.version,
      versionMask: this.versionMask,
      prevHash: prev.prevHash,
      merkleRoot: stored.merkleRoot,
      ntime,
      maxNtime: maxNtime >>> 0,
      nbits: prev.nbits,
      target: stored.target,
      clean,
    };
    this.active = job;
    this.valid.delete(stored.jobId);
    this.valid.set(stored.jobId, { emittedAt: now, target: stored.target });
    if (this.valid.size > this.maxValidJobs) {
      const oldest = this.valid.keys().next().value;
      if (oldest !== undefined) this.valid.delete(oldest);
    }
    return job;
  }
}
