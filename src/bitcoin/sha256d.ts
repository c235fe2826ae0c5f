/**
 * Bitcoin's double SHA-256. Results are in internal byte order (the order headers, txids in
 * transactions and SV2 U256 fields carry them); block explorers print them reversed.
 */
import { sha256 } from '@noble/hashes/sha2.js';

export function sha256d(data: Uint8Array): Uint8Array {
  return sha256(sha256(data));
}
