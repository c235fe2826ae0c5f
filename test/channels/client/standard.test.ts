/**
 * StandardChannel state machine (sv2.md §6.2, §6.5, §6.6): future jobs activated by SetNewPrevHash,
 * active jobs on the current prevhash, held jobs before any prevhash, SetTarget semantics, the
 * 16-entry future store, ntime bound and share staleness. Jobs are checked field by field.
 */
import { describe, expect, it } from 'vitest';
import { DIFF1_TARGET, leBytesToBigInt } from '../../../src/bitcoin/target.js';
import { StandardChannel } from '../../../src/channels/client/standard.js';

const T1 = new Uint8Array(32);
T1[26] = 0xff;
T1[27] = 0xff; // 0xffff << 208 = difficulty 1
const T2 = new Uint8Array(32);
T2[25] = 0xff; // harder
const prev = Uint8Array.from({ length: 32 }, (_, i) => i);
const root = (n: number) => new Uint8Array(32).fill(n);
const make = () =>
  new StandardChannel({
    pool: 'p',
    channelId: 7,
    groupChannelId: 1,
    target: T1,
    extranoncePrefix: Uint8Array.of(9),
    versionMask: 0x1fffe000,
  });
const future = (id: number) => ({ job_id: id, min_ntime: null, version: 0x20000000, merkle_root: root(id) });
const active = (id: number, t: number) => ({
  job_id: id,
  min_ntime: t,
  version: 0x20000004,
  merkle_root: root(id),
});
const snph = (id: number, t = 1000) => ({ job_id: id, prev_hash: prev, min_ntime: t, nbits: 0x1d00ffff });

describe('StandardChannel', () => {
  it('activates the future job named by SetNewPrevHash and emits a full Job', () => {
    const c = make();
    expect(leBytesToBigInt(T1)).toBe(DIFF1_TARGET);
    expect(c.newMiningJob(future(5), 0)).toEqual({ kind: 'stored', jobId: 5, evicted: undefined });
    const u = c.setNewPrevHash(snph(5), 10);
    expect(u).toEqual({
      kind: 'job',
      job: {
        pool: 'p',
        channelId: 7,
        jobId: 5,
        version: 0x20000000,
        versionMask: 0x1fffe000,
        prevHash: prev,
        merkleRoot: root(5),
        ntime: 1000,
        maxNtime: 1000,
        nbits: 0x1d00ffff,
        target: DIFF1_TARGET,
        clean: true,
      },
    });
    expect(c.jobValidity(5, 10)).toEqual({ kind: 'valid', target: DIFF1_TARGET });
  });

  it('runs an active job at once on the current prevhash; ntime bound grows with time since prevhash', () => {
    const c = make();
    c.newMiningJob(future(1), 0);
    c.setNewPrevHash(snph(1, 5000), 1000);
    const u = c.newMiningJob(active(2, 5003), 8_500);
    if (u.kind !== 'job') throw new Error(u.kind);
    expect(u.job).toMatchObject({ jobId: 2, ntime: 5003, maxNtime: 5007, clean: false, version: 0x20000004 });
    // earlier job of the same prevhash still accepted, as SRI does
    expect(c.jobValidity(1, 9000).kind).toBe('valid');
    expect(c.activeJob?.jobId).toBe(2);
  });

  it('invalidates every other job on SetNewPrevHash and stops on an unknown job id', () => {
    const c = make();
    c.newMiningJob(future(1), 0);
    c.newMiningJob(future(2), 0);
    c.setNewPrevHash(snph(1), 0);
    c.newMiningJob(future(3), 0);
    expect(c.setNewPrevHash(snph(3), 5).kind).toBe('job');
    expect(c.jobValidity(1, 6)).toEqual({ kind: 'stale', reason: 'unknown-job' });
    // job 2 was a future job of the old tip: gone
    expect(c.setNewPrevHash(snph(2), 7)).toEqual({ kind: 'no-job', jobId: 2 });
    expect(c.activeJob).toBeUndefined();
    expect(c.jobValidity(3, 8).kind).toBe('stale');
  });

  it('holds an active job that arrives before any prevhash until SetNewPrevHash names it', () => {
    const c = make();
    expect(c.newMiningJob(active(4, 77), 0)).toEqual({ kind: 'held', jobId: 4 });
    const u = c.setNewPrevHash(snph(4, 900), 1);
    expect(u.kind === 'job' && u.job.ntime).toBe(900);
  });

  it('SetTarget retargets future jobs and later jobs, never the active one', () => {
    const c = make();
    c.newMiningJob(future(1), 0);
    c.setNewPrevHash(snph(1), 0);
    c.newMiningJob(future(2), 0);
    c.setTarget(T2);
    expect(c.target).toBe(leBytesToBigInt(T2));
    expect(c.activeJob?.target).toBe(DIFF1_TARGET);
    const a = c.newMiningJob(active(3, 1000), 0);
    expect(a.kind === 'job' && a.job.target).toBe(leBytesToBigInt(T2));
    // Shares are credited at their own job's target.
    expect(c.jobValidity(1, 0)).toEqual({ kind: 'valid', target: DIFF1_TARGET });
    expect(c.jobValidity(3, 0)).toEqual({ kind: 'valid', target: leBytesToBigInt(T2) });
    const f = c.setNewPrevHash(snph(2), 0);
    expect(f.kind === 'job' && f.job.target).toBe(leBytesToBigInt(T2));
  });

  it('keeps at most 16 future jobs, evicting the oldest', () => {
    const c = make();
    for (let i = 1; i <= 16; i++) c.newMiningJob(future(i), 0);
    expect(c.newMiningJob(future(17), 0)).toEqual({ kind: 'stored', jobId: 17, evicted: 1 });
    expect(c.futureJobCount).toBe(16);
    expect(c.setNewPrevHash(snph(1), 0).kind).toBe('no-job');
  });

  it('treats a reused job id as a different job for nonces found before it was issued', () => {
    const c = make();
    c.newMiningJob(future(1), 0);
    c.setNewPrevHash(snph(1), 100);
    c.newMiningJob(future(1), 200);
    c.setNewPrevHash(snph(1), 300);
    expect(c.jobValidity(1, 250)).toEqual({ kind: 'stale', reason: 'found-before-job' });
    expect(c.jobValidity(1, 300)).toEqual({ kind: 'valid', target: DIFF1_TARGET });
  });
});
