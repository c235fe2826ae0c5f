/**
 * What a server channel builds jobs from: the chain tip (SetNewPrevHash) and a job template (one
 * coinbase split around the pool's whole extranonce space, plus the coinbase's merkle path), as
 * SRI's channels_sv2 builds them from Template Distribution's NewTemplate. Every channel kind
 * derives its jobs from the same template: a standard channel's merkle root is the template's
 * coinbase with the channel's full-width extranonce prefix in place; an extended channel gets the
 * split and the path and fills the rest of the extranonce itself.
 */
import { assembleCoinbase, type CoinbaseSplit } from '../../bitcoin/coinbase.js';
import { merkleRootFromPath } from '../../bitcoin/merkle.js';
import { sha256d } from '../../bitcoin/sha256d.js';

export interface ChainTip {
  readonly height: number;
  /** 32 bytes, header (wire) order. */
  readonly prevHash: Uint8Array;
  readonly nbits: number;
  /** Unix seconds: the header timestamp miners start from (SetNewPrevHash.min_ntime). */
  readonly minNtime: number;
}

export interface JobTemplate {
  readonly version: number;
  /** Non-witness coinbase around the extranonce; its extranonceLength is the pool's whole space. */
  readonly coinbase: CoinbaseSplit;
  /** Siblings of the coinbase, deepest first, internal byte order. */
  readonly merklePath: readonly Uint8Array[];
}

/** The header merkle root for this template with `extranonce` (the full space) in the coinbase. */
export function templateMerkleRoot(template: JobTemplate, extranonce: Uint8Array): Uint8Array {
  return merkleRootFromPath(sha256d(assembleCoinbase(template.coinbase, extranonce)), template.merklePath);
}
