/**
 * Bitcoin's transaction merkle tree. Every 32-byte value is in internal byte order, the order
 * SV2 U256 fields carry (NewExtendedMiningJob.merkle_path, NewMiningJob.merkle_root), so nothing
 * here reverses bytes. An odd level pairs its last node with itself, as Bitcoin Core does.
 */
import { sha256d } from './sha256d.js';

const pair = new Uint8Array(64);

function hashPair(left: Uint8Array, right: Uint8Array): Uint8Array {
  pair.set(left, 0);
  pair.set(right, 32);
  return sha256d(pair);
}

function check32(name: string, value: Uint8Array): void {
  if (value.length !== 32) throw new RangeError(`${name} needs 32 bytes, got ${value.length}`);
}

/** The root over a whole block's txids (coinbase first), or over its wtxids for BIP141. */
export function merkleRoot(txids: readonly Uint8Array[]): Uint8Array {
  if (txids.length === 0) throw new RangeError('merkle root of no transactions');
  txids.forEach((id, i) => {
    check32(`txids[${i}]`, id);
  });
  let level = txids.slice();
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) {
      const left = level[i] as Uint8Array;
      next.push(hashPair(left, level[i + 1] ?? left));
    }
    level = next;
  }
  return (level[0] as Uint8Array).slice();
}

/**
 * The root a coinbase with this txid gives under `path` (deepest sibling first): fold
 * sha256d(node ‖ sibling), the coinbase always being the leftmost leaf.
 */
export function merkleRootFromPath(coinbaseTxid: Uint8Array, path: readonly Uint8Array[]): Uint8Array {
  check32('coinbase txid', coinbaseTxid);
  let node: Uint8Array = coinbaseTxid.slice();
  path.forEach((sibling, i) => {
    check32(`merkle path[${i}]`, sibling);
    node = hashPair(node, sibling);
  });
  return node;
}

/**
 * The coinbase's merkle path for a block whose other transactions have `txids` (in block order,
 * coinbase NOT included: it is the leaf the extranonce keeps changing). Empty for a block with
 * only a coinbase.
 */
export function coinbaseMerklePath(txids: readonly Uint8Array[]): Uint8Array[] {
  txids.forEach((id, i) => {
    check32(`txids[${i}]`, id);
  });
  const path: Uint8Array[] = [];
  // Level nodes right of the coinbase's own branch; index 0 of each level is the coinbase side.
  let others = txids.slice();
  while (others.length > 0) {
    const sibling = others[0] as Uint8Array;
    path.push(sibling.slice());
    // Next level, without the coinbase pair (coinbase-side node, sibling): pairs from index 1.
    const rest = others.slice(1);
    const next: Uint8Array[] = [];
    for (let i = 0; i < rest.length; i += 2) {
      const left = rest[i] as Uint8Array;
      next.push(hashPair(left, rest[i + 1] ?? left));
    }
    others = next;
  }
  return path;
}
