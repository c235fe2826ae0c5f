/**
 * Per-test set-up shared by the tests that drive pool clients against scripted pools
 * (scripted-pool.ts): every pool and client a test opens is closed after it, newest first, and
 * shareOnJob builds the Share a test submits on a job its client received.
 */
import { afterEach } from 'vitest';
import type { Job, Share } from '../../../src/work/job.js';
import { type ScriptedPool, startScriptedPool } from './scripted-pool.js';

interface PoolTestKit {
  /** A scripted pool, closed after the test; 'silent' accepts TCP and never answers. */
  pool(mode?: 'noise' | 'silent' | 'half-open'): Promise<ScriptedPool>;
  /** Runs `close` after the test, before anything deferred earlier. */
  defer(close: () => Promise<void>): void;
}

/** Call at a test file's top level: it registers the afterEach that does the closing. */
export function poolTestKit(): PoolTestKit {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });
  return {
    pool: async (mode = 'noise') => {
      const p = await startScriptedPool(mode);
      closers.push(() => p.close());
      return p;
    },
    defer: (close) => {
      closers.push(close);
    },
  };
}

/** A share for `nonce` on `job` at its ntime; version (default the job's) and difficulty (default 1). */
export function shareOnJob(
  job: Job,
  nonce: number,
  hash: { readonly version?: number; readonly difficulty?: number } = {},
): Share {
  return {
    pool: job.pool,
    channelId: job.channelId,
    jobId: job.jobId,
    nonce,
    ntime: job.ntime,
    version: hash.version ?? job.version,
    difficulty: hash.difficulty ?? 1,
    foundAt: performance.now(),
  };
}
