/**
 * Authority key strings (sv2.md §3.6): public key = Base58Check(01 00 ‖ x-only key), the 01 00
 * being a U16 LE version 1; secret key = Base58Check(secret32) with no prefix, as in SRI configs.
 * Public keys are also accepted in the older unprefixed form, Base58Check(x-only key), which
 * Braiins Pool still publishes (`u95GERe…` is the spec's example key `9bXiEd8…` without the prefix).
 * Base58Check = Bitcoin alphabet over payload ‖ first 4 bytes of SHA256(SHA256(payload)).
 */
import { schnorr } from '@noble/curves/secp256k1.js';
import { bytesToNumberBE } from '@noble/curves/utils.js';
import { concatBytes } from '@noble/hashes/utils.js';
import { sha256d } from '../bitcoin/sha256d.js';
import { ConfigError } from '../errors.js';
import { isValidSecret, xonlyPublicKey } from './ellswift.js';

const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
const VERSION_PREFIX = Uint8Array.of(0x01, 0x00);

export function base58Encode(bytes: Uint8Array): string {
  let zeros = 0;
  while (zeros < bytes.length && bytes[zeros] === 0) zeros++;
  let n = bytesToNumberBE(bytes);
  let out = '';
  while (n > 0n) {
    out = ALPHABET.charAt(Number(n % 58n)) + out;
    n /= 58n;
  }
  return '1'.repeat(zeros) + out;
}

/** The decoded bytes, or undefined when a character is outside the alphabet. */
export function base58Decode(text: string): Uint8Array | undefined {
  let n = 0n;
  for (const ch of text) {
    const digit = ALPHABET.indexOf(ch);
    if (digit < 0) return undefined;
    n = n * 58n + BigInt(digit);
  }
  let zeros = 0;
  while (zeros < text.length && text[zeros] === '1') zeros++;
  const body: number[] = [];
  while (n > 0n) {
    body.push(Number(n & 0xffn));
    n >>= 8n;
  }
  const out = new Uint8Array(zeros + body.length);
  body.reverse();
  out.set(body, zeros);
  return out;
}

function checksum(payload: Uint8Array): Uint8Array {
  return sha256d(payload).subarray(0, 4);
}

export function base58CheckEncode(payload: Uint8Array): string {
  return base58Encode(concatBytes(payload, checksum(payload)));
}

type Base58CheckResult =
  | { readonly ok: true; readonly payload: Uint8Array }
  | { readonly ok: false; readonly reason: string };

export function base58CheckDecode(text: string): Base58CheckResult {
  const raw = base58Decode(text);
  if (raw === undefined) return { ok: false, reason: 'not base58 (character outside the Bitcoin alphabet)' };
  if (raw.length < 4) return { ok: false, reason: `too short (${raw.length} bytes)` };
  const payload = raw.subarray(0, raw.length - 4);
  const sum = checksum(payload);
  for (let i = 0; i < 4; i++) {
    if (raw[raw.length - 4 + i] !== sum[i]) return { ok: false, reason: 'bad Base58Check checksum' };
  }
  return { ok: true, payload: Uint8Array.from(payload) };
}

type AuthorityKeyParse =
  | { readonly ok: true; readonly xonly: Uint8Array }
  | { readonly ok: false; readonly reason: string };

export function encodeAuthorityPublicKey(xonly: Uint8Array): string {
  if (xonly.length !== 32)
    throw new ConfigError('authority public key', '32-byte x-only key', `${xonly.length} bytes`);
  return base58CheckEncode(concatBytes(VERSION_PREFIX, xonly));
}

/** What a public key string must decode to, for error messages. */
export const AUTHORITY_KEY_FORM =
  'Base58Check of 01 00 + 32-byte x-only key (51 characters) or of the bare 32-byte key (49)';

/**
 * SRI key-utils rules (34 bytes, version 1, a valid x-only point), plus the older unprefixed
 * 32-byte form: both name one x-only key, and the certificate check is what authenticates it.
 */
export function parseAuthorityPublicKey(text: string): AuthorityKeyParse {
  const decoded = base58CheckDecode(text.trim());
  if (!decoded.ok) return decoded;
  const p = decoded.payload;
  let xonly: Uint8Array;
  if (p.length === 32) {
    xonly = p;
  } else if (p.length === 34) {
    const version = (p[0] ?? 0) | ((p[1] ?? 0) << 8);
    if (version !== 1) return { ok: false, reason: `key version ${version}, expected 1 (01 00)` };
    xonly = p.slice(2);
  } else {
    return {
      ok: false,
      reason: `payload is ${p.length} bytes, expected 34 (01 00 + x-only key) or 32 (bare x-only key)`,
    };
  }
  try {
    schnorr.utils.lift_x(bytesToNumberBE(xonly));
  } catch {
    return { ok: false, reason: 'key is not a secp256k1 x-only point' };
  }
  return { ok: true, xonly };
}

/** parseAuthorityPublicKey for config loading: throws ConfigError naming `path`. */
export function decodeAuthorityPublicKey(text: string, path = 'authority_public_key'): Uint8Array {
  const r = parseAuthorityPublicKey(text);
  if (!r.ok) throw new ConfigError(path, AUTHORITY_KEY_FORM, r.reason);
  return r.xonly;
}

export function encodeAuthoritySecretKey(secret: Uint8Array): string {
  if (!isValidSecret(secret)) throw new ConfigError('authority secret key', '32 bytes in 1..n-1', 'invalid');
  return base58CheckEncode(secret);
}

/** Accepts the SRI Base58Check form or 64 hex digits. Never echoes the input in errors. */
export function decodeAuthoritySecretKey(text: string, path = 'authority_secret_key'): Uint8Array {
  const clean = text.trim();
  let secret: Uint8Array | undefined;
  if (/^[0-9a-fA-F]{64}$/.test(clean)) {
    secret = Uint8Array.from(clean.match(/../g) ?? [], (b) => Number.parseInt(b, 16));
  } else {
    const r = base58CheckDecode(clean);
    if (!r.ok) throw new ConfigError(path, 'Base58Check secret key or 64 hex digits', r.reason);
    secret = r.payload;
  }
  if (!isValidSecret(secret))
    throw new ConfigError(path, 'a 32-byte secp256k1 secret key', 'invalid key bytes');
  return secret;
}

/** The x-only public key belonging to a secret key. */
export function authorityPublicFromSecret(secret: Uint8Array): Uint8Array {
  return xonlyPublicKey(secret);
}
