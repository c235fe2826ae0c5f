/**
 * Host-side midstates for the BM1397 (bm13xx.md §7.2, §7.3): the SHA-256 state after compressing
 * the first 64 header bytes, and the version stepping inside the pool mask that gives midstates
 * 1..3. @noble/hashes keeps its chaining state internal, so the FIPS 180-4 §6.2.2 compression of
 * one block is written out here; the result is checked against bm1397_midstate.json.
 */

const K = Uint32Array.from([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
  0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
  0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
  0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
  0xc67178f2,
]);

const IV = Uint32Array.from([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
]);

const rotr = (x: number, n: number): number => (x >>> n) | (x << (32 - n));

/**
 * SHA-256 state after the first 64-byte block of `header` (its first 64 bytes are used), as
 * 32 bytes: the words H0..H7, each big-endian (the usual digest serialization, not yet word-reversed).
 */
export function sha256Midstate(header: Uint8Array): Uint8Array {
  if (header.length < 64) throw new RangeError(`midstate needs 64 header bytes, got ${header.length}`);
  const w = new Uint32Array(64);
  const view = new DataView(header.buffer, header.byteOffset, 64);
  for (let i = 0; i < 16; i++) w[i] = view.getUint32(i * 4, false);
  for (let i = 16; i < 64; i++) {
    const w15 = w[i - 15] ?? 0;
    const w2 = w[i - 2] ?? 0;
    const s0 = rotr(w15, 7) ^ rotr(w15, 18) ^ (w15 >>> 3);
    const s1 = rotr(w2, 17) ^ rotr(w2, 19) ^ (w2 >>> 10);
    w[i] = (w[i - 16] ?? 0) + s0 + (w[i - 7] ?? 0) + s1;
  }
  const h = Uint32Array.from(IV);
  let [a, b, c, d, e, f, g, hh] = [
    h[0] ?? 0,
    h[1] ?? 0,
    h[2] ?? 0,
    h[3] ?? 0,
    h[4] ?? 0,
    h[5] ?? 0,
    h[6] ?? 0,
    h[7] ?? 0,
  ];
  for (let i = 0; i < 64; i++) {
    const t1 =
      (hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + (K[i] ?? 0) + (w[i] ?? 0)) | 0;
    const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    hh = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  const out = new Uint8Array(32);
  const ov = new DataView(out.buffer);
  [a, b, c, d, e, f, g, hh].forEach((x, i) => {
    ov.setUint32(i * 4, ((h[i] ?? 0) + x) >>> 0, false);
  });
  return out;
}

/**
 * `version` stepped `k` times inside `mask` (§7.3): adds the lowest mask bit to the masked part,
 * carrying only through mask bits, other bits untouched. Mask 0 leaves the version alone.
 */
export function stepVersion(version: number, mask: number, k: number): number {
  if (mask === 0) return version >>> 0;
  const m = mask >>> 0;
  const low = (m & -m) >>> 0;
  let rolled = (version & m) >>> 0;
  for (let i = 0; i < k; i++) rolled = ((rolled | ~m) + low) & m;
  return ((version & ~m) | rolled) >>> 0;
}

/** The 80-byte header's first 64 bytes from job fields (header order hashes, LE version). */
export function headerPrefix(version: number, prevHash: Uint8Array, merkleRoot: Uint8Array): Uint8Array {
  const out = new Uint8Array(64);
  new DataView(out.buffer).setUint32(0, version >>> 0, true);
  out.set(prevHash.subarray(0, 32), 4);
  out.set(merkleRoot.subarray(0, 28), 36);
  return out;
}
