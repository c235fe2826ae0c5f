/**
 * One SHA-256 compression from a given state: what midstates (a BM1397 job's host-computed state
 * after header bytes 0..63) and the simulated chips' inner loop need. @noble/hashes keeps its
 * chaining state internal, so its class is opened up here rather than writing FIPS 180-4 again;
 * this is the project's only SHA-256 compression.
 */
import { _SHA256 } from '@noble/hashes/sha2.js';

/**
 * FIPS 180-4 §5.3.3 initial hash value H(0). A Uint32Array like every midstate, not a frozen array:
 * a frozen array holds its words above 2^31 as boxed numbers, and a compress() that reads states of
 * both kinds has V8 box the words it reads: about 50 bytes of garbage per simulated hash, which
 * at the default simulated board's rate grew the idle daemon's young generation to its 32 MB cap
 * (+33 MB RSS). Typed arrays cannot be frozen, so the type keeps it read-only.
 */
export const SHA256_IV: Readonly<Uint32Array> = Uint32Array.of(
  0x6a09e667,
  0xbb67ae85,
  0x3c6ef372,
  0xa54ff53a,
  0x510e527f,
  0x9b05688c,
  0x1f83d9ab,
  0x5be0cd19,
);

/** Runs one 64-byte block from a state; the returned words are reused by the next call. */
export class Sha256Compressor extends _SHA256 {
  private readonly out = new Uint32Array(8);

  /** `state` is a Uint32Array (SHA256_IV or a midstate), so the word loads stay unboxed (see SHA256_IV). */
  compress(state: Readonly<Uint32Array>, block: DataView): Uint32Array {
    this.set(
      state[0] ?? 0,
      state[1] ?? 0,
      state[2] ?? 0,
      state[3] ?? 0,
      state[4] ?? 0,
      state[5] ?? 0,
      state[6] ?? 0,
      state[7] ?? 0,
    );
    this.process(block, 0);
    const o = this.out;
    o[0] = this.A;
    o[1] = this.B;
    o[2] = this.C;
    o[3] = this.D;
    o[4] = this.E;
    o[5] = this.F;
    o[6] = this.G;
    o[7] = this.H;
    return o;
  }
}

/** State words H0..H7 after compressing the first 64 bytes of `data` (a fresh array). */
export function sha256MidstateWords(data: Uint8Array): Uint32Array {
  if (data.length < 64) throw new RangeError(`midstate needs 64 bytes, got ${data.length}`);
  const block = new DataView(data.buffer, data.byteOffset, 64);
  return Uint32Array.from(new Sha256Compressor().compress(SHA256_IV, block));
}

/** The same state as 32 bytes, each word big-endian (the usual digest layout, not word-reversed). */
export function sha256Midstate(data: Uint8Array): Uint8Array {
  const words = sha256MidstateWords(data);
  const out = new Uint8Array(32);
  const view = new DataView(out.buffer);
  for (let i = 0; i < 8; i++) view.setUint32(i * 4, words[i] ?? 0, false);
  return out;
}
