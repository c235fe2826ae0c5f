/**
 * BIP340 Schnorr (verbatim bitcoin/bips vectors, through @noble/curves) and the SV2 certificate
 * (sv2.md §3.5): byte layout and signature against the DERIVED vector, and every way checkCertificate
 * refuses: bad signature, wrong authority, wrong static key, time window, unset clock.
 */
import { schnorr } from '@noble/curves/secp256k1.js';
import { describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes } from '../../src/bytes/hex.js';
import { NoiseError } from '../../src/errors.js';
import {
  type Certificate,
  certificateHash,
  certificateSigner,
  checkCertificate,
  decodeCertificate,
  encodeCertificate,
  signCertificate,
} from '../../src/noise/certificate.js';
import { xonlyPublicKey } from '../../src/noise/ellswift.js';
import { readVectorCsv, readVectorJson } from '../helpers/vectors.js';

const bip340 = readVectorCsv('bip340_test-vectors.csv');
const cell = (r: Record<string, string>, k: string): string => r[k] ?? '';

describe('BIP340 vectors via @noble/curves schnorr', () => {
  it('has 19 rows', () => expect(bip340).toHaveLength(19));
  it.each(bip340.map((r) => [cell(r, 'index'), r] as const))('vector %s', (_i, r) => {
    const msg = hexToBytes(cell(r, 'message'));
    const sig = hexToBytes(cell(r, 'signature'));
    const pub = hexToBytes(cell(r, 'public key'));
    const expected = cell(r, 'verification result') === 'TRUE';
    let ok: boolean;
    try {
      ok = schnorr.verify(sig, msg, pub);
    } catch {
      ok = false;
    }
    expect(ok).toBe(expected);
    const sk = cell(r, 'secret key');
    if (sk !== '') {
      expect(bytesToHex(schnorr.getPublicKey(hexToBytes(sk)))).toBe(bytesToHex(pub));
      expect(bytesToHex(schnorr.sign(msg, hexToBytes(sk), hexToBytes(cell(r, 'aux_rand'))))).toBe(
        bytesToHex(sig),
      );
    }
  });
});

interface Derived {
  keys: { responder_static_xonly: string; authority_secret: string; authority_xonly: string };
  certificate: Record<string, string | number>;
}
const derived = readVectorJson<Derived>('sv2_noise_handshake_DERIVED.json');
const dc = derived.certificate;
const str = (k: string): string => String(dc[k]);

describe('certificate layout (DERIVED vector)', () => {
  const staticX = hexToBytes(derived.keys.responder_static_xonly);
  const authSecret = hexToBytes(derived.keys.authority_secret);
  const authX = hexToBytes(derived.keys.authority_xonly);
  const fields = { version: 0, validFrom: 1_700_000_000, notValidAfter: 1_700_003_600 };

  it('hashes version ‖ valid_from ‖ not_valid_after ‖ static x-only', () => {
    expect(bytesToHex(certificateHash(fields, staticX))).toBe(str('message_hash m = sha256(signed_bytes)'));
  });

  it('signs with BIP340 and encodes the 74-byte SIGNATURE_NOISE_MESSAGE', () => {
    const cert = signCertificate({
      authoritySecret: authSecret,
      staticXonly: staticX,
      ...fields,
      auxRand: hexToBytes(str('bip340_aux_rand')),
    });
    expect(bytesToHex(cert.signature)).toBe(str('signature'));
    const wire = encodeCertificate(cert);
    expect(bytesToHex(wire)).toBe(str('SIGNATURE_NOISE_MESSAGE (74 bytes plaintext)'));
    const back = decodeCertificate(wire);
    expect(back).toEqual({ ...fields, signature: cert.signature });
    expect(checkCertificate(back, staticX, authX, 1_700_000_100)).toEqual({ kind: 'valid' });
  });

  it('refuses wrong lengths', () => {
    expect(() => decodeCertificate(new Uint8Array(73))).toThrow(NoiseError);
    expect(() => encodeCertificate({ ...fields, signature: new Uint8Array(63) })).toThrow(NoiseError);
  });
});

describe('checkCertificate', () => {
  const authSecret = hexToBytes('07'.repeat(32));
  const authX = xonlyPublicKey(authSecret);
  const staticX = xonlyPublicKey(hexToBytes('09'.repeat(32)));
  const t0 = 1_750_000_000;
  const cert: Certificate = signCertificate({
    authoritySecret: authSecret,
    staticXonly: staticX,
    validFrom: t0,
    notValidAfter: t0 + 3600,
  });

  it('accepts inside the window and within the leeway on both ends', () => {
    expect(checkCertificate(cert, staticX, authX, t0 + 10).kind).toBe('valid');
    expect(checkCertificate(cert, staticX, authX, t0 - 60, 60).kind).toBe('valid');
    expect(checkCertificate(cert, staticX, authX, t0 + 3600 + 60, 60).kind).toBe('valid');
  });

  it('refuses outside the leeway', () => {
    expect(checkCertificate(cert, staticX, authX, t0 - 61, 60)).toEqual({
      kind: 'not-yet-valid',
      validFrom: t0,
      now: t0 - 61,
    });
    expect(checkCertificate(cert, staticX, authX, t0 + 3661, 60)).toEqual({
      kind: 'expired',
      notValidAfter: t0 + 3600,
      now: t0 + 3661,
    });
    expect(checkCertificate(cert, staticX, authX, t0 - 11, 10).kind).toBe('not-yet-valid');
  });

  it('says the clock looks unset when it reads before 2020', () => {
    expect(checkCertificate(cert, staticX, authX, 86_400)).toEqual({ kind: 'clock-unset', now: 86_400 });
  });

  it('refuses a flipped signature bit, a wrong authority and a different static key', () => {
    for (const bit of [0, 100, 511]) {
      const sig = Uint8Array.from(cert.signature);
      sig[bit >> 3] = (sig[bit >> 3] ?? 0) ^ (1 << (bit & 7));
      expect(checkCertificate({ ...cert, signature: sig }, staticX, authX, t0).kind).toBe('bad-signature');
    }
    const otherAuth = xonlyPublicKey(hexToBytes('08'.repeat(32)));
    expect(checkCertificate(cert, staticX, otherAuth, t0).kind).toBe('bad-signature');
    const otherStatic = xonlyPublicKey(hexToBytes('0a'.repeat(32)));
    expect(checkCertificate(cert, otherStatic, authX, t0).kind).toBe('bad-signature');
    // Changing any signed field invalidates the signature too.
    expect(
      checkCertificate({ ...cert, notValidAfter: cert.notValidAfter + 1 }, staticX, authX, t0).kind,
    ).toBe('bad-signature');
    expect(checkCertificate({ ...cert, version: 1 }, staticX, authX, t0).kind).toBe('bad-signature');
  });

  it('certificateSigner signs a fresh window per call, optionally back-dated', () => {
    const sign = certificateSigner(authSecret, { validForSec: 600, backdateSec: 3600, now: () => t0 });
    const c = sign(staticX);
    expect(c.validFrom).toBe(t0 - 3600);
    expect(c.notValidAfter).toBe(t0 + 600);
    expect(c.version).toBe(0);
    expect(checkCertificate(c, staticX, authX, t0).kind).toBe('valid');
  });
});
