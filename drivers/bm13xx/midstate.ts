/**
 * BM1397 host-midstate helpers (bm13xx.md §7.2, §7.3): the 64 header bytes a midstate is taken
 * over and the version stepping inside the pool mask that gives midstates 1..3. The compression
 * itself is src/bitcoin/sha256-midstate.ts (checked here against bm1397_midstate.json).
 */
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
