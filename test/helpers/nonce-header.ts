/**
 * The 80-byte header a chip hashed for a returned nonce, built by hand from bm13xx.md §9 (not
 * with src/work/header.ts), so driver and simulator tests check nonces independently of the
 * pipeline's own header code.
 */
import type { NonceResult } from '../../drivers/types.js';

export function headerOfNonce(r: Pick<NonceResult, 'version' | 'work' | 'nonce'>): Uint8Array {
  const header = new Uint8Array(80);
  const view = new DataView(header.buffer);
  view.setUint32(0, r.version, true);
  header.set(r.work.prevHash, 4);
  header.set(r.work.merkleRoot, 36);
  view.setUint32(68, r.work.ntime, true);
  view.setUint32(72, r.work.nbits, true);
  view.setUint32(76, r.nonce, true);
  return header;
}
