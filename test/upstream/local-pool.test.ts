/**
 * PoolClient against three real local pools (src/pool-server/local-pool.ts) on loopback: fail over
 * when the primary dies, fail back once it has been restarted and probed healthy for the hold time,
 * and end-to-end share accounting: every share the client submits is accepted exactly once by the
 * pool it was sent to, stale ones are never sent, and the counters add up.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_TARGET } from '../../src/bitcoin/target.js';
import { type LocalPool, startLocalPool } from '../../src/pool-server/local-pool.js';
import { PoolClient } from '../../src/upstream/client.js';
import type { Job, Share } from '../../src/work/job.js';

const secret = (k: number): Uint8Array =>
  Uint8Array.from({ length: 32 }, (_, i) => (i * 5 + k * 17 + 1) & 0xff);
const running = new Set<LocalPool>();
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
  for (const p of running) await p.close();
  running.clear();
});

async function local(index: number, port = 0): Promise<LocalPool> {
  const p = await startLocalPool({
    port,
    authoritySecretKey: secret(index),
    initialTarget: MAX_TARGET, // every header is a share: the test controls the share count
    vardiffIntervalMs: 0,
    jobIntervalMs: 0,
    blockIntervalMs: 0,
    shareBatchSize: 1,
  });
  running.add(p);
  return p;
}

async function stop(p: LocalPool): Promise<void> {
  running.delete(p);
  await p.close();
}

async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

let nonce = 1;
const shareFor = (job: Job): Share => ({
  pool: job.pool,
  channelId: job.channelId,
  jobId: job.jobId,
  nonce: nonce++,
  ntime: job.ntime,
  version: job.version,
  difficulty: 1,
  foundAt: performance.now(),
});

describe('PoolClient with local pools', () => {
  it('fails over, fails back after the hold time, and never loses or doubles an accepted share', async () => {
    const pools = [await local(0), await local(1), await local(2)];
    const [a, b] = pools as [LocalPool, LocalPool, LocalPool];
    const client = new PoolClient({
      pools: pools.map((p, i) => ({ url: p.url, user: `user${i}.rig` })),
      nominalHashrate: 1e9,
      backoff: { baseMs: 20, maxMs: 80 },
      failBack: { holdMs: 300, probeIntervalMs: 60 },
      random: () => 0.5,
    });
    closers.push(() => client.close());
    let latest: Job | undefined;
    client.onJob((j) => {
      latest = j;
    });
    client.start();
    const submitOn = async (url: string, n: number): Promise<Job> => {
      await waitFor(() => latest?.pool === url);
      const job = latest as Job;
      for (let i = 0; i < n; i++) expect(client.submit(shareFor(job)).kind).toBe('submitted');
      return job;
    };
    const counters = (i: number) => client.status().pools[i]?.counters;

    const jobA = await submitOn(a.url, 5);
    await waitFor(() => counters(0)?.accepted === 5);
    const acceptedByFirstA = a.stats().sharesAccepted;

    // Primary dies: the client moves to B; a late share for A's job is stale, not sent anywhere.
    const portA = a.port;
    await stop(a);
    await submitOn(b.url, 4);
    expect(client.submit(shareFor(jobA))).toEqual({ kind: 'stale', reason: 'pool-changed' });
    await waitFor(() => counters(1)?.accepted === 4);
    expect(client.status().pools[0]?.state).toBe('backoff');

    // Primary comes back on the same port with the same key: probed, held, then fail-back.
    const a2 = await local(0, portA);
    const t0 = Date.now();
    await submitOn(a2.url, 3);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    await waitFor(() => counters(0)?.accepted === 8);

    const s = client.status();
    expect(s.currentPool).toBe(a2.url);
    expect(s.pools[1]?.state).toBe('idle');
    expect(s.pools[2]?.counters.submitted).toBe(0);
    for (const p of s.pools) {
      const c = p.counters;
      expect(c.submitted).toBe(c.accepted + c.rejected + c.unacknowledged);
      expect(c.rejected).toBe(0);
    }
    // What the pools accepted equals what the client counted as accepted, per pool.
    expect(acceptedByFirstA + a2.stats().sharesAccepted).toBe(s.pools[0]?.counters.accepted);
    expect(b.stats().sharesAccepted).toBe(s.pools[1]?.counters.accepted);
    expect(s.pools[0]?.counters.stale).toBe(1);
  });
});
