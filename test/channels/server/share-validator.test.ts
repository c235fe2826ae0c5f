/**
 * Pure parts of the local pool: checkShare against SRI's standard-channel share vectors (header
 * byte order, H <= T, block detection), the ntime and version-mask rules, the server channel's
 * stale / unknown-job / duplicate bookkeeping, the fake chain and its templates, and the target
 * formulas.
 */
import { describe, expect, it } from 'vitest';
import {
  leBytesToBigInt,
  MAX_TARGET,
  nbitsToTarget,
  targetToDifficulty,
} from '../../../src/bitcoin/target.js';
import { hexToBytes } from '../../../src/bytes/hex.js';
import { checkShare, type ShareWork } from '../../../src/channels/server/share-validator.js';
import { StandardServerChannel } from '../../../src/channels/server/standard.js';
import { hashrateToTarget, VardiffState } from '../../../src/channels/server/vardiff.js';
import { DEFAULT_NBITS, JobSource, nextPrevHash } from '../../../src/pool-server/job-source.js';
import { type SriShareCase, sriShareCases } from '../../helpers/vectors.js';

const cases = sriShareCases();

function workFor(c: SriShareCase): ShareWork {
  return {
    version: c.version,
    prevHash: hexToBytes(c.prev_hash_wire),
    merkleRoot: hexToBytes(c.merkle_root_wire),
    nbits: c.nbits,
    minNtime: c.ntime,
    maxNtime: c.ntime,
    versionMask: 0x1fffe000,
    target: leBytesToBigInt(hexToBytes(c.channel_target_wire_le)),
  };
}

describe('checkShare on SRI standard-channel vectors', () => {
  it.each(cases.map((c) => [c.sri_test, c] as const))('%s', (_name, c) => {
    const r = checkShare({ nonce: c.nonce, ntime: c.ntime, version: c.version }, workFor(c));
    if (!c.hash_lt_channel_target) {
      expect(r).toMatchObject({ kind: 'rejected', code: 'difficulty-too-low' });
      return;
    }
    if (r.kind !== 'valid') throw new Error(`expected valid, got ${r.code}`);
    expect(Buffer.from(r.hash).toString('hex')).toBe(c.sha256d_wire_order);
    expect(r.block).toBe(c.hash_lt_network_target);
    expect(r.creditedDifficulty).toBeCloseTo(targetToDifficulty(workFor(c).target), 12);
  });

  it('rejects ntime outside [min_ntime, max] with invalid-share and foreign version bits', () => {
    const c = cases.find((x) => x.expected === 'Valid');
    if (c === undefined) throw new Error('vector missing');
    const w = workFor(c);
    const share = { nonce: c.nonce, ntime: c.ntime, version: c.version };
    expect(checkShare({ ...share, ntime: c.ntime - 1 }, w)).toMatchObject({ code: 'invalid-share' });
    expect(checkShare({ ...share, ntime: c.ntime + 1 }, w)).toMatchObject({ code: 'invalid-share' });
    expect(checkShare({ ...share, version: c.version | 0x1000 }, w)).toMatchObject({
      code: 'invalid-non-rollable-version-bit',
    });
    // Inside the mask the version is accepted as far as the version rule goes (hash then decides).
    const rolled = checkShare({ ...share, version: c.version | 0x2000 }, w);
    expect(rolled.kind === 'valid' || rolled.code === 'difficulty-too-low').toBe(true);
    expect(
      checkShare({ ...share, version: c.version | 0x2000 }, { ...w, versionMask: 0x1fffffe0 }).kind,
    ).not.toBe('invalid-non-rollable-version-bit');
  });
});

describe('StandardServerChannel bookkeeping', () => {
  const templates = new JobSource({ nowSec: () => 1_700_000_000, extranonceSpace: 32 });
  const tipAt = (height: number) => ({
    height,
    prevHash: nextPrevHash(new Uint8Array(32), height),
    nbits: DEFAULT_NBITS,
    minNtime: 1_700_000_000,
  });
  const channel = () =>
    new StandardServerChannel({
      channelId: 5,
      groupChannelId: 4,
      userIdentity: 'u',
      extranoncePrefix: new Uint8Array(32),
      target: MAX_TARGET,
      maxTarget: MAX_TARGET,
      nominalHashRate: 1,
      nextTemplate: () => templates.template(),
      versionMask: 0x1fffe000,
      shareBatchSize: 2,
      ntimeLeewaySec: 60,
      vardiff: undefined,
    });
  const share = (job_id: number, sequence_number: number, nonce = 0) => ({
    job_id,
    sequence_number,
    nonce,
    ntime: 1_700_000_000,
    version: 0x20000000,
  });

  it('future job + SetNewPrevHash, stale after a new tip, unknown ids, batched acks, duplicates', () => {
    const ch = channel();
    expect(ch.submit(share(1, 0), 1_700_000_000)).toMatchObject({ code: 'invalid-job-id' });
    const [job, snph] = ch.onNewTip(tipAt(1));
    expect(job).toMatchObject({ name: 'NewMiningJob', fields: { job_id: 1, min_ntime: null } });
    expect(snph).toMatchObject({ name: 'SetNewPrevHash', fields: { job_id: 1, min_ntime: 1_700_000_000 } });
    // MAX_TARGET: every hash meets it, so only bookkeeping decides.
    expect(ch.submit(share(1, 0, 1), 1_700_000_000)).toMatchObject({ kind: 'accepted', ack: undefined });
    const second = ch.submit(share(1, 1, 2), 1_700_000_000);
    expect(second).toMatchObject({
      kind: 'accepted',
      ack: {
        name: 'SubmitShares.Success',
        fields: { last_sequence_number: 1, new_submits_accepted_count: 2 },
      },
    });
    expect(ch.submit(share(1, 2, 2), 1_700_000_000)).toMatchObject({ code: 'duplicate-share' });
    expect(ch.submit(share(2, 3), 1_700_000_000)).toMatchObject({ code: 'invalid-job-id' });
    ch.onNewTip(tipAt(2));
    expect(ch.submit(share(1, 4, 3), 1_700_000_000)).toMatchObject({ code: 'stale-share' });
    expect(ch.submit(share(2, 5, 3), 1_700_000_000)).toMatchObject({ kind: 'accepted' });
  });

  it('evicts jobs beyond 64 per prev hash as stale', () => {
    const ch = channel();
    ch.onNewTip(tipAt(1));
    for (let i = 0; i < 64; i++) ch.newActiveJob(1_700_000_000);
    expect(ch.submit(share(1, 0, 1), 1_700_000_000)).toMatchObject({ code: 'stale-share' });
    expect(ch.submit(share(2, 1, 1), 1_700_000_000)).toMatchObject({ kind: 'accepted' });
  });
});

describe('fake chain', () => {
  it('prev hashes look like block hashes and chain deterministically', () => {
    const a = nextPrevHash(new Uint8Array(32), 1);
    expect(Array.from(a.subarray(28))).toEqual([0, 0, 0, 0]);
    expect(nextPrevHash(new Uint8Array(32), 1)).toEqual(a);
    expect(nextPrevHash(new Uint8Array(32), 2)).not.toEqual(a);
  });

  it('every template has its own coinbase on one tip, and the same merkle path', () => {
    const src = new JobSource({ nowSec: () => 1_700_000_000, extranonceSpace: 16 });
    const a = src.template();
    const b = src.template();
    expect(a.coinbase.extranonceLength).toBe(16);
    expect(Buffer.from(a.coinbase.prefix).equals(Buffer.from(b.coinbase.prefix))).toBe(false);
    expect(a.merklePath).toEqual(b.merklePath);
    expect(a.merklePath).toHaveLength(2); // 3 simulated transactions + the coinbase
  });

  it('advance() takes a found hash as the next prev hash and never goes back in time', () => {
    let now = 1_700_000_000;
    const src = new JobSource({ nowSec: () => now, extranonceSpace: 32 });
    const found = new Uint8Array(32).fill(7);
    const t2 = src.advance(found);
    expect(t2).toMatchObject({ height: 2, prevHash: found, minNtime: 1_700_000_001 });
    now += 100;
    expect(src.advance().minNtime).toBe(1_700_000_100);
    expect(nbitsToTarget(src.nbits)).toBeGreaterThan(0n);
  });
});

describe('targets', () => {
  it('hashrateToTarget follows (2^256 - h·s) / (h·s + 1) and gives the easiest target for 0', () => {
    const hs = 10n ** 13n;
    expect(hashrateToTarget(1e12, 6)).toBe(((1n << 256n) - hs) / (hs + 1n));
    expect(hashrateToTarget(0, 6)).toBe(MAX_TARGET);
    expect(hashrateToTarget(2e12, 6) < hashrateToTarget(1e12, 6)).toBe(true);
  });

  it('vardiff keeps a good rate, raises difficulty when shares flood, halves it when none come', () => {
    const T = hashrateToTarget(1e9, 6);
    const v = new VardiffState(0, { sharesPerMinute: 6 });
    for (let i = 0; i < 6; i++) v.recordShare(targetToDifficulty(T));
    expect(v.evaluate(60_000, T, MAX_TARGET)).toBeUndefined();
    for (let i = 0; i < 60; i++) v.recordShare(targetToDifficulty(T));
    const up = v.evaluate(120_000, T, MAX_TARGET);
    if (up === undefined) throw new Error('expected a retarget');
    expect(up.target).toBe(hashrateToTarget((60 * targetToDifficulty(T) * 2 ** 32) / 60, 6));
    expect(Number(T / up.target)).toBeGreaterThanOrEqual(9);
    const down = v.evaluate(180_000, T, MAX_TARGET);
    if (down === undefined) throw new Error('expected a retarget');
    expect(Number((down.target * 1000n) / T) / 1000).toBeCloseTo(2, 1);
    expect(v.evaluate(240_000, T, T)?.target).toBeUndefined();
  });
});
