import { describe, expect, it } from 'vitest';
import { bigIntToLeBytes } from '../../src/bitcoin/target.js';
import { bytesToHex } from '../../src/bytes/hex.js';
import { EXTENDED_SETUP_FLAGS, MIN_EXTRANONCE_SIZE } from '../../src/upstream/requests.js';
import type { ExtendedJob, Job } from '../../src/work/job.js';
import { writeSimConfigDir } from '../helpers/sim-rig.js';
import { search, shareOf, until } from './helpers/cpu-search.js';
import {
  extranonce,
  ROLLED_BIT,
  runDaemon,
  runSession,
  sharesOf,
  sriPoolFixture,
} from './helpers/sri-client.js';
import { sriPeer } from './helpers/sri-peer.js';

const peer = sriPeer();

const EXTENDED = { user: 'sv2miner-interop.extended', channelKind: 'extended' } as const;

function extendedOf(job: Job): ExtendedJob {
  if (job.extended === undefined) throw new Error(`job ${job.jobId} is not extended`);
  return job;
}

describe.skipIf(peer.bin === '')('sv2miner client on an extended channel against the SRI pool', () => {
  const fixture = sriPoolFixture(peer.bin);

  it('opens the channel, takes SRI’s coinbase split byte for byte, and SRI accepts our extended shares and rejects bad ones', async () => {
    const pool = fixture.pool;
    const { session, counters, jobs, ended } = runSession(pool, EXTENDED);
    const job = extendedOf(await until(() => jobs.at(-1), 15_000, 'the first job'));
    const x = job.extended;

    const handshake = await pool.proc.waitFor((l) => l.event === 'handshake');
    const conn = handshake['conn'];
    // No REQUIRES_STANDARD_JOBS: sri-peer refuses an extended channel after it, as the spec says.
    const setup = await pool.proc.waitFor((l) => l.event === 'setup' && l['conn'] === conn);
    expect(setup['flags']).toBe(EXTENDED_SETUP_FLAGS);
    const opened = await pool.proc.waitFor((l) => l.event === 'channel_opened' && l['conn'] === conn);
    expect(opened).toMatchObject({
      kind: 'extended',
      user: 'sv2miner-interop.extended',
      channel_id: job.channelId,
      min_extranonce_size: MIN_EXTRANONCE_SIZE,
      extranonce_size: x.extranonceSize,
      extranonce_prefix: bytesToHex(x.extranoncePrefix),
    });
    expect(x.extranonceSize).toBeGreaterThanOrEqual(MIN_EXTRANONCE_SIZE);
    expect(bytesToHex(bigIntToLeBytes(job.target))).toBe(opened['target']);
    const sriJob = await pool.proc.waitFor((l) => l.event === 'job' && l['conn'] === conn);
    const sriPrev = await pool.proc.waitFor((l) => l.event === 'prevhash' && l['conn'] === conn);
    expect(job).toMatchObject({ jobId: sriJob['job_id'], version: sriJob['version'], clean: true });
    expect(sriJob['version_rolling_allowed']).toBe(true);
    expect(job.versionMask).toBe(0x1fffe000);
    expect(bytesToHex(x.coinbasePrefix)).toBe(sriJob['coinbase_tx_prefix']);
    expect(bytesToHex(x.coinbaseSuffix)).toBe(sriJob['coinbase_tx_suffix']);
    expect(x.merklePath.map(bytesToHex).join(',')).toBe(sriJob['merkle_path']);
    expect(x.merklePath).toHaveLength(2);
    expect(bytesToHex(x.extranoncePrefix)).toBe(sriJob['extranonce_prefix']);
    expect(bytesToHex(job.prevHash)).toBe(sriPrev['prev_hash']);
    expect(job.ntime).toBe(sriPrev['min_ntime']);

    // Good shares on three different miner extranonces (one with a rolled version bit), then one
    // that misses the target, then a good share submitted with an extranonce it was not found with.
    const size = x.extranonceSize;
    const [a] = search(job, 1, { extranonce: extranonce(0, size) });
    const [b] = search(job, 1, { extranonce: extranonce(1, size) });
    const [c] = search(job, 1, {
      extranonce: extranonce(0x01020304, size),
      version: job.version | ROLLED_BIT,
    });
    const [miss] = search(job, 1, { extranonce: extranonce(2, size), good: false });
    const [moved] = search(job, 1, { extranonce: extranonce(3, size) });
    if (a === undefined || b === undefined || c === undefined || miss === undefined || moved === undefined)
      throw new Error('search found no shares');
    const forged = { ...moved, extranonce: extranonce(4, size) };
    const sent = [a, b, c, miss, forged];
    sent.forEach((f, i) => {
      expect(session.submit(shareOf(job, f))).toEqual({ kind: 'submitted', sequence: i });
    });
    await until(
      () => (counters.accepted + counters.rejected === 5 ? true : undefined),
      15_000,
      'five verdicts',
    );

    // SRI's verdicts, in order, on exactly the extranonces and header bytes we hashed.
    const verdicts = sharesOf(pool.proc, conn);
    expect(
      verdicts.map((v) => [v['sequence_number'], v['nonce'], v['version'], v['extranonce'], v['verdict']]),
    ).toEqual(
      sent.map((f, i) => [
        i,
        f.nonce,
        f.version,
        bytesToHex(f.extranonce as Uint8Array),
        i < 3 ? 'accepted' : 'rejected',
      ]),
    );
    // Where SRI accepted, its own hash of the rebuilt header is the hash we found.
    expect(verdicts.slice(0, 3).map((v) => v['hash'])).toEqual([a, b, c].map((f) => bytesToHex(f.hash)));
    // The forged share: SRI's merkle root from the claimed extranonce gives another header.
    expect(verdicts[4]?.['hash']).not.toBe(bytesToHex(moved.hash));
    expect(verdicts.slice(3).map((v) => v['error_code'])).toEqual([
      'difficulty-too-low',
      'difficulty-too-low',
    ]);
    expect(counters).toMatchObject({ submitted: 5, accepted: 3, rejected: 2, stale: 0, ackMismatches: 0 });
    expect({ ...counters.rejectedByReason }).toEqual({ 'difficulty-too-low': 2 });

    session.close('interop test done');
    expect((await ended).kind).toBe('closed');
    const summary = await pool.proc.waitFor((l) => l.event === 'channel_summary' && l['conn'] === conn);
    expect(summary).toMatchObject({
      accepted: 3,
      rejected: 2,
      rejected_by_code: { 'difficulty-too-low': 2 },
    });
  });
});

describe.skipIf(peer.bin === '')(
  'sv2miner client follows SRI extended-job churn (active jobs, new prev hash)',
  () => {
    // After every accepted share a new active job (min_ntime set); after every 3rd a new block.
    const fixture = sriPoolFixture(peer.bin, ['--job-every', '1', '--block-every', '3']);

    it('keeps past extended jobs of the same prev hash valid, drops them at a new prev hash, and SRI agrees', async () => {
      const pool = fixture.pool;
      const { session, counters, jobs, ended } = runSession(pool, EXTENDED);
      const a = extendedOf(await until(() => jobs.at(-1), 15_000, 'job A'));
      const size = a.extended.extranonceSize;
      const [a1] = search(a, 1, { extranonce: extranonce(0, size) });
      const [a2] = search(a, 1, { extranonce: extranonce(1, size) });
      if (a1 === undefined || a2 === undefined) throw new Error('search found no shares');
      expect(session.submit(shareOf(a, a1))).toEqual({ kind: 'submitted', sequence: 0 });
      // SRI answers the accepted share with an active job B on the same prev hash, another coinbase.
      const b = extendedOf(await until(() => (jobs.length > 1 ? jobs.at(-1) : undefined), 10_000, 'job B'));
      expect(b).toMatchObject({ clean: false, prevHash: a.prevHash });
      expect(bytesToHex(b.extended.coinbasePrefix)).not.toBe(bytesToHex(a.extended.coinbasePrefix));
      expect(b.extended.extranoncePrefix).toEqual(a.extended.extranoncePrefix);
      // A late share for A, on A's own coinbase, is still valid for both sides.
      expect(session.submit(shareOf(a, a2))).toEqual({ kind: 'submitted', sequence: 1 });
      const c = extendedOf(await until(() => (jobs.length > 2 ? jobs.at(-1) : undefined), 10_000, 'job C'));
      const [c1] = search(c, 1, { extranonce: extranonce(0, size) });
      const [c2] = search(c, 1, { extranonce: extranonce(1, size) });
      if (c1 === undefined || c2 === undefined) throw new Error('search found no shares');
      // The third accepted share makes SRI move to a new block: future job D + SetNewPrevHash.
      expect(session.submit(shareOf(c, c1))).toEqual({ kind: 'submitted', sequence: 2 });
      const d = extendedOf(await until(() => jobs.find((j) => j.clean && j !== a), 10_000, 'job D'));
      expect(bytesToHex(d.prevHash)).not.toBe(bytesToHex(a.prevHash));
      // C is stale now: our client does not send it at all.
      expect(session.submit(shareOf(c, c2))).toEqual({ kind: 'stale', reason: 'unknown-job' });
      const [d1] = search(d, 1, { extranonce: extranonce(7, size) });
      if (d1 === undefined) throw new Error('search found no shares');
      expect(session.submit(shareOf(d, d1))).toEqual({ kind: 'submitted', sequence: 3 });
      await until(() => (counters.accepted === 4 ? true : undefined), 15_000, 'four accepted shares');

      const handshake = await pool.proc.waitFor((l) => l.event === 'handshake');
      const verdicts = sharesOf(pool.proc, handshake['conn']);
      expect(verdicts.map((v) => [v['job_id'], v['extranonce'], v['verdict']])).toEqual([
        [a.jobId, bytesToHex(extranonce(0, size)), 'accepted'],
        [a.jobId, bytesToHex(extranonce(1, size)), 'accepted'],
        [c.jobId, bytesToHex(extranonce(0, size)), 'accepted'],
        [d.jobId, bytesToHex(extranonce(7, size)), 'accepted'],
      ]);
      expect(counters).toMatchObject({ submitted: 4, accepted: 4, rejected: 0, stale: 1 });
      session.close('interop test done');
      await ended;
    });
  },
);

describe.skipIf(peer.bin === '')(
  'sv2miner run (sim board) mining into the SRI pool on an extended channel',
  () => {
    const RUN_SECONDS = 15;
    // A fixed easy share target so the simulated board's nonces are shares within seconds.
    const fixture = sriPoolFixture(peer.bin, ['--share-difficulty', '1e-7']);

    it(`mines for ${RUN_SECONDS} s on extended jobs; SRI accepts every share and the summary agrees exactly`, async () => {
      const pool = fixture.pool;
      const configDir = writeSimConfigDir('sv2miner-interop-ext-', {
        board: 'sim-bm1370-1',
        pools: [{ url: pool.url, user: 'sv2miner-daemon.extended', channel: 'extended' }],
        sharesPerMinute: 6,
      });
      const { code, summary, context } = await runDaemon(configDir, RUN_SECONDS, pool.proc);
      expect(code, context).toBe(0);
      const setup = await pool.proc.waitFor((l) => l.event === 'setup');
      expect(setup['flags']).toBe(EXTENDED_SETUP_FLAGS);
      const opened = await pool.proc.waitFor((l) => l.event === 'channel_opened');
      expect(opened).toMatchObject({ kind: 'extended', user: 'sv2miner-daemon.extended' });
      const shares = pool.proc.events('share');
      const accepted = shares.filter((s) => s['verdict'] === 'accepted');
      const rejected = shares.filter((s) => s['verdict'] === 'rejected');
      expect(rejected, JSON.stringify(rejected)).toEqual([]);
      expect(accepted.length).toBeGreaterThan(3);
      // A clean stop waits for SRI's answers to the shares in flight: both books agree exactly.
      expect(Number(summary['shares_accepted'])).toBe(accepted.length);
      // Every share carries a miner extranonce of the channel's size. A simulated BM1370 rolls 2^16
      // versions per work item, so one work item (extranonce 0) lasts the whole run; the rolling
      // itself is covered by test/work/extended-job.test.ts.
      const size = Number(opened['extranonce_size']);
      expect(new Set(accepted.map((s) => s['extranonce']))).toEqual(new Set(['00'.repeat(size)]));
    });
  },
);
