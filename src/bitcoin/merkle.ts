/**
 * The merkle root of a block from its coinbase txid and the coinbase's merkle path (the sibling
 * hashes from the leaf up, as SV2 NewExtendedMiningJob.merkle_path carries them; spec 05
 * §5.3.17). All values are 32 bytes in internal byte order (SV2 U256 order, not explorer order).
 */
import { sha256d } from './sha256d.js';

const HASH_LENGTH = 32;

export function merkleRootFromPath(coinbaseTxid: Uint8Array, path: readonly Uint8Array[]): Uint8Array {
  checkHash('coinbase txid', coinbaseTxid);
  // The coinbase is always the leftmost leaf, so every sibling on its path sits on the right.
  const pair = new Uint8Array(2 * HASH_LENGTH);
  let node = coinbaseTxid;
  path.forEach((sibling, i) => {
    checkHash(`merkle path[${i}]`, sibling);
    pair.set(node, 0);
    pair.set(sibling, HASH_LENGTH);
    node = sha256d(pair);
  });
  // A path of length 0 means the coinbase is the only transaction: its txid is the root.
  return node === coinbaseTxid ? Uint8Array.from(node) : node;
}

function checkHash(name: string, bytes: Uint8Array): void {
  if (bytes.length !== HASH_LENGTH) throw new RangeError(`${name} needs 32 bytes, got ${bytes.length}`);
}
