/**
 * The job lifecycle every client channel shares, standard or extended, as a pure state machine
 * (sv2.md §6.2, §6.5, §6.6; spec 05 §5.3.10–5.3.21; in the manner of SRI's channels_sv2 client
 * channels): future jobs by id (bounded, oldest evicted), SetNewPrevHash activating one of them and
 * invalidating every other, active jobs (min_ntime set) on the current prevhash, a target kept per
 * job (SetTarget changes the channel and stored future jobs, never a job already active), and the
 * question "may a share for job X still be submitted?". No sockets, no timers: time is passed in.
 * What a job *is* (a merkle root, or a coinbase split to roll an extranonce in) is the subclass's.
 */

import { leBytesToBigInt } from '../../bitcoin/target.js';
import type { ExtendedTemplate, Job } from '../../work/job.js';

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

interface SetNewPrevHashFields {
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

type JobValidity =
  /** `target`: the job's share target, what the pool credits a share of it (sv2.md §6.8). */
  | { readonly kind: 'valid'; readonly target: bigint }
  | { readonly kind: 'stale'; readonly reason: 'unknown-job' | 'found-before-job' };

/** What a job hashes: a finished merkle root, or the template to roll an extranonce in. */
type JobBody =
  | { readonly merkleRoot: Uint8Array; readonly extended?: undefined }
  | { readonly extended: ExtendedTemplate; readonly merkleRoot?: undefined };

interface IncomingJob {
  readonly jobId: number;
  readonly minNtime: number | null;
  readonly version: number;
  /** The version bits this job may roll (0 when the pool forbids rolling for it). */
  readonly versionMask: number;
  readonly body: JobBody;
}

interface StoredJob {
  readonly jobId: number;
  readonly version: number;
  readonly versionMask: number;
  readonly body: JobBody;
  target: bigint;
}

interface PrevHash {
  readonly prevHash: Uint8Array;
  readonly minNtime: number;
  readonly nbits: number;
  /** Clock ms when it arrived: the spec's ntime bound grows from here. */
  readonly receivedAt: number;
}

export class ClientChannel {
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

  /** The prev hash jobs are mined on now, if any arrived yet. */
  get chainTip(): PrevHash | undefined {
    return this.prev;
  }

  setNewPrevHash(f: SetNewPrevHashFields, now: number): ChannelUpdate {
    const prev: PrevHash = {
      prevHash: f.prev_hash,
      minNtime: f.min_ntime,
      nbits: f.nbits,
      receivedAt: now,
    };
    const stored = this.future.get(f.job_id);
    this.newTip(prev);
    if (stored === undefined) return { kind: 'no-job', jobId: f.job_id };
    return { kind: 'job', job: this.activate(stored, prev, f.min_ntime, true, now) };
  }

  /** SetTarget: new jobs and stored future jobs get it; the active job keeps its own (spec 05 §5.3.21). */
  setTarget(target: Uint8Array): void {
    this.channelTarget = leBytesToBigInt(target);
    for (const job of this.future.values()) job.target = this.channelTarget;
  }

  /** SetExtranoncePrefix: for jobs received from now on; jobs already held keep theirs (spec 05 §5.3.12). */
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

  /** A future or active job as the subclass parsed it from its wire message. */
  protected receiveJob(incoming: IncomingJob, now: number): ChannelUpdate {
    const stored: StoredJob = {
      jobId: incoming.jobId,
      version: incoming.version,
      versionMask: incoming.versionMask,
      body: incoming.body,
      target: this.channelTarget,
    };
    if (incoming.minNtime === null || this.prev === undefined) {
      // Re-sent ids replace the old entry and move to the back of the eviction order.
      this.future.delete(incoming.jobId);
      this.future.set(incoming.jobId, stored);
      let evicted: number | undefined;
      if (this.future.size > this.maxFutureJobs) {
        evicted = this.future.keys().next().value;
        if (evicted !== undefined) this.future.delete(evicted);
      }
      if (incoming.minNtime !== null) return { kind: 'held', jobId: incoming.jobId };
      return { kind: 'stored', jobId: incoming.jobId, evicted };
    }
    return { kind: 'job', job: this.activate(stored, this.prev, incoming.minNtime, false, now) };
  }

  /**
   * A job that brings its own chain tip (a custom job the pool accepted): active at once. A new
   * prev hash invalidates every other job, as SetNewPrevHash does; the same prev hash keeps them.
   */
  protected activateWithTip(incoming: IncomingJob, tip: Omit<PrevHash, 'receivedAt'>, now: number): Job {
    const same = this.prev !== undefined && equalBytes(this.prev.prevHash, tip.prevHash);
    const prev: PrevHash = same && this.prev !== undefined ? this.prev : { ...tip, receivedAt: now };
    if (!same) this.newTip(prev);
    const stored: StoredJob = { ...incoming, target: this.channelTarget };
    return this.activate(stored, prev, incoming.minNtime ?? tip.minNtime, !same, now);
  }

  /** Every other job, active or future, is invalid from now on (spec 05 §5.3.17). */
  private newTip(prev: PrevHash): void {
    this.prev = prev;
    this.future.clear();
    this.valid.clear();
    this.active = undefined;
  }

  private activate(stored: StoredJob, prev: PrevHash, ntime: number, clean: boolean, now: number): Job {
    const elapsedSec = Math.max(0, Math.floor((now - prev.receivedAt) / 1000));
    // Spec bound: ntime <= SetNewPrevHash.min_ntime + seconds since it arrived (sv2.md §6.6).
    const maxNtime = Math.max(ntime, prev.minNtime + elapsedSec) + this.ntimeSlackSec;
    const common = {
      pool: this.pool,
      channelId: this.channelId,
      jobId: stored.jobId,
      version: stored.version,
      versionMask: stored.versionMask,
      prevHash: prev.prevHash,
      ntime,
      maxNtime: maxNtime >>> 0,
      nbits: prev.nbits,
      target: stored.target,
      clean,
    };
    const body = stored.body;
    const job: Job =
      body.extended === undefined
        ? { ...common, merkleRoot: body.merkleRoot }
        : { ...common, extended: body.extended };
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

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
