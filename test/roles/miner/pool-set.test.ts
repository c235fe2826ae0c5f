/**
 * PoolSet against scripted SV2 pools over loopback: the snapshot's share difficulties come from the
 * shares each batched Success settles (exact below difficulty 1, where SRI's new_shares_sum reads
 * 0), and after the ordered stop the snapshot and the `run --for` summary name the pool mined on
 * last, even after a failover from a pool that had shares of its own.
 */
import { describe, expect, it } from 'vitest';
import { boardById } from '../../../boards/registry.js';
import { bigIntToLeBytes, difficultyToTarget } from '../../../src/bitcoin/target.js';
import type { PoolConfig } from '../../../src/config/schema.js';
import { PoolSet } from '../../../src/roles/miner/pool-set.js';
import { buildRigSnapshot } from '../../../src/roles/miner/rig-snapshot.js';
import { runSummary } from '../../../src/roles/miner/status-line.js';
import type { Job, Share } from '../../../src/work/job.js';
import { waitFor } from '../../helpers/wait.js';
import { poolTestKit, shareOnJob } from '../../upstream/helpers/pool-test-kit.js';
import { bringUp } from '../../upstream/helpers/scripted-pool.js';

const { pool, defer } = poolTestKit();

function poolSet(urls: string[]): { set: PoolSet; jobs: Job[] } {
  const jobs: Job[] = [];
  const configs = urls.map((url, i): PoolConfig => ({ url, user: `acct.rig${i}`, priority: i }));
  const set = new PoolSet({
    pools: configs,
    client: { nominalHashrate: 1e9, backoff: { baseMs: 20, maxMs: 50 }, random: () => 0 },
    onJob: (job) => jobs.push(job),
  });
  defer(() => set.close());
  set.start();
  return { set, jobs };
}

// 12.5 is the hash's own difficulty: never what the pool credits.
const shareFor = (job: Job, nonce: number): Share => shareOnJob(job, nonce, { difficulty: 12.5 });

/** The daemon's snapshot of a rig with no chains: only the pool rows matter here. */
function rigSnapshot(set: PoolSet) {
  return buildRigSnapshot({
    version: 'test',
    board: boardById('sim-bm1370-1'),
    rig: undefined,
    chipDifficulty: 256,
    frequencyMhz: 525,
    now: 0,
    startedAtMono: 0,
    startedAtWall: 0,
    paused: false,
    pools: set.snapshot(),
    activePoolIndex: set.activeIndex(),
    tempC: null,
    fan: { auto: true, speedPercent: 100, rpm: null },
    jobSwitchLatencyMs: [],
    nbits: null,
    localStale: 0,
  });
}

describe('PoolSet share difficulties', () => {
  it('sums the target difficulty (1/4) of every share a batched Success settles, not new_shares_sum', async () => {
    const p = await pool();
    const { set, jobs } = poolSet([p.url]);
    const peer = await p.next();
    await bringUp(peer, { channelId: 4, target: bigIntToLeBytes(difficultyToTarget(0.25)) });
    await waitFor(() => jobs.length === 1);
    const job = jobs[0] as Job;
    for (let n = 1; n <= 3; n++) expect(set.submit(shareFor(job, n)).kind).toBe('submitted');
    for (let n = 0; n < 3; n++) expect((await peer.expect('SubmitSharesStandard')).sequence_number).toBe(n);
    expect(set.snapshot()[0]?.lastShareDifficulty).toBe(0.25);
    // SRI truncates the batch's 0.75 to 0.
    peer.send('SubmitShares.Success', {
      channel_id: 4,
      last_sequence_number: 2,
      new_submits_accepted_count: 3,
      new_shares_sum: 0n,
    });
    await waitFor(() => set.snapshot()[0]?.accepted === 3);
    peer.send('SubmitShares.Error', { channel_id: 4, sequence_number: 2, error_code: 'stale-share' });
    await waitFor(() => set.snapshot()[0]?.rejected === 1);
    expect(set.snapshot()[0]).toMatchObject({
      accepted: 2,
      acceptedDifficulty: 0.5,
      rejected: 1,
      rejectedDifficulty: 0.25,
      lastShareDifficulty: 0.25,
      difficulty: 0.25,
    });
    // The figures survive a rebuild (the closed client's counters are retired into the pool).
    await set.rebuild();
    expect(set.snapshot()[0]).toMatchObject({ acceptedDifficulty: 0.5, rejectedDifficulty: 0.25 });
  });
});

describe('PoolSet after the ordered stop', () => {
  it('names the pool mined on last, after a failover away from a pool that had accepted shares', async () => {
    const a = await pool();
    const b = await pool();
    const { set, jobs } = poolSet([a.url, b.url]);
    const peerA = await a.next();
    await bringUp(peerA, { channelId: 1 });
    await waitFor(() => jobs.length === 1);
    expect(set.submit(shareFor(jobs[0] as Job, 1)).kind).toBe('submitted');
    await peerA.expect('SubmitSharesStandard');
    peerA.send('SubmitShares.Success', {
      channel_id: 1,
      last_sequence_number: 0,
      new_submits_accepted_count: 1,
      new_shares_sum: 1n,
    });
    await waitFor(() => set.snapshot()[0]?.accepted === 1);
    // Pool A goes away: the client fails over to B, which becomes the pool mined on.
    peerA.close();
    const peerB = await b.next();
    await bringUp(peerB, { channelId: 2, target: bigIntToLeBytes(difficultyToTarget(0.5)) });
    await waitFor(() => jobs.length === 2);
    expect(jobs[1]?.pool).toBe(b.url);
    await waitFor(() => set.activeIndex() === 1);

    await set.close();
    // Closed: no client any more, yet the snapshot still says which pool the rig mined on.
    expect(set.activeIndex()).toBe(1);
    const rows = set.snapshot();
    expect(rows.map((r) => r.active)).toEqual([false, true]);
    expect(rows[1]).toMatchObject({ difficulty: 0.5, handshakeMs: expect.any(Number) });
    const summary = runSummary(rigSnapshot(set));
    expect(summary.pool).toBe(`127.0.0.1:${b.port}`);
    expect(summary.shares_accepted).toBe(1);
  });

  it('reports no pool in the summary when none ever gave the rig a job', async () => {
    const a = await pool();
    const { set } = poolSet([a.url]);
    await a.next();
    await set.close();
    expect(set.activeIndex()).toBeNull();
    expect(runSummary(rigSnapshot(set)).pool).toBeNull();
  });
});
