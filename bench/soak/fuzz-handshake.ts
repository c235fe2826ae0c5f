/**
 * Fuzz target for the Noise NX handshake as the miner reads it (act 2 from a pool: ephemeral key,
 * sealed static key, sealed certificate; sv2.md §3). Property: only the exact act 2 the responder
 * produced is accepted; every other input ends in a NoiseError. Each input costs an ECDH, so this
 * target runs on a time budget instead of the byte decoders' 10^6 inputs.
 */
import { NoiseError } from '../../src/errors.js';
import { certificateSigner } from '../../src/noise/certificate.js';
import { randomSecret, xonlyPublicKey } from '../../src/noise/ellswift.js';
import { NoiseInitiator, NoiseResponder } from '../../src/noise/handshake.js';
import type { FuzzTarget } from './fuzz.js';

export function handshakeTarget(): FuzzTarget {
  const authority = randomSecret();
  const authorityKey = xonlyPublicKey(authority);
  const ephemeralSecret = randomSecret();
  const act1 = new NoiseInitiator({ authorityKey, insecure: false, ephemeralSecret }).writeAct1();
  const responder = new NoiseResponder({
    staticSecret: randomSecret(),
    certificate: certificateSigner(authority, { validForSec: 3600, backdateSec: 60 }),
  });
  const act2 = responder.readAct1(act1).act2;
  const seedHex = Buffer.from(act2).toString('hex');
  return {
    name: 'noise handshake (act 2)',
    seeds: [act2],
    run(input) {
      const initiator = new NoiseInitiator({
        authorityKey,
        insecure: false,
        ephemeralSecret,
        ephemeralEllswift: act1,
      });
      initiator.writeAct1();
      try {
        initiator.readAct2(input);
      } catch (error) {
        return error instanceof NoiseError ? undefined : `threw ${String(error)}`;
      }
      return Buffer.from(input).toString('hex') === seedHex ? undefined : 'accepted a changed act 2';
    },
  };
}
