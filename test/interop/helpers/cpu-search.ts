/**
 * CPU nonce search for the interop suites: rebuilds the 80-byte header from a Job exactly as the
 * chips' results are checked (src/work/header.ts, sv2.md §6.3) and keeps nonces whose sha256d
 * meets (or, for a deliberately bad share, misses) the job target. An extended job is searched
 * with one miner extranonce (its merkle root built by src/work/extranonce.ts).
 */

import { HeaderHasher } from '../../../src/bitcoin/header.js';
import { hashMeetsTarget, hashToDifficulty } from '../../../src/bitcoin/target.js';
import { merkleRootFor } from '../../../src/work/extranonce.js';
import type { Job, Share } from '../../../src/work/job.js';

export interface Found {
  readonly nonce: number;
  readonly version: number;
  readonly hash: Uint8Array;
  /** The miner extranonce searched with (extended jobs). */
  readonly extranonce?: Uint8Array;
}

/** The merkle root of a standard job; a test that meant a standard job fails here otherwise. */
export function rootOf(job: Job): Uint8Array {
  if (job.extended !== undefined) throw new Error(`job ${job.jobId} is extended: no fixed merkle root`);
  return job.merkleRoot;
}

/** The first `count` nonces from `start` whose hash meets (`good`) or misses the job target. */
export function search(
  job: Job,
  count: number,
  o: { start?: number; version?: number; good?: boolean; extranonce?: Uint8Array } = {},
): Found[] {
  const hasher = new HeaderHasher();
  const version = o.version ?? job.version;
  const good = o.good ?? true;
  const extranonce =
    job.extended === undefined ? undefined : (o.extranonce ?? new Uint8Array(job.extended.extranonceSize));
  const merkleRoot =
    job.extended === undefined ? job.merkleRoot : merkleRootFor(job.extended, extranonce as Uint8Array);
  const template = { prevHash: job.prevHash, merkleRoot, ntime: job.ntime, nbits: job.nbits };
  const out: Found[] = [];
  for (let nonce = o.start ?? 0; nonce <= 0xffffffff && out.length < count; nonce++) {
    const hash = hasher.hash(template, version, nonce);
    if (hashMeetsTarget(hash, job.target) === good)
      out.push(extranonce === undefined ? { nonce, version, hash } : { nonce, version, hash, extranonce });
  }
  return out;
}

export function shareOf(job: Job, f: Found): Share {
  return {
    pool: job.pool,
    channelId: job.channelId,
    jobId: job.jobId,
    nonce: f.nonce,
    ntime: job.ntime,
    version: f.version,
    ...(f.extranonce === undefined ? {} : { extranonce: f.extranonce }),
    difficulty: hashToDifficulty(f.hash),
    foundAt: performance.now(),
  };
}

/** Polls `get` until it returns a value (vitest's fake timers are never used in these suites). */
export async function until<T>(get: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const v = get();
    if (v !== undefined) return v;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
