/**
 * Noise CipherState for SV2 (sv2.md §3.2, §8 gotcha 5): ChaCha20-Poly1305 (RFC 8439) with a
 * 12-byte nonce of four zero bytes then the u64 counter little-endian. One instance per direction;
 * every encrypt/decrypt consumes one nonce, a failed decrypt consumes none.
 */
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { NoiseError } from '../errors.js';

export const MAC_SIZE = 16;
const KEY_SIZE = 32;
const NONCE_SIZE = 12;

// The counter is a JS number; 2^53 messages is unreachable on one connection, and we refuse
// rather than wrap (sv2-tp likewise refuses nonce 2^64-1).
const MAX_NONCE = Number.MAX_SAFE_INTEGER;

/** The 96-bit AEAD nonce for counter `n`: `00 00 00 00 || u64_LE(n)`. */
export function nonceBytes(n: number, out = new Uint8Array(NONCE_SIZE)): Uint8Array {
  out.fill(0, 0, 4);
  const low = n >>> 0;
  const high = Math.floor(n / 0x1_0000_0000);
  out[4] = low & 0xff;
  out[5] = (low >>> 8) & 0xff;
  out[6] = (low >>> 16) & 0xff;
  out[7] = low >>> 24;
  out[8] = high & 0xff;
  out[9] = (high >>> 8) & 0xff;
  out[10] = (high >>> 16) & 0xff;
  out[11] = high >>> 24;
  return out;
}

export class CipherState {
  private key: Uint8Array | undefined;
  private counter = 0;
  private readonly nonce = new Uint8Array(NONCE_SIZE);

  constructor(key?: Uint8Array) {
    if (key !== undefined) this.initializeKey(key);
  }

  get hasKey(): boolean {
    return this.key !== undefined;
  }

  /** The next nonce counter value this state will use. */
  get nextNonce(): number {
    return this.counter;
  }

  initializeKey(key: Uint8Array): void {
    if (key.length !== KEY_SIZE) throw new NoiseError('cipher', `key must be 32 bytes, got ${key.length}`);
    this.key = Uint8Array.from(key);
    this.counter = 0;
  }

  /** Without a key Noise passes plaintext through unchanged (act 1 relies on this). */
  encryptWithAd(ad: Uint8Array, plaintext: Uint8Array, output?: Uint8Array): Uint8Array {
    const key = this.key;
    if (key === undefined) return Uint8Array.from(plaintext);
    if (this.counter >= MAX_NONCE) throw new NoiseError('cipher', 'nonce counter exhausted');
    const out = chacha20poly1305(key, nonceBytes(this.counter, this.nonce), ad).encrypt(plaintext, output);
    this.counter++;
    return out;
  }

  /** The plaintext, or undefined when the MAC does not verify (the counter then stays put). */
  decryptWithAd(ad: Uint8Array, ciphertext: Uint8Array, output?: Uint8Array): Uint8Array | undefined {
    const key = this.key;
    if (key === undefined) return Uint8Array.from(ciphertext);
    if (ciphertext.length < MAC_SIZE) return undefined;
    if (this.counter >= MAX_NONCE) throw new NoiseError('cipher', 'nonce counter exhausted');
    let plain: Uint8Array;
    try {
      plain = chacha20poly1305(key, nonceBytes(this.counter, this.nonce), ad).decrypt(ciphertext, output);
    } catch {
      return undefined;
    }
    this.counter++;
    return plain;
  }

  /** Overwrites the key so a closed session leaves nothing usable in memory. */
  destroy(): void {
    this.key?.fill(0);
    this.key = undefined;
  }
}
