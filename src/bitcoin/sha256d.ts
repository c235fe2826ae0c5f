/**
 * Bitcoin's double SHA-256 (block headers, txids, merkle nodes). The 32 bytes come out in
 * "internal" order, the order SV2 U256 fields carry; block explorers print them reversed.
 */
import { sha256 } from '@noble/hashes/sha2.js';

export function sha256d(data: Uint8Array): Uint8Array {
  return sha256(sha256(data));
}
