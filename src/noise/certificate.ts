/**
 * The SV2 certificate, SIGNATURE_NOISE_MESSAGE (sv2.md §3.5): version U16 LE, valid_from U32 LE,
 * not_valid_after U32 LE, then a BIP340 signature by the pool's authority key over
 * SHA256(version ‖ valid_from ‖ not_valid_after ‖ server static x-only key). Building (responder)
 * and checking (initiator: signature, validity window with leeway, unset-clock diagnosis).
 */
import { schnorr } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { NoiseError } from '../errors.js';
import { XONLY_SIZE } from './ellswift.js';

export const CERTIFICATE_SIZE = 74;
const SIGNATURE_SIZE = 64;
/** Default allowed clock difference between pool and device, in seconds (SRI uses 10). */
export const DEFAULT_LEEWAY_SEC = 60;
/** Before 2020-01-01 we assume the clock was never set (no RTC, no NTP yet). */
const CLOCK_SANE_AFTER = 1_577_836_800;

export interface Certificate {
  readonly version: number;
  readonly validFrom: number;
  readonly notValidAfter: number;
  readonly signature: Uint8Array;
}

type CertificateCheck =
  | { readonly kind: 'valid' }
  | { readonly kind: 'bad-signature' }
  | { readonly kind: 'not-yet-valid'; readonly validFrom: number; readonly now: number }
  | { readonly kind: 'expired'; readonly notValidAfter: number; readonly now: number }
  | { readonly kind: 'clock-unset'; readonly now: number };

function checkU32(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xffff_ffff)
    throw new NoiseError('certificate', `${name} must be a U32, got ${v}`);
}

function writeFields(out: Uint8Array, c: Omit<Certificate, 'signature'>): void {
  if (!Number.isInteger(c.version) || c.version < 0 || c.version > 0xffff)
    throw new NoiseError('certificate', `version must be a U16, got ${c.version}`);
  checkU32('valid_from', c.validFrom);
  checkU32('not_valid_after', c.notValidAfter);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  view.setUint16(0, c.version, true);
  view.setUint32(2, c.validFrom, true);
  view.setUint32(6, c.notValidAfter, true);
}

export function encodeCertificate(c: Certificate): Uint8Array {
  if (c.signature.length !== SIGNATURE_SIZE)
    throw new NoiseError('certificate', `signature must be 64 bytes, got ${c.signature.length}`);
  const out = new Uint8Array(CERTIFICATE_SIZE);
  writeFields(out, c);
  out.set(c.signature, 10);
  return out;
}

export function decodeCertificate(bytes: Uint8Array): Certificate {
  if (bytes.length !== CERTIFICATE_SIZE)
    throw new NoiseError('certificate', `expected ${CERTIFICATE_SIZE} bytes, got ${bytes.length}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    version: view.getUint16(0, true),
    validFrom: view.getUint32(2, true),
    notValidAfter: view.getUint32(6, true),
    signature: bytes.slice(10, CERTIFICATE_SIZE),
  };
}

/** m32 = SHA256(version ‖ valid_from ‖ not_valid_after ‖ static x-only): what the authority signs. */
export function certificateHash(fields: Omit<Certificate, 'signature'>, staticXonly: Uint8Array): Uint8Array {
  if (staticXonly.length !== XONLY_SIZE)
    throw new NoiseError('certificate', `static key must be 32-byte x-only, got ${staticXonly.length}`);
  const signed = new Uint8Array(10 + XONLY_SIZE);
  writeFields(signed, fields);
  signed.set(staticXonly, 10);
  return sha256(signed);
}

interface SignCertificateInput {
  readonly authoritySecret: Uint8Array;
  readonly staticXonly: Uint8Array;
  readonly validFrom: number;
  readonly notValidAfter: number;
  /** 0 is what SRI sends and the only value sv2-tp accepts. */
  readonly version?: number;
  /** BIP340 auxiliary randomness; random when omitted. */
  readonly auxRand?: Uint8Array;
}

export function signCertificate(input: SignCertificateInput): Certificate {
  const fields = {
    version: input.version ?? 0,
    validFrom: input.validFrom,
    notValidAfter: input.notValidAfter,
  };
  if (fields.notValidAfter < fields.validFrom)
    throw new NoiseError('certificate', 'not_valid_after is before valid_from');
  const m32 = certificateHash(fields, input.staticXonly);
  const signature = schnorr.sign(m32, input.authoritySecret, input.auxRand);
  return { ...fields, signature };
}

interface CertificateSignerOptions {
  readonly validForSec: number;
  /** Back-date valid_from so clients whose clocks lag still accept it (sv2-tp uses an hour). */
  readonly backdateSec?: number;
  readonly now?: () => number;
}

/** A responder-side factory that signs a fresh certificate for each handshake, as SRI does. */
export function certificateSigner(
  authoritySecret: Uint8Array,
  options: CertificateSignerOptions,
): (staticXonly: Uint8Array) => Certificate {
  const now = options.now ?? unixNow;
  return (staticXonly) => {
    const t = now();
    const validFrom = Math.max(0, t - (options.backdateSec ?? 0));
    return signCertificate({
      authoritySecret,
      staticXonly,
      validFrom,
      notValidAfter: Math.min(0xffff_ffff, t + options.validForSec),
    });
  };
}

/**
 * Signature first (a forged certificate is the more important finding), then the time window
 * `valid_from − leeway ≤ now ≤ not_valid_after + leeway`. A window failure with a pre-2020 clock is
 * reported as 'clock-unset' because the fix is NTP, not the pool.
 */
export function checkCertificate(
  cert: Certificate,
  staticXonly: Uint8Array,
  authorityXonly: Uint8Array,
  now: number,
  leewaySec = DEFAULT_LEEWAY_SEC,
): CertificateCheck {
  const m32 = certificateHash(cert, staticXonly);
  let ok = false;
  try {
    ok = schnorr.verify(cert.signature, m32, authorityXonly);
  } catch {
    ok = false;
  }
  if (!ok) return { kind: 'bad-signature' };
  const early = now < cert.validFrom - leewaySec;
  const late = now > cert.notValidAfter + leewaySec;
  if ((early || late) && now < CLOCK_SANE_AFTER) return { kind: 'clock-unset', now };
  if (early) return { kind: 'not-yet-valid', validFrom: cert.validFrom, now };
  if (late) return { kind: 'expired', notValidAfter: cert.notValidAfter, now };
  return { kind: 'valid' };
}

export function unixNow(): number {
  return Math.floor(Date.now() / 1000);
}
