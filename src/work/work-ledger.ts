/**
 * The Dispatcher's memory of the work items it sent (architecture.md data flow; sv2.md §6.2;
 * bm13xx.md §13): each item gets a 32-bit work id that chips echo with their nonces, so a nonce
 * finds its job, a nonce for work a clean job retired is stale, and a repeated (version, nonce) is
 * passed on once only. Bounded: the oldest items are forgotten, and their late nonces count as stale.
 */
import type { Job } from './job.js';

interface WorkEntry {
  readonly job: Job;
  /** The miner extranonce this item's merkle root was built with (extended jobs only). */
  readonly extranonce: Uint8Array | undefined;
  stale: boolean;
  /** `version:nonce` of shares already passed on from this work item. */
  shareKeys: Set<string> | undefined;
}

export class WorkLedger {
  private readonly works = new Map<number, WorkEntry>();
  private readonly limit: number;
  private nextWorkId = 1;

  /** `limit`: work items remembered for nonce lookup. */
  constructor(limit: number) {
    this.limit = limit;
  }

  /** A fresh work id (1..2^32-1, wrapping) for a work item of `job`, remembered from now on. */
  issue(job: Job, extranonce?: Uint8Array): number {
    const workId = this.nextWorkId;
    this.nextWorkId = (this.nextWorkId % 0xffffffff) + 1;
    this.works.set(workId, { job, extranonce, stale: false, shareKeys: undefined });
    // Map iteration is insertion order: the first keys are the oldest items.
    for (const key of this.works.keys()) {
      if (this.works.size <= this.limit) break;
      this.works.delete(key);
    }
    return workId;
  }

  /** sv2.md §6.2: after SetNewPrevHash every earlier job is invalid; its nonces are stale. */
  retireAll(): void {
    for (const entry of this.works.values()) entry.stale = true;
  }

  /** The work item behind `workId`, or undefined if a clean job retired it or it was forgotten. */
  live(workId: number): WorkEntry | undefined {
    const entry = this.works.get(workId);
    return entry === undefined || entry.stale ? undefined : entry;
  }
}

/** True the first time (version, nonce) is seen on `entry`: a repeat would earn duplicate-share. */
export function firstShare(entry: WorkEntry, version: number, nonce: number): boolean {
  const key = `${version >>> 0}:${nonce >>> 0}`;
  entry.shareKeys ??= new Set();
  if (entry.shareKeys.has(key)) return false;
  entry.shareKeys.add(key);
  return true;
}
