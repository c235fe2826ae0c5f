/**
 * Regression anchor: sv2_noise_handshake_DERIVED.json (fixed keys, computed from the spec with the
 * BIP reference code). Checks the symmetric state after every step, both ECDH outputs, and full
 * replays as initiator and responder including the three transport frames. Constants from
 * sv2_authority_keys_and_constants.json.
 */

import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes } from '../../src/bytes/hex.js';
import { signCertificate } from '../../src/noise/certificate.js';
import { CipherState } from '../../src/noise/cipher-state.js';
import { v2Ecdh } from '../../src/noise/ecdh.js';
import { NoiseInitiator, NoiseResponder } from '../../src/noise/handshake.js';
import { SecureChannel } from '../../src/noise/secure-channel.js';
import { hkdf2, PROTOCOL_NAME, SymmetricState } from '../../src/noise/symmetric-state.js';
import { readVectorJson } from '../helpers/vectors.js';

type Json = Record<string, unknown>;
const d = readVectorJson<Json>('sv2_noise_handshake_DERIVED.json');
const consts = readVectorJson<{ noise_constants: Record<string, string> }>(
  'sv2_authority_keys_and_constants.json',
).noise_constants;

const keys = d['keys'] as Record<string, string>;
const k = (name: string): Uint8Array => hexToBytes(keys[name] ?? '');
const s = (name: string): string => {
  const v = d[name];
  if (typeof v !== 'string') throw new Error(`DERIVED field ${name} missing`);
  return v;
};
const steps = d['handshake_steps (label, h, ck after step)'] as [string, string, string][];
const transports = Object.keys(d)
  .filter((key) => key.startsWith('transport_') && typeof d[key] === 'object')
  .map((key) => ({ key, ...(d[key] as { plaintext_frame: string; wire: string; nonces: number[] }) }));
const cert = d['certificate'] as Record<string, string | number>;
const act1 = hexToBytes(s('act1_initiator_to_responder (64 bytes)'));
const act2 = hexToBytes(s('act2_responder_to_initiator (234 bytes)'));

describe('constants', () => {
  it('protocol name and its hashes', () => {
    expect(PROTOCOL_NAME).toBe(consts['protocol_name']);
    expect(PROTOCOL_NAME).toHaveLength(45);
    const st = new SymmetricState();
    expect(bytesToHex(sha256(new TextEncoder().encode(PROTOCOL_NAME)))).toBe(
      consts['sha256(protocol_name) = initial ck'],
    );
    expect(bytesToHex(st.handshakeHash)).toBe(consts['initial h = sha256(initial ck)']);
  });
});

describe('DERIVED symmetric-state walk', () => {
  // The state keeps ck to itself; it is checked through what it derives: the cipher key of each
  // MixKey (every encryptAndHash after it feeds h, checked at each step) and the Split keys.
  it('h after every step, ck through its derivations', () => {
    const st = new SymmetricState();
    const ee = v2Ecdh(
      k('responder_ephemeral_secret'),
      k('initiator_ephemeral_ellswift'),
      k('responder_ephemeral_ellswift'),
      false,
    );
    const es = v2Ecdh(
      k('responder_static_secret'),
      k('initiator_ephemeral_ellswift'),
      k('responder_static_ellswift'),
      false,
    );
    expect(bytesToHex(ee)).toBe(s('ecdh_ee (bip324 tagged: initiator_ell||responder_ell||x)'));
    expect(bytesToHex(es)).toBe(s('ecdh_es (bip324 tagged: initiator_e_ell||responder_s_ell||x)'));
    // The initiator's view of both secrets is the same.
    expect(
      bytesToHex(
        v2Ecdh(
          k('initiator_ephemeral_secret'),
          k('responder_static_ellswift'),
          k('initiator_ephemeral_ellswift'),
          true,
        ),
      ),
    ).toBe(bytesToHex(es));
    const actions: (() => void)[] = [
      () => {},
      () => st.mixHash(k('initiator_ephemeral_ellswift')),
      () => st.encryptAndHash(new Uint8Array(0)),
      () => st.mixHash(k('responder_ephemeral_ellswift')),
      () => st.mixKey(ee),
      () => expect(st.encryptAndHash(k('responder_static_ellswift'))).toHaveLength(80),
      () => st.mixKey(es),
      () =>
        expect(
          st.encryptAndHash(hexToBytes(String(cert['SIGNATURE_NOISE_MESSAGE (74 bytes plaintext)']))),
        ).toHaveLength(90),
    ];
    const mixed: Record<number, Uint8Array> = { 4: ee, 6: es };
    expect(steps).toHaveLength(actions.length);
    steps.forEach(([label, h, ck], i) => {
      actions[i]?.();
      expect(bytesToHex(st.handshakeHash), label).toBe(h);
      const ikm = mixed[i];
      const before = steps[i - 1]?.[2];
      // The vectors' own chain: ck changes only at a MixKey, to HKDF(ck, ikm).out1.
      if (before !== undefined)
        expect(
          bytesToHex(ikm === undefined ? hexToBytes(before) : hkdf2(hexToBytes(before), ikm)[0]),
          label,
        ).toBe(ck);
    });
    expect(bytesToHex(st.handshakeHash)).toBe(s('final_h'));
    const finalCk = hexToBytes(steps.at(-1)?.[2] ?? '');
    const [k1, k2] = hkdf2(finalCk, new Uint8Array(0));
    expect(bytesToHex(k1)).toBe(s('transport_key_initiator_to_responder (HKDF(ck,empty).out1)'));
    expect(bytesToHex(k2)).toBe(s('transport_key_responder_to_initiator (HKDF(ck,empty).out2)'));
    // The state's Split encrypts exactly as ciphers keyed with the vectors' transport keys.
    const [c1, c2] = st.split();
    const probe = new TextEncoder().encode('split probe');
    const none = new Uint8Array(0);
    expect(bytesToHex(c1.encryptWithAd(none, probe))).toBe(
      bytesToHex(new CipherState(k1).encryptWithAd(none, probe)),
    );
    expect(bytesToHex(c2.encryptWithAd(none, probe))).toBe(
      bytesToHex(new CipherState(k2).encryptWithAd(none, probe)),
    );
  });
});

describe('DERIVED full replay', () => {
  const initiatorSide = () => {
    const i = new NoiseInitiator({
      authorityKey: k('authority_xonly'),
      insecure: false,
      now: () => Number(cert['valid_from']) + 1,
      ephemeralSecret: k('initiator_ephemeral_secret'),
      ephemeralEllswift: k('initiator_ephemeral_ellswift'),
    });
    expect(bytesToHex(i.writeAct1())).toBe(bytesToHex(act1));
    return i.readAct2(act2);
  };

  it('responder builds act 2 byte for byte (certificate signed with aux_rand 0)', () => {
    const r = new NoiseResponder({
      staticSecret: k('responder_static_secret'),
      staticEllswift: k('responder_static_ellswift'),
      ephemeralSecret: k('responder_ephemeral_secret'),
      ephemeralEllswift: k('responder_ephemeral_ellswift'),
      certificate: (staticXonly) =>
        signCertificate({
          authoritySecret: k('authority_secret'),
          staticXonly,
          validFrom: Number(cert['valid_from']),
          notValidAfter: Number(cert['not_valid_after']),
          auxRand: hexToBytes(String(cert['bip340_aux_rand'])),
        }),
    }).readAct1(act1);
    expect(bytesToHex(r.act2)).toBe(bytesToHex(act2));
    expect(bytesToHex(r.handshakeHash)).toBe(s('final_h'));
  });

  it('initiator verifies act 2 and all three transport frames match', () => {
    const r = initiatorSide();
    expect(bytesToHex(r.handshakeHash)).toBe(s('final_h'));
    expect(bytesToHex(r.serverStaticXonly)).toBe(keys['responder_static_xonly']);
    const ch = new SecureChannel(r.send, r.recv);
    expect(transports).toHaveLength(3);
    for (const tr of transports) {
      const plain = hexToBytes(tr.plaintext_frame);
      if (tr.key.includes('responder->initiator')) {
        const got = ch.push(hexToBytes(tr.wire));
        expect(got.error).toBeUndefined();
        expect(got.frames.map((f) => bytesToHex(f.payload))).toEqual([bytesToHex(plain.subarray(6))]);
      } else {
        expect(r.send.nextNonce, tr.key).toBe(tr.nonces[0]);
        expect(bytesToHex(ch.encryptFrame(plain)), tr.key).toBe(tr.wire);
      }
    }
  });
});
