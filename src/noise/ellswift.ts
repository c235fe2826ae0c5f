/**
 * ElligatorSwift (BIP324) encoding of secp256k1 x-only keys, the 64-byte form the Noise handshake
 * puts on the wire (sv2.md §3.1, §3.3). Decoding and the inverse map come from @scure/btc-signer,
 * which passes every BIP324 vector in test/vectors; the encoding loop is ours so that tests and
 * transcript replays can inject the random source.
 */
import { schnorr } from '@noble/curves/secp256k1.js';
import { bytesToNumberBE, numberToBytesBE } from '@noble/curves/utils.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { elligatorSwift } from '@scure/btc-signer/p2p.js';
import { NoiseError } from '../errors.js';

export const ELLSWIFT_SIZE = 64;
export const XONLY_SIZE = 32;

/** Returns `length` random bytes; injectable so handshakes can be replayed deterministically. */
export type RandomSource = (length: number) => Uint8Array;

export const defaultRandom: RandomSource = (length) => randomBytes(length);

const P = 2n ** 256n - 2n ** 32n - 977n;
const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

export interface EllswiftKeypair {
  readonly secret: Uint8Array;
  readonly xonly: Uint8Array;
  readonly ellswift: Uint8Array;
}

/** x(d·G) as 32 big-endian bytes. Throws NoiseError when `secret` is not a valid scalar 1..n-1. */
export function xonlyPublicKey(secret: Uint8Array): Uint8Array {
  if (!isValidSecret(secret)) throw new NoiseError('key', 'secret key must be 32 bytes in 1..n-1');
  return schnorr.getPublicKey(secret);
}

export function isValidSecret(secret: Uint8Array): boolean {
  if (secret.length !== 32) return false;
  const d = bytesToNumberBE(secret);
  return d > 0n && d < N;
}

/** A fresh secret key drawn from `random` (rejection sampling keeps it uniform in 1..n-1). */
export function randomSecret(random: RandomSource = defaultRandom): Uint8Array {
  for (;;) {
    const candidate = random(32);
    if (isValidSecret(candidate)) return candidate;
  }
}

/**
 * One of the many 64-byte encodings of the x-only key (BIP324 `XElligatorSwift`): pick random u
 * and branch, keep the first (u, t) the inverse map accepts. About 4 tries on average.
 */
export function ellswiftEncode(xonly: Uint8Array, random: RandomSource = defaultRandom): Uint8Array {
  if (xonly.length !== XONLY_SIZE)
    throw new NoiseError('key', `x-only key must be 32 bytes, got ${xonly.length}`);
  const x = bytesToNumberBE(xonly);
  if (x >= P || !isOnCurveX(xonly)) throw new NoiseError('key', 'x-only key is not the x of a curve point');
  for (;;) {
    const u = bytesToNumberBE(random(32)) % P;
    const branch = (random(1)[0] ?? 0) & 7;
    // u = 0 and t = 0 are remapped to 1 by the decoder, so they would not round-trip.
    if (u === 0n) continue;
    const t = elligatorSwift._inv(x, u, branch);
    if (typeof t !== 'bigint' || t === 0n) continue;
    const out = new Uint8Array(ELLSWIFT_SIZE);
    out.set(numberToBytesBE(u, 32), 0);
    out.set(numberToBytesBE(t, 32), 32);
    return out;
  }
}

/** The x-only key an encoding stands for. Every 64-byte string decodes (BIP324 remaps the edge cases). */
export function ellswiftDecode(encoding: Uint8Array): Uint8Array {
  if (encoding.length !== ELLSWIFT_SIZE)
    throw new NoiseError('key', `ellswift encoding must be 64 bytes, got ${encoding.length}`);
  return elligatorSwift.decode(encoding);
}

/** BIP324 `xswiftec_inv(x, u, case)`: the t for this branch, or undefined when the branch has none. */
export function ellswiftInverse(x: bigint, u: bigint, branch: number): bigint | undefined {
  const t = elligatorSwift._inv(x, u, branch);
  return typeof t === 'bigint' ? t : undefined;
}

/** A new key pair with its random ellswift encoding; `secret` may be injected (transcript replay). */
export function ellswiftKeypair(random: RandomSource = defaultRandom, secret?: Uint8Array): EllswiftKeypair {
  const d = secret ?? randomSecret(random);
  const xonly = xonlyPublicKey(d);
  return { secret: d, xonly, ellswift: ellswiftEncode(xonly, random) };
}

function isOnCurveX(xonly: Uint8Array): boolean {
  try {
    schnorr.utils.lift_x(bytesToNumberBE(xonly));
    return true;
  } catch {
    return false;
  }
}
