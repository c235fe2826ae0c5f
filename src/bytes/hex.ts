/**
 * Hex helpers. Bitcoin prints hashes byte-reversed; SV2 carries them as raw U256 (no reversal),
 * so the reversal lives here, in one place, and is never done implicitly.
 */
import { bytesToHex as nobleBytesToHex, hexToBytes as nobleHexToBytes } from '@noble/hashes/utils.js';

export function bytesToHex(bytes: Uint8Array): string {
  return nobleBytesToHex(bytes);
}

/** Accepts upper or lower case, with or without spaces or a 0x prefix. */
export function hexToBytes(hex: string): Uint8Array {
  const clean = hex.replace(/^0x/i, '').replace(/\s+/g, '');
  if (clean.length % 2 !== 0)
    throw new RangeError(`hex string has an odd number of digits (${clean.length})`);
  if (!/^[0-9a-fA-F]*$/.test(clean)) throw new RangeError('hex string has a non-hex character');
  return nobleHexToBytes(clean.toLowerCase());
}

/** Hex of the bytes in reverse order: how block explorers print a hash. */
export function bytesToReversedHex(bytes: Uint8Array): string {
  return bytesToHex(Uint8Array.from(bytes).reverse());
}

export function reversedHexToBytes(hex: string): Uint8Array {
  return hexToBytes(hex).reverse();
}
