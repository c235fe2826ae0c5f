/**
 * The SV2 handshake ECDH (sv2.md §3.3): BIP324 `v2_ecdh`, i.e. x-only ECDH against the peer's
 * ellswift encoding, then SHA256 tagged "bip324_ellswift_xonly_ecdh" over both 64-byte encodings
 * (initiator's first, responder's second, whoever computes) and the shared x.
 */
import { elligatorSwift } from '@scure/btc-signer/p2p.js';
import { NoiseError } from '../errors.js';
import { ELLSWIFT_SIZE, isValidSecret } from './ellswift.js';

/**
 * `ours`/`theirs` are the exact 64-byte encodings sent on the wire. `initiating` decides the hash
 * order: the initiator passes true, the responder false, and both end up with the same secret.
 */
export function v2Ecdh(
  secretOurs: Uint8Array,
  ellswiftTheirs: Uint8Array,
  ellswiftOurs: Uint8Array,
  initiating: boolean,
): Uint8Array {
  if (!isValidSecret(secretOurs)) throw new NoiseError('ecdh', 'secret key must be 32 bytes in 1..n-1');
  if (ellswiftTheirs.length !== ELLSWIFT_SIZE || ellswiftOurs.length !== ELLSWIFT_SIZE)
    throw new NoiseError('ecdh', 'both ellswift encodings must be 64 bytes');
  return elligatorSwift.getSharedSecretBip324(secretOurs, ellswiftTheirs, ellswiftOurs, initiating);
}

/** The raw shared x coordinate (BIP324 `mid_x_shared`), exposed for the vector tests. */
export function ecdhX(secretOurs: Uint8Array, ellswiftTheirs: Uint8Array): Uint8Array {
  if (!isValidSecret(secretOurs)) throw new NoiseError('ecdh', 'secret key must be 32 bytes in 1..n-1');
  return elligatorSwift.getSharedSecret(secretOurs, ellswiftTheirs);
}
