/**
 * Interop 1 (issue 8, SRI half): sv2miner's mining client (src/upstream/session.ts) against a pool
 * whose Noise responder, certificate and standard-channel logic are SRI's own crates (sri-peer).
 * Shares are found by a CPU search in the test; every verdict is channels_sv2's validate_share.
 * Spec: sv2.md §3 (Noise), §4-§6 (SetupConnection, channel, jobs, prev hash, submits).
 */
import { describe, expect, it } from 'vitest';
import { bigIntToLeBytes } from '../../src/bitcoin/target.js';
import { bytesToHex } from '../../src/bytes/hex.js';
import { DEVICE_SETUP_FLAGS } from '../../src/upstream/requests.js';
import type { Job } from '../../src/work/job.js';
import { rootOf, search, shareOf, until } from './helpers/cpu-search.js';
import { ROLLED_BIT, runSession, SRI_PUBLIC, sharesOf, sriPoolFixture } from './helpers/sri-client.js';
import { sriPeer } from './helpers/sri-peer.js';

const peer = sriPeer();

const WORKER = { user: 'sv2miner-interop.worker1' };

function lastJob(jobs: readonly Job[], after = 0): Job | undefined {
  return jobs.length > after ? jobs.at(-1) : undefined;
}

describe.skipIf(peer.bin === '')('sv2miner client against the SRI pool (sri-peer, channels_sv2)', () => {
  const fixture = sriPoolFixture(peer.bin);

  it('announces the authority key that the shared vector pairs with SRI example secret', () => {
    expect(fixture.pool.authority).toBe(SRI_PUBLIC);
  });

  it('handshake, setup, channel, job and prev hash agree byte for byte; SRI accepts our shares and rejects a bad one', async () => {
    const pool = fixture.pool;
    const { session, counters, jobs, ended } = runSession(pool, WORKER);
    const job = await until(() => lastJob(jobs), 15_000, 'the first job');

    const handshake = await pool.proc.waitFor((l) => l.event === 'handshake');
    expect(handshake['ok']).toBe(true);
    const conn = handshake['conn'];
    const setup = await pool.proc.waitFor((l) => l.event === 'setup' && l['conn'] === conn);
    expect(setup).toMatchObject({
      protocol: 0,
      min_version: 2,
      max_version: 2,
      flags: DEVICE_SETUP_FLAGS,
      endpoint_host: pool.host,
      endpoint_port: pool.port,
      vendor: 'sv2miner',
      hardware_version: 'interop-test',
    });
    const opened = await pool.proc.waitFor((l) => l.event === 'channel_opened' && l['conn'] === conn);
    expect(opened['user']).toBe('sv2miner-interop.worker1');
    expect(opened['nominal_hash_rate']).toBe(1e6);
    expect(opened['max_target']).toBe('ff'.repeat(32));
    expect(opened['channel_id']).toBe(job.channelId);
    // The target SRI stored for the channel is the one our Job carries.
    expect(bytesToHex(bigIntToLeBytes(job.target))).toBe(opened['target']);
    const sriJob = await pool.proc.waitFor((l) => l.event === 'job' && l['conn'] === conn);
    const sriPrev = await pool.proc.waitFor((l) => l.event === 'prevhash' && l['conn'] === conn);
    expect(sriJob['future']).toBe(true);
    expect(job).toMatchObject({ jobId: sriJob['job_id'], version: sriJob['version'], clean: true });
    expect(bytesToHex(rootOf(job))).toBe(sriJob['merkle_root']);
    expect(bytesToHex(job.prevHash)).toBe(sriPrev['prev_hash']);
    expect(job.nbits).toBe(sriPrev['nbits']);
    expect(job.ntime).toBe(sriPrev['min_ntime']);

    // Two shares with the job's version, one with a rolled BIP320 bit, then one that misses the target.
    const plain = search(job, 2);
    const rolled = search(job, 1, { version: job.version | ROLLED_BIT });
    const last = plain.at(-1)?.nonce ?? 0;
    const bad = search(job, 1, { start: last + 1, good: false });
    const sent = [...plain, ...rolled, ...bad];
    expect(sent).toHaveLength(4);
    sent.forEach((f, i) => {
      expect(session.submit(shareOf(job, f))).toEqual({ kind: 'submitted', sequence: i });
    });
    await until(
      () => (counters.accepted + counters.rejected === 4 ? true : undefined),
      15_000,
      'four verdicts',
    );

    // SRI's verdicts, in order, on exactly the header bytes we hashed.
    const verdicts = sharesOf(pool.proc, conn);
    expect(
      verdicts.map((v) => [
        v['sequence_number'],
        v['nonce'],
        v['version'],
        v['hash'],
        v['verdict'],
        v['error_code'],
      ]),
    ).toEqual(
      sent.map((f, i) => [
        i,
        f.nonce,
        f.version,
        bytesToHex(f.hash),
        i < 3 ? 'accepted' : 'rejected',
        i < 3 ? undefined : 'difficulty-too-low',
      ]),
    );
    // Our counters say what SRI said.
    expect(counters).toMatchObject({
      submitted: 4,
      accepted: 3,
      rejected: 1,
      unacknowledged: 0,
      ackMismatches: 0,
      stale: 0,
    });
    expect({ ...counters.rejectedByReason }).toEqual({ 'difficulty-too-low': 1 });
    // SRI acks every accepted share here (batch size 1). new_shares_sum is SRI's truncation of the
    // credited difficulty to an integer: 2^-16 per share becomes 0.
    const acks = pool.proc.events('ack').filter((l) => l['conn'] === conn);
    expect(
      acks.map((a) => [a['last_sequence_number'], a['new_submits_accepted_count'], a['new_shares_sum']]),
    ).toEqual([
      [0, 1, 0],
      [1, 1, 0],
      [2, 1, 0],
    ]);
    expect(counters.creditedWork).toBe(0);

    session.close('interop test done');
    const end = await ended;
    expect(end.kind).toBe('closed');
    const summary = await pool.proc.waitFor((l) => l.event === 'channel_summary' && l['conn'] === conn);
    expect(summary).toMatchObject({
      accepted: 3,
      rejected: 1,
      rejected_by_code: { 'difficulty-too-low': 1 },
    });
    // CloseChannel reached SRI's side before the socket closed.
    expect(pool.proc.events('channel_closed').some((l) => l['conn'] === conn)).toBe(true);
  });
});

describe.skipIf(peer.bin === '')('sv2miner client follows SRI job churn (active jobs, new prev hash)', () => {
  // After every accepted share a new active job (min_ntime set); after every 3rd a new block.
  const fixture = sriPoolFixture(peer.bin, ['--job-every', '1', '--block-every', '3']);

  it('keeps past jobs of the same prev hash valid, drops them at a new prev hash, and SRI agrees', async () => {
    const pool = fixture.pool;
    const { session, counters, jobs, ended } = runSession(pool, WORKER);
    const a = await until(() => lastJob(jobs), 15_000, 'job A');
    const [a1, a2] = search(a, 2);
    if (a1 === undefined || a2 === undefined) throw new Error('search found no shares');
    expect(session.submit(shareOf(a, a1))).toEqual({ kind: 'submitted', sequence: 0 });
    // SRI answers the accepted share with a new active job B on the same prev hash.
    const b = await until(() => lastJob(jobs, 1), 10_000, 'job B');
    expect(b).toMatchObject({ clean: false, prevHash: a.prevHash });
    expect(b.jobId).not.toBe(a.jobId);
    expect(bytesToHex(rootOf(b))).not.toBe(bytesToHex(rootOf(a)));
    // A late share for A is still valid for both sides (SRI keeps it as a past job).
    expect(session.submit(shareOf(a, a2))).toEqual({ kind: 'submitted', sequence: 1 });
    const c = await until(() => lastJob(jobs, 2), 10_000, 'job C');
    const [c1, c2] = search(c, 2);
    if (c1 === undefined || c2 === undefined) throw new Error('search found no shares');
    // The third accepted share makes SRI move to a new block: future job D + SetNewPrevHash.
    expect(session.submit(shareOf(c, c1))).toEqual({ kind: 'submitted', sequence: 2 });
    const d = await until(
      () => jobs.find((j) => j.clean && j !== a),
      10_000,
      'job D after the new prev hash',
    );
    expect(bytesToHex(d.prevHash)).not.toBe(bytesToHex(a.prevHash));
    // C is stale now: our client does not send it at all.
    expect(session.submit(shareOf(c, c2))).toEqual({ kind: 'stale', reason: 'unknown-job' });
    const [d1] = search(d, 1);
    if (d1 === undefined) throw new Error('search found no shares');
    expect(session.submit(shareOf(d, d1))).toEqual({ kind: 'submitted', sequence: 3 });
    await until(() => (counters.accepted === 4 ? true : undefined), 15_000, 'four accepted shares');

    const handshake = await pool.proc.waitFor((l) => l.event === 'handshake');
    const verdicts = sharesOf(pool.proc, handshake['conn']);
    expect(verdicts.map((v) => [v['job_id'], v['verdict']])).toEqual([
      [a.jobId, 'accepted'],
      [a.jobId, 'accepted'],
      [c.jobId, 'accepted'],
      [d.jobId, 'accepted'],
    ]);
    expect(counters).toMatchObject({ submitted: 4, accepted: 4, rejected: 0, stale: 1 });
    expect({ ...counters.staleByReason }).toEqual({ 'unknown-job': 1 });
    session.close('interop test done');
    await ended;
  });
});

describe.skipIf(peer.bin === '')(
  'sv2miner client with SRI pool-app behaviour: echoed flags, batched acks',
  () => {
    // --echo-flags: Success.flags = our request flags, as SRI's pool app did (sv2.md gotcha 21);
    // --batch-size 3: one SubmitShares.Success per three accepted shares (SRI example config: 10).
    const fixture = sriPoolFixture(peer.bin, ['--echo-flags', '--batch-size', '3']);

    it('keeps version rolling despite the echoed REQUIRES_FIXED_VERSION bit and settles a batch ack', async () => {
      const pool = fixture.pool;
      const { session, counters, jobs, ended } = runSession(pool, WORKER);
      const job = await until(() => lastJob(jobs), 15_000, 'the first job');
      // Bit 0 of the echoed flags would mean REQUIRES_FIXED_VERSION; we sent REQUIRES_VERSION_ROLLING.
      expect(job.versionMask).toBe(0x1fffe000);
      const found = [
        ...search(job, 1, { version: job.version | ROLLED_BIT }),
        ...search(job, 2, { version: job.version | (ROLLED_BIT << 1) }),
      ];
      for (const f of found) expect(session.submit(shareOf(job, f)).kind).toBe('submitted');
      await until(() => (counters.accepted === 3 ? true : undefined), 15_000, 'the batch ack');
      const handshake = await pool.proc.waitFor((l) => l.event === 'handshake');
      const acks = pool.proc.events('ack').filter((l) => l['conn'] === handshake['conn']);
      expect(acks.map((a) => [a['last_sequence_number'], a['new_submits_accepted_count']])).toEqual([[2, 3]]);
      expect(counters).toMatchObject({ submitted: 3, accepted: 3, rejected: 0, ackMismatches: 0 });
      session.close('interop test done');
      await ended;
    });
  },
);
