/**
 * Client-side extended channels (spec 05 §5.3.5-5.3.6, §5.3.12, §5.3.16, §5.3.18-5.3.20): jobs carry
 * the coinbase split, merkle path, the prefix they arrived under and the channel's extranonce_size;
 * SetExtranoncePrefix applies to the next jobs only; group jobs fan out to members (a standard
 * member builds its own merkle root); custom jobs become active on .Success. Byte checks use
 * node:crypto, not src/bitcoin.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MAX_TARGET } from '../../../src/bitcoin/target.js';
import { bytesToHex } from '../../../src/bytes/hex.js';
import { ChannelSet } from '../../../src/channels/client/channel-set.js';
import { emptyCounters } from '../../../src/channels/client/counters.js';
import { customJobCoinbase } from '../../../src/channels/client/custom-job.js';
import { ExtendedChannel } from '../../../src/channels/client/extended.js';
import { StandardChannel } from '../../../src/channels/client/standard.js';
import { silentLog } from '../../../src/log.js';
import { coinbaseFor } from '../../../src/work/extranonce.js';
import type { Job } from '../../../src/work/job.js';
import { FakeClock } from '../../upstream/helpers/fake-clock.js';

const dsha = (b: Uint8Array): Uint8Array =>
  new Uint8Array(createHash('sha256').update(createHash('sha256').update(b).digest()).digest());
const cat = (...parts: Uint8Array[]): Uint8Array => Uint8Array.from(parts.flatMap((p) => [...p]));

const TARGET = new Uint8Array(32).fill(0xff);
const PREFIX = Uint8Array.of(0xa1, 0xa2, 0xa3);
const PATH = [new Uint8Array(32).fill(0x11), new Uint8Array(32).fill(0x22)];
const prev = new Uint8Array(32).fill(0x42);

function channel(extranonceSize = 4, prefix = PREFIX): ExtendedChannel {
  return new ExtendedChannel({
    pool: 'p',
    channelId: 3,
    groupChannelId: 9,
    target: TARGET,
    extranoncePrefix: prefix,
    versionMask: 0x1fffe000,
    extranonceSize,
  });
}

const extJob = (id: number, minNtime: number | null = null, rolling = true) => ({
  job_id: id,
  min_ntime: minNtime,
  version: 0x20000000,
  version_rolling_allowed: rolling,
  merkle_path: PATH,
  coinbase_tx_prefix: Uint8Array.of(1, 2, 3, id),
  coinbase_tx_suffix: Uint8Array.of(9, 8, 7, id),
});
const snph = (id: number, t = 1000, hash = prev) => ({
  job_id: id,
  prev_hash: hash,
  min_ntime: t,
  nbits: 0x1d00ffff,
});

function jobOf(u: { kind: string; job?: Job }): Job {
  if (u.kind !== 'job' || u.job === undefined) throw new Error(`expected a job, got ${u.kind}`);
  return u.job;
}

describe('ExtendedChannel', () => {
  it('activates a future extended job with the coinbase split, path, prefix and extranonce_size', () => {
    const c = channel();
    expect(c.newExtendedMiningJob(extJob(5), 0)).toEqual({ kind: 'stored', jobId: 5, evicted: undefined });
    const job = jobOf(c.setNewPrevHash(snph(5), 10));
    expect(job).toMatchObject({
      channelId: 3,
      jobId: 5,
      version: 0x20000000,
      versionMask: 0x1fffe000,
      clean: true,
    });
    expect(job.merkleRoot).toBeUndefined();
    expect(job.extended).toEqual({
      coinbasePrefix: Uint8Array.of(1, 2, 3, 5),
      coinbaseSuffix: Uint8Array.of(9, 8, 7, 5),
      merklePath: PATH,
      extranoncePrefix: PREFIX,
      extranonceSize: 4,
    });
    expect(c.jobValidity(5, 10)).toEqual({ kind: 'valid', target: MAX_TARGET });
  });

  it('gives a job that forbids version rolling a zero mask', () => {
    const c = channel();
    c.setNewPrevHash(snph(1), 0);
    const job = jobOf(c.newExtendedMiningJob(extJob(6, 1000, false), 0));
    expect(job.versionMask).toBe(0);
    expect(job.clean).toBe(false);
  });

  it('applies SetExtranoncePrefix to the jobs received after it, never to jobs already held', () => {
    const c = channel();
    c.newExtendedMiningJob(extJob(5), 0);
    const next = Uint8Array.of(0xb1, 0xb2, 0xb3, 0xb4);
    c.setExtranoncePrefix(next);
    const held = jobOf(c.setNewPrevHash(snph(5), 0));
    expect(held.extended?.extranoncePrefix).toEqual(PREFIX);
    const later = jobOf(c.newExtendedMiningJob(extJob(6, 1000), 0));
    expect(later.extended?.extranoncePrefix).toEqual(next);
    // The full coinbase of the later job has the new prefix right before the miner's bytes.
    const coinbase = coinbaseFor(later.extended as NonNullable<Job['extended']>, Uint8Array.of(0, 0, 0, 7));
    expect(bytesToHex(coinbase)).toBe('01020306' + 'b1b2b3b4' + '00000007' + '09080706');
  });

  it('refuses a prefix that leaves no room for extranonce_size in 32 bytes, keeping the old one', () => {
    const c = channel(28);
    expect(() => c.setExtranoncePrefix(new Uint8Array(5))).toThrow(
      'extranonce prefix 5 + extranonce_size 28 bytes exceeds the 32-byte SV2 extranonce',
    );
    expect(c.extranoncePrefix).toEqual(PREFIX);
    expect(() => channel(30)).toThrow('extranonce prefix 3 + extranonce_size 30 bytes exceeds');
  });
});

describe('group channels on the client side', () => {
  it('fans a group-addressed extended job out to every member; a standard member builds its own merkle root', () => {
    const set = new ChannelSet({
      pool: 'p',
      counters: emptyCounters(),
      clock: new FakeClock(),
      log: silentLog,
      maxTarget: MAX_TARGET,
    });
    const common = { request_id: 1, target: TARGET, group_channel_id: 9 };
    set.addExtended(
      { ...common, channel_id: 3, extranonce_size: 4, extranonce_prefix: PREFIX },
      0x1fffe000,
      1,
    );
    const stdPrefix = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
    set.add({ ...common, channel_id: 4, extranonce_prefix: stdPrefix }, 0x1fffe000, 1);
    const jobs = set.route(9).map((slot) => {
      slot.channel.newExtendedMiningJob(extJob(5), 0);
      return jobOf(slot.channel.setNewPrevHash(snph(5), 0));
    });
    expect(jobs.map((j) => j.channelId)).toEqual([3, 4]);
    expect(jobs[0]?.extended?.extranoncePrefix).toEqual(PREFIX);
    // The standard member's whole extranonce is its prefix: root = path over sha256d(coinbase).
    let root = dsha(cat(Uint8Array.of(1, 2, 3, 5), stdPrefix, Uint8Array.of(9, 8, 7, 5)));
    for (const sibling of PATH) root = dsha(cat(root, sibling));
    expect(bytesToHex(jobs[1]?.merkleRoot ?? new Uint8Array())).toBe(bytesToHex(root));
    expect(jobs[1]?.extended).toBeUndefined();
  });

  it('a standard channel on its own takes NewMiningJob roots unchanged', () => {
    const c = new StandardChannel({
      pool: 'p',
      channelId: 4,
      groupChannelId: 0,
      target: TARGET,
      extranoncePrefix: new Uint8Array(),
      versionMask: 0x1fffe000,
    });
    c.newMiningJob(
      { job_id: 2, min_ntime: null, version: 0x20000000, merkle_root: new Uint8Array(32).fill(3) },
      0,
    );
    expect(jobOf(c.setNewPrevHash(snph(2), 0)).merkleRoot).toEqual(new Uint8Array(32).fill(3));
  });
});

describe('custom jobs (SetCustomMiningJob, client side)', () => {
  const outputs = Uint8Array.of(1, 0x00, 0xf2, 0x05, 0x2a, 0x01, 0, 0, 0, 1, 0x51); // 1 output, 50 BTC, OP_TRUE
  const fields = {
    mining_job_token: Uint8Array.of(0xee, 0xff),
    version: 0x20000000,
    prev_hash: new Uint8Array(32).fill(0x77),
    min_ntime: 1_700_000_000,
    nbits: 0x1d00ffff,
    coinbase_tx_version: 2,
    coinbase_prefix: Uint8Array.of(0x03, 0x10, 0x27, 0x00, 7), // BIP34 height 10000, push 7 bytes
    coinbase_tx_input_nSequence: 0xfffffffe,
    coinbase_tx_outputs: outputs,
    coinbase_tx_locktime: 0,
    merkle_path: PATH,
  };

  it('serialises the coinbase around the full extranonce as a real transaction', () => {
    const { prefix, suffix } = customJobCoinbase(fields, 7);
    const tx = cat(prefix, PREFIX, Uint8Array.of(0, 0, 0, 1), suffix);
    expect(bytesToHex(tx)).toBe(
      '02000000' + // version
        '01' + // one input
        '00'.repeat(32) +
        'ffffffff' + // null prevout
        '0c' + // scriptSig: 5 prefix bytes + 7 extranonce bytes
        '0310270007' +
        'a1a2a3' +
        '00000001' +
        'feffffff' + // nSequence
        '0100f2052a010000000151' + // outputs with their count
        '00000000', // locktime
    );
    expect(() => customJobCoinbase({ ...fields, coinbase_prefix: new Uint8Array(90) }, 16)).toThrow(
      'custom job scriptSig would be 106 bytes',
    );
  });

  it('sends a request with its own id and activates the job on .Success under the pool job id', () => {
    const c = channel();
    c.newExtendedMiningJob(extJob(5), 0);
    c.setNewPrevHash(snph(5), 0);
    const request = c.requestCustomJob(fields);
    expect(request).toMatchObject({
      channel_id: 3,
      request_id: 1,
      mining_job_token: Uint8Array.of(0xee, 0xff),
    });
    expect(c.requestCustomJob(fields).request_id).toBe(2);
    const answer = c.customJobAccepted({ channel_id: 3, request_id: 1, job_id: 77 }, 500);
    if (answer.kind !== 'job') throw new Error(answer.kind);
    const job = answer.job;
    // A new prev hash: a clean job, and the pool's earlier job 5 is no longer valid.
    expect(job).toMatchObject({ jobId: 77, ntime: 1_700_000_000, nbits: 0x1d00ffff, clean: true });
    expect(job.prevHash).toEqual(fields.prev_hash);
    expect(c.jobValidity(5, 500)).toEqual({ kind: 'stale', reason: 'unknown-job' });
    expect(c.jobValidity(77, 500).kind).toBe('valid');
    const split = customJobCoinbase(fields, PREFIX.length + 4);
    expect(job.extended).toEqual({
      coinbasePrefix: split.prefix,
      coinbaseSuffix: split.suffix,
      merklePath: PATH,
      extranoncePrefix: PREFIX,
      extranonceSize: 4,
    });
    // Answered once: a repeated Success names a request we no longer have.
    expect(c.customJobAccepted({ channel_id: 3, request_id: 1, job_id: 78 }, 500)).toEqual({
      kind: 'unknown-request',
      requestId: 1,
    });
    expect(
      c.customJobRejected({ channel_id: 3, request_id: 2, error_code: 'invalid-mining-job-token' }),
    ).toEqual({
      kind: 'rejected',
      requestId: 2,
      code: 'invalid-mining-job-token',
    });
  });
});
