/**
 * BIP324 ElligatorSwift and v2 ECDH against the verbatim bitcoin/bips CSVs (sv2.md §3.3):
 * decode (76 rows), inverse map (every case of every row) and the ECDH columns of the packet vectors.
 */
import { bytesToNumberBE } from '@noble/curves/utils.js';
import { describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes } from '../../src/bytes/hex.js';
import { NoiseError } from '../../src/errors.js';
import { ecdhX, v2Ecdh } from '../../src/noise/ecdh.js';
import {
  ellswiftDecode,
  ellswiftEncode,
  ellswiftInverse,
  ellswiftKeypair,
  xonlyPublicKey,
} from '../../src/noise/ellswift.js';
import { readVectorCsv } from '../helpers/vectors.js';

const decodeRows = readVectorCsv('bip324_ellswift_decode_test_vectors.csv');
const invRows = readVectorCsv('bip324_xswiftec_inv_test_vectors.csv');
const packetRows = readVectorCsv('bip324_packet_encoding_test_vectors.csv');

const col = (row: Record<string, string>, key: string): string => {
  const v = row[key];
  if (v === undefined) throw new Error(`vector column ${key} missing`);
  return v.toLowerCase();
};

describe('ElligatorSwift decode (BIP324 vectors)', () => {
  it('has all 76 rows', () => expect(decodeRows).toHaveLength(76));
  it.each(decodeRows.map((r, i) => [i, r] as const))('row %i', (_i, row) => {
    expect(bytesToHex(ellswiftDecode(hexToBytes(col(row, 'ellswift'))))).toBe(col(row, 'x'));
  });
});

describe('ElligatorSwift inverse map xswiftec_inv (BIP324 vectors)', () => {
  it('has rows', () => expect(invRows.length).toBeGreaterThanOrEqual(32));
  it.each(invRows.map((r, i) => [i, r] as const))('row %i: every case', (_i, row) => {
    const u = BigInt(`0x${col(row, 'u')}`);
    const x = BigInt(`0x${col(row, 'x')}`);
    for (let c = 0; c < 8; c++) {
      const want = col(row, `case${c}_t`);
      const got = ellswiftInverse(x, u, c);
      expect(got === undefined ? '' : got.toString(16).padStart(64, '0')).toBe(want);
      // Where a t exists, (u, t) must decode back to x.
      if (got !== undefined) {
        const enc = hexToBytes(col(row, 'u') + want);
        expect(bytesToHex(ellswiftDecode(enc))).toBe(col(row, 'x'));
      }
    }
  });
});

describe('BIP324 v2 ECDH (packet vectors, ECDH columns only)', () => {
  it('has 7 rows', () => expect(packetRows).toHaveLength(7));
  it.each(packetRows.map((r) => [col(r, 'in_idx'), r] as const))('vector %s', (_i, row) => {
    const priv = hexToBytes(col(row, 'in_priv_ours'));
    const ours = hexToBytes(col(row, 'in_ellswift_ours'));
    const theirs = hexToBytes(col(row, 'in_ellswift_theirs'));
    const initiating = col(row, 'in_initiating') === '1';
    expect(bytesToHex(ellswiftDecode(ours))).toBe(col(row, 'mid_x_ours'));
    expect(bytesToHex(ellswiftDecode(theirs))).toBe(col(row, 'mid_x_theirs'));
    expect(bytesToHex(ecdhX(priv, theirs))).toBe(col(row, 'mid_x_shared'));
    expect(bytesToHex(v2Ecdh(priv, theirs, ours, initiating))).toBe(col(row, 'mid_shared_secret'));
    // Swapping the role flips the hash order, so the secret must change.
    expect(bytesToHex(v2Ecdh(priv, theirs, ours, !initiating))).not.toBe(col(row, 'mid_shared_secret'));
  });
});

describe('our encoder', () => {
  it('round-trips random keys and is deterministic under an injected RNG', () => {
    for (let i = 0; i < 20; i++) {
      const kp = ellswiftKeypair();
      expect(bytesToHex(ellswiftDecode(kp.ellswift))).toBe(bytesToHex(kp.xonly));
    }
    let seed = 7;
    const rng = (n: number): Uint8Array =>
      Uint8Array.from({ length: n }, () => {
        seed = (seed * 1103515245 + 12345) >>> 0;
        return seed & 0xff;
      });
    const x = xonlyPublicKey(hexToBytes('11'.repeat(32)));
    seed = 7;
    const a = ellswiftEncode(x, rng);
    seed = 7;
    const b = ellswiftEncode(x, rng);
    expect(bytesToHex(a)).toBe(bytesToHex(b));
    expect(bytesToHex(ellswiftDecode(a))).toBe(bytesToHex(x));
  });

  it('both sides of the ECDH agree', () => {
    const i = ellswiftKeypair();
    const r = ellswiftKeypair();
    expect(bytesToHex(v2Ecdh(i.secret, r.ellswift, i.ellswift, true))).toBe(
      bytesToHex(v2Ecdh(r.secret, i.ellswift, r.ellswift, false)),
    );
  });

  it('refuses an x that is not on the curve, and bad secrets', () => {
    // x = 5: 5^3 + 7 = 132 is not a square mod p (BIP340 vector 5 uses this kind of key).
    const bad = new Uint8Array(32);
    bad[31] = 5;
    expect(bytesToNumberBE(bad)).toBe(5n);
    expect(() => ellswiftEncode(bad)).toThrow(NoiseError);
    expect(() => xonlyPublicKey(new Uint8Array(32))).toThrow(NoiseError);
    expect(() => v2Ecdh(new Uint8Array(32), new Uint8Array(64), new Uint8Array(64), true)).toThrow(
      NoiseError,
    );
  });
});
