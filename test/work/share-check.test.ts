import { describe, expect, it } from 'vitest';
import type { ChipWork, NonceResult } from '../../drivers/types.js';
import { difficultyToTarget, leBytesToBigInt, MAX_TARGET, ticketTarget } from '../../src/bitcoin/target.js';
import { hexToBytes } from '../../src/bytes/hex.js';
import type { Job } from '../../src/work/job.js';
import { checkNonce } from '../../src/work/share-check.js';
import { readVectorJson, type SriShareCase, sriShareCases } from '../helpers/vectors.js';

const sri = sriShareCases();

function fixture(c: SriShareCase, versionMask = 0x1fffe000): { job: Job; result: NonceResult } {
  const job: Job = {
    pool: 'stratum2+tcp://127.0.0.1:34254/x',
    channelId: 7,
    jobId: 42,
    version: c.version,
    versionMask,
    prevHash: hexToBytes(c.prev_hash_wire),
    merkleRoot: hexToBytes(c.merkle_root_wire),
    ntime: c.ntime,
    maxNtime: c.ntime + 60,
    nbits: c.nbits,
    target: leBytesToBigInt(hexToBytes(c.channel_target_wire_le)),
    clean: true,
  };
  const work: ChipWork = { ...job, workId: 1 };
  const result: NonceResult = {
    chain: 0,
    work,
    nonce: c.nonce,
    version: c.version,
    chipIndex: 0,
    coreId: 3,
    receivedAt: 1234.5,
  };
  return { job, result };
}

describe('checkNonce on the SRI standard-channel cases', () => {
  it.each(sri)('$sri_test -> $expected', (c) => {
    const { job, result } = fixture(c);
    const verdict = checkNonce(result, job, MAX_TARGET);
    if (!c.hash_lt_channel_target) {
      expect(verdict.kind).toBe('chip-only');
      return;
    }
    expect(verdict.kind).toBe('share');
    if (verdict.kind !== 'share') return;
    expect(verdict.block).toBe(c.hash_lt_network_target);
    expect(verdict.share).toEqual({
      pool: job.pool,
      channelId: 7,
      jobId: 42,
      nonce: c.nonce,
      ntime: c.ntime,
      version: c.version,
      difficulty: verdict.difficulty,
      foundAt: 1234.5,
    });
  });

  it('calls a nonce that misses the chip target a hardware error', () => {
    // "does not meet target" hashes to 45ec... (display): far above any real chip target.
    const { job, result } = fixture(sri[1] as SriShareCase);
    expect(checkNonce(result, job, ticketTarget(1))).toEqual({
      kind: 'hw-error',
      reason: 'above-chip-target',
    });
  });

  it('calls a version change outside the job mask a hardware error, before hashing', () => {
    const { job, result } = fixture(sri[2] as SriShareCase);
    const bad = { ...result, version: result.version | 0x0000_0100 };
    expect(checkNonce(bad, job, MAX_TARGET)).toEqual({ kind: 'hw-error', reason: 'version-outside-mask' });
    const noRolling = fixture(sri[2] as SriShareCase, 0);
    const rolled = { ...noRolling.result, version: noRolling.result.version | 0x2000 };
    expect(checkNonce(rolled, noRolling.job, MAX_TARGET).kind).toBe('hw-error');
  });

  it('hashes the rolled version the chip reports, not the job version', () => {
    const { job, result } = fixture(sri[2] as SriShareCase);
    // A different version inside the mask changes the hash: the valid nonce no longer meets the target.
    expect(checkNonce({ ...result, version: result.version | 0x2000 }, job, MAX_TARGET).kind).toBe(
      'chip-only',
    );
  });
});

describe('checkNonce on the BM1370 round trip', () => {
  const rt = readVectorJson<{
    rebuilt_header_hex: string;
    rolled_version: string;
    pool_difficulty: number;
    share_difficulty: number;
    stratum_notify: { version: string };
    version_mask: string;
  }>('bm13xx/bm1370_roundtrip.json');
  const header = hexToBytes(rt.rebuilt_header_hex);
  const view = new DataView(header.buffer);
  const work: ChipWork = {
    version: Number.parseInt(rt.stratum_notify.version, 16),
    versionMask: Number.parseInt(rt.version_mask, 16),
    prevHash: header.slice(4, 36),
    merkleRoot: header.slice(36, 68),
    ntime: view.getUint32(68, true),
    nbits: view.getUint32(72, true),
    workId: 9,
  };
  const job: Job = {
    ...work,
    pool: 'p',
    channelId: 1,
    jobId: 2,
    maxNtime: work.ntime + 10,
    target: difficultyToTarget(rt.pool_difficulty),
    clean: false,
  };
  const result: NonceResult = {
    chain: 0,
    work,
    nonce: view.getUint32(76, true),
    version: Number.parseInt(rt.rolled_version, 16),
    chipIndex: undefined,
    coreId: undefined,
    receivedAt: 0,
  };

  it('is a pool share of difficulty 29588 at ticket difficulty 256, not a block', () => {
    const verdict = checkNonce(result, job, ticketTarget(256));
    expect(verdict.kind).toBe('share');
    if (verdict.kind !== 'share') return;
    expect(verdict.difficulty).toBeCloseTo(rt.share_difficulty, 2);
    expect(verdict.block).toBe(false);
    expect(verdict.share.version).toBe(0x20b44000);
  });

  it('is chip-only when the pool difficulty is above the share difficulty', () => {
    const hard = { ...job, target: difficultyToTarget(65536) };
    const verdict = checkNonce(result, hard, ticketTarget(256));
    expect(verdict).toEqual({ kind: 'chip-only', difficulty: expect.closeTo(rt.share_difficulty, 2) });
  });
});
