import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { wordReverse } from '../../../drivers/bm13xx/commands.js';
import { headerPrefix, stepVersion } from '../../../drivers/bm13xx/midstate.js';
import { sha256Midstate } from '../../../src/bitcoin/sha256-midstate.js';
import { bytesToHex, hexToBytes } from '../../../src/bytes/hex.js';
import { readVectorJson } from '../../helpers/vectors.js';

interface MidstateVector {
  first_64_header_bytes: string;
  midstate_state_words_big_endian: string;
  'midstate_wire_bytes_(state words H7..H0, each big-endian)': string;
  version: string;
  stratum_prevhash: string;
  merkle_root_header_order: string;
}

describe('BM1397 host midstate', () => {
  const v = readVectorJson<MidstateVector>('bm13xx/bm1397_midstate.json');

  it('compresses the first 64 header bytes to the ESP-Miner state', () => {
    const state = sha256Midstate(hexToBytes(v.first_64_header_bytes));
    expect(bytesToHex(state)).toBe(v.midstate_state_words_big_endian);
    expect(bytesToHex(wordReverse(state))).toBe(
      v['midstate_wire_bytes_(state words H7..H0, each big-endian)'],
    );
  });

  it('builds the 64-byte prefix from job fields', () => {
    const stratum = hexToBytes(v.stratum_prevhash);
    const prev = new Uint8Array(32);
    for (let i = 0; i < 32; i++) prev[i] = stratum[(i & ~3) + 3 - (i & 3)] ?? 0;
    const prefix = headerPrefix(Number.parseInt(v.version, 16), prev, hexToBytes(v.merkle_root_header_order));
    expect(bytesToHex(prefix)).toBe(v.first_64_header_bytes);
  });

  it('agrees with noble sha256 on a second block (state after block 1 feeds a full digest)', () => {
    // SHA-256 of exactly 55 zero bytes is one padded block: its digest equals the compression of that block.
    const block = new Uint8Array(64);
    block[55] = 0x80;
    block[63] = 55 * 8 - 256; // 440 bits = 0x01B8
    block[62] = 0x01;
    expect(bytesToHex(sha256Midstate(block))).toBe(bytesToHex(sha256(new Uint8Array(55))));
  });
});

describe('version stepping inside the mask (§7.3)', () => {
  it('matches the ESP-Miner test: 0x20000004, mask 0x00FFFF00', () => {
    expect([1, 2, 3].map((k) => stepVersion(0x20000004, 0x00ffff00, k))).toEqual([
      0x20000104, 0x20000204, 0x20000304,
    ]);
  });

  it('steps the standard mask by 0x2000 and carries only through mask bits', () => {
    expect(stepVersion(0x20000000, 0x1fffe000, 3)).toBe(0x20006000);
    expect(stepVersion(0x3fffe000, 0x1fffe000, 1)).toBe(0x20000000);
    expect(stepVersion(0x20000000, 0, 3)).toBe(0x20000000);
  });
});
