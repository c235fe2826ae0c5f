/**
 * Syntax check of an SV2 authority public key string (sv2.md §3.6): Base58Check of `01 00` (U16 LE
 * version 1) + 32-byte x-only key, checksum = first 4 bytes of sha256d(payload). It does not check
 * that the key is a curve point; the Noise layer does that when it verifies the certificate.
 */
import { sha256 } from '@noble/hashes/sha2.js';

const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

export type AuthorityKeyCheck =
  | { readonly ok: true; readonly xOnly: Uint8Array }
  | { readonly ok: false; readonly problem: string };

export function checkAuthorityKey(text: string): AuthorityKeyCheck {
  const bytes = base58Decode(text);
  if (bytes === undefined) return { ok: false, problem: 'a Base58 authority key' };
  if (bytes.length !== 38) return { ok: false, problem: 'an authority key of 34 bytes + checksum' };
  const payload = bytes.subarray(0, 34);
  const sum = sha256(sha256(payload));
  for (let i = 0; i < 4; i++) {
    if (sum[i] !== bytes[34 + i]) return { ok: false, problem: 'an authority key with a valid checksum' };
  }
  if (payload[0] !== 0x01 || payload[1] !== 0x00)
    return { ok: false, problem: 'an authority key of version 1' };
  return { ok: true, xOnly: payload.slice(2) };
}

function base58Decode(text: string): Uint8Array | undefined {
  let value = 0n;
  for (const ch of text) {
    const digit = ALPHABET.indexOf(ch);
    if (digit < 0) return undefined;
    value = value * 58n + BigInt(digit);
  }
  const body: number[] = [];
  for (; value > 0n; value >>= 8n) body.unshift(Number(value & 0xffn));
  // Each leading '1' is a leading zero byte.
  let zeros = 0;
  while (text[zeros] === '1') zeros++;
  return Uint8Array.from([...new Array<number>(zeros).fill(0), ...body]);
}
