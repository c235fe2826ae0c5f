/**
 * Extended-job work (spec 05 §5.3.17, §5.3.2 extranonce): the miner's own extranonce space and
 * the merkle root that one extranonce of it gives. The miner only ever writes the
 * extranonceSize bytes after the pool's prefix; the prefix is copied from the job as is.
 */
import { merkleRootFromPath } from '../bitcoin/merkle.js';
import { sha256d } from '../bitcoin/sha256d.js';
import type { ExtendedTemplate } from './job.js';

/**
 * Largest number of extranonces the pipeline walks per job: 2^48 work items is more than any
 * rig exhausts between jobs, and keeps the counter an exact JS integer.
 */
export const MAX_EXTRANONCE_COUNT = 2 ** 48;

/** How many distinct miner extranonces `size` bytes hold, capped at MAX_EXTRANONCE_COUNT. */
export function extranonceCount(size: number): number {
  if (!Number.isInteger(size) || size < 0 || size > 32)
    throw new RangeError(`extranonce size must be 0..32 bytes, got ${size}`);
  return size >= 6 ? MAX_EXTRANONCE_COUNT : 256 ** size;
}

/** The miner extranonce number `index` as `size` bytes, big-endian (the last byte moves fastest). */
export function minerExtranonce(index: number, size: number): Uint8Array {
  if (!Number.isInteger(index) || index < 0 || index >= extranonceCount(size))
    throw new RangeError(`extranonce index ${index} is outside the ${size}-byte miner space`);
  const out = new Uint8Array(size);
  let rest = index;
  for (let i = size - 1; i >= 0 && rest > 0; i--) {
    out[i] = rest % 256;
    rest = Math.floor(rest / 256);
  }
  return out;
}

/** The full coinbase transaction (non-witness serialisation) for one miner extranonce. */
export function coinbaseFor(template: ExtendedTemplate, extranonce: Uint8Array): Uint8Array {
  if (extranonce.length !== template.extranonceSize)
    throw new RangeError(
      `miner extranonce must be ${template.extranonceSize} bytes, got ${extranonce.length}`,
    );
  const { coinbasePrefix, extranoncePrefix, coinbaseSuffix } = template;
  const out = new Uint8Array(
    coinbasePrefix.length + extranoncePrefix.length + extranonce.length + coinbaseSuffix.length,
  );
  let at = 0;
  for (const part of [coinbasePrefix, extranoncePrefix, extranonce, coinbaseSuffix]) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** The header merkle root for one miner extranonce: sha256d(coinbase), then up the merkle path. */
export function merkleRootFor(template: ExtendedTemplate, extranonce: Uint8Array): Uint8Array {
  return merkleRootFromPath(sha256d(coinbaseFor(template, extranonce)), template.merklePath);
}
