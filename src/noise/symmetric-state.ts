/**
 * Noise SymmetricState for Noise_NX_Secp256k1+EllSwift_ChaChaPoly_SHA256 (sv2.md §3.2): chaining
 * key ck, handshake hash h, the HKDF written out as HMAC-SHA256 steps, MixHash/MixKey,
 * EncryptAndHash/DecryptAndHash with h as AD, and Split into the two transport CipherStates.
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes } from '@noble/hashes/utils.js';
import { CipherState } from './cipher-state.js';

export const PROTOCOL_NAME = 'Noise_NX_Secp256k1+EllSwift_ChaChaPoly_SHA256';

const EMPTY = new Uint8Array(0);
const ONE = Uint8Array.of(0x01);
const TWO = Uint8Array.of(0x02);

/** Noise HKDF with two outputs: salt = ck, info empty (RFC 5869), spelled out as in the spec. */
export function hkdf2(chainingKey: Uint8Array, ikm: Uint8Array): [Uint8Array, Uint8Array] {
  const temp = hmac(sha256, chainingKey, ikm);
  const out1 = hmac(sha256, temp, ONE);
  const out2 = hmac(sha256, temp, concatBytes(out1, TWO));
  temp.fill(0);
  return [out1, out2];
}

export class SymmetricState {
  private ck: Uint8Array;
  private h: Uint8Array;
  private readonly cipher = new CipherState();

  constructor() {
    // The protocol name is 45 bytes (> 32), so Noise hashes it to get ck; h = ck, then
    // MixHash(empty prologue) — together ck = SHA256(name), h = SHA256(ck).
    this.ck = sha256(new TextEncoder().encode(PROTOCOL_NAME));
    this.h = Uint8Array.from(this.ck);
    this.mixHash(EMPTY);
  }

  get handshakeHash(): Uint8Array {
    return Uint8Array.from(this.h);
  }

  mixHash(data: Uint8Array): void {
    this.h = sha256(concatBytes(this.h, data));
  }

  mixKey(ikm: Uint8Array): void {
    const [ck, k] = hkdf2(this.ck, ikm);
    this.ck.fill(0);
    this.ck = ck;
    this.cipher.initializeKey(k);
    k.fill(0);
  }

  encryptAndHash(plaintext: Uint8Array): Uint8Array {
    const ciphertext = this.cipher.encryptWithAd(this.h, plaintext);
    this.mixHash(ciphertext);
    return ciphertext;
  }

  /** The plaintext, or undefined on a MAC failure (h is then left unchanged). */
  decryptAndHash(ciphertext: Uint8Array): Uint8Array | undefined {
    const plaintext = this.cipher.decryptWithAd(this.h, ciphertext);
    if (plaintext === undefined) return undefined;
    this.mixHash(ciphertext);
    return plaintext;
  }

  /** [initiator→responder, responder→initiator]; wipes this state's keys. */
  split(): [CipherState, CipherState] {
    const [k1, k2] = hkdf2(this.ck, EMPTY);
    const pair: [CipherState, CipherState] = [new CipherState(k1), new CipherState(k2)];
    k1.fill(0);
    k2.fill(0);
    this.ck.fill(0);
    this.cipher.destroy();
    return pair;
  }
}
