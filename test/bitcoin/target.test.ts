import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bigIntToLeBytes,
  DIFF1_TARGET,
  difficultyToTarget,
  hashMeetsTarget,
  hashToDifficulty,
  leBytesToBigInt,
  MAX_TARGET,
  nbitsToTarget,
  relaxedTicketDifficulty,
  targetToDifficulty,
  targetToNbits,
  ticketTarget,
} from '../../src/bitcoin/target.js';
import { hexToBytes, reversedHexToBytes } from '../../src/bytes/hex.js';
import { readVectorJson, sriShareCases } from '../helpers/vectors.js';

const sri = sriShareCases();
const nonceChecks =
  readVectorJson<
    { test: string; block_hash_display: string; expected_int_difficulty: number; difficulty: number }[]
  >('bm13xx/nonce_checks.json');
const roundtrip = readVectorJson<{
  block_hash_display: string;
  share_difficulty: number;
  pool_difficulty: number;
  leading_zero_bits: number;
}>('bm13xx/bm1370_roundtrip.json');

describe('U256 little-endian', () => {
  it('reads the SRI channel target 00..00ffff0000 as 0xffff * 2^224', () => {
    const t = leBytesToBigInt(hexToBytes(sri[1]?.channel_target_wire_le ?? ''));
    expect(t).toBe(0xffffn << 224n);
  });

  it('round-trips any 256-bit value', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: MAX_TARGET }), (v) => {
        expect(leBytesToBigInt(bigIntToLeBytes(v))).toBe(v);
      }),
    );
  });

  it('puts the least significant byte first', () => {
    const bytes = bigIntToLeBytes(0x0102n);
    expect(bytes[0]).toBe(0x02);
    expect(bytes[1]).toBe(0x01);
    expect(() => bigIntToLeBytes(MAX_TARGET + 1n)).toThrow(RangeError);
  });
});

describe('hash meets target', () => {
  it.each(sri)('agrees with SRI for $sri_test (channel and network target)', (c) => {
    const hash = hexToBytes(c.sha256d_wire_order);
    expect(hashMeetsTarget(hash, leBytesToBigInt(hexToBytes(c.channel_target_wire_le)))).toBe(
      c.hash_lt_channel_target,
    );
    expect(hashMeetsTarget(hash, nbitsToTarget(c.nbits))).toBe(c.hash_lt_network_target);
  });

  it('accepts a hash equal to the target (<=, sv2.md §6.4)', () => {
    const hash = hexToBytes(sri[2]?.sha256d_wire_order ?? '');
    const h = leBytesToBigInt(hash);
    expect(hashMeetsTarget(hash, h)).toBe(true);
    expect(hashMeetsTarget(hash, h - 1n)).toBe(false);
  });
});

describe('difficulty', () => {
  it('gives difficulty 29588.01 for the BM1370 round-trip share (pool difficulty 8192)', () => {
    const d = hashToDifficulty(reversedHexToBytes(roundtrip.block_hash_display));
    expect(d).toBeCloseTo(roundtrip.share_difficulty, 2);
    expect(d).toBeGreaterThanOrEqual(roundtrip.pool_difficulty);
  });

  it.each(nonceChecks)('gives ESP-Miner difficulty for "$test"', (c) => {
    const d = hashToDifficulty(reversedHexToBytes(c.block_hash_display));
    expect(Math.trunc(d)).toBe(c.expected_int_difficulty);
    expect(d).toBeCloseTo(c.difficulty, 3);
  });

  it('float hash difficulty agrees with the exact bigint ratio to 1e-12', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (hash) => {
        const exact = targetToDifficulty(leBytesToBigInt(hash));
        if (exact === Number.POSITIVE_INFINITY) expect(hashToDifficulty(hash)).toBe(exact);
        else expect(Math.abs(hashToDifficulty(hash) - exact) / exact).toBeLessThan(1e-12);
      }),
    );
  });

  it('maps difficulty 1 to the diff-1 target and back', () => {
    expect(difficultyToTarget(1)).toBe(DIFF1_TARGET);
    expect(DIFF1_TARGET.toString(16)).toBe(`ffff${'0'.repeat(52)}`);
    expect(targetToDifficulty(DIFF1_TARGET)).toBe(1);
    expect(difficultyToTarget(8192)).toBe(DIFF1_TARGET / 8192n);
  });

  it('handles fractional difficulty and clamps tiny ones to the maximum target', () => {
    expect(difficultyToTarget(0.5)).toBe(DIFF1_TARGET * 2n);
    expect(difficultyToTarget(1e-12)).toBe(MAX_TARGET);
    expect(targetToDifficulty(0n)).toBe(Number.POSITIVE_INFINITY);
    expect(() => difficultyToTarget(0)).toThrow(RangeError);
    expect(() => difficultyToTarget(Number.NaN)).toThrow(RangeError);
  });

  it('difficulty -> target -> difficulty is stable to 1e-12 relative', () => {
    fc.assert(
      fc.property(fc.double({ min: 1e-6, max: 1e15, noNaN: true }), (d) => {
        expect(Math.abs(targetToDifficulty(difficultyToTarget(d)) - d) / d).toBeLessThan(1e-12);
      }),
    );
  });
});

describe('nbits', () => {
  it('decodes 0x1b00d7c0 and 0x207fffff (regtest)', () => {
    expect(nbitsToTarget(0x1b00d7c0)).toBe(0xd7c0n << 192n);
    expect(nbitsToTarget(0x207fffff)).toBe(0x7fffffn << 232n);
    expect(nbitsToTarget(0x1d00ffff)).toBe(DIFF1_TARGET);
  });

  it('treats a negative compact value as unreachable and small exponents by shifting right', () => {
    expect(nbitsToTarget(0x1d80ffff)).toBe(0n);
    expect(nbitsToTarget(0x02123456)).toBe(0x1234n);
  });

  it('encodes like GetCompact (round trip on canonical values)', () => {
    for (const nbits of [0x1d00ffff, 0x1b00d7c0, 0x207fffff, 0x1705ae3a, 0x17023a04, 0x03123456]) {
      expect(targetToNbits(nbitsToTarget(nbits))).toBe(nbits);
    }
    // 0x80 would be read as the sign bit: GetCompact moves it into the next byte.
    expect(targetToNbits(0x80n)).toBe(0x02008000);
  });
});

describe('ticket target (chip mask)', () => {
  it('is "32 + N leading zero bits" for D = 2^N, rounding D down', () => {
    expect(ticketTarget(1)).toBe((1n << 224n) - 1n);
    expect(ticketTarget(256)).toBe((1n << 216n) - 1n);
    expect(ticketTarget(300)).toBe(ticketTarget(256));
  });

  it('accepts the round-trip share (46 leading zero bits) at D = 256 and is a bit easier than diff target', () => {
    const hash = reversedHexToBytes(roundtrip.block_hash_display);
    expect(roundtrip.leading_zero_bits).toBeGreaterThanOrEqual(40);
    expect(hashMeetsTarget(hash, ticketTarget(256))).toBe(true);
    expect(ticketTarget(256)).toBeGreaterThan(difficultyToTarget(256));
  });

  it('widens by 2^k for simulated boards and reports the matching nonce weight', () => {
    expect(ticketTarget(256, 20)).toBe((1n << 236n) - 1n);
    expect(relaxedTicketDifficulty(256)).toBe(256);
    expect(relaxedTicketDifficulty(256, 20)).toBe(2 ** -12);
    expect(() => ticketTarget(0.5)).toThrow(RangeError);
  });
});
