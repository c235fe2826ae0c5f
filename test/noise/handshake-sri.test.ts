/**
 * Replays the primary truth, sri_noise_handshake_transcript.json (SRI noise_sv2/codec_sv2 with
 * seeded RNGs), as initiator and as responder: act 1 and act 2 byte for byte, certificate checks,
 * then every encrypted transport frame byte for byte in both directions (sv2.md §2.2, §3.4).
 */
import { describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes } from '../../src/bytes/hex.js';
import { NoiseError } from '../../src/errors.js';
import { ellswiftDecode, xonlyPublicKey } from '../../src/noise/ellswift.js';
import { type InitiatorResult, NoiseInitiator, NoiseResponder } from '../../src/noise/handshake.js';
import { SecureChannel } from '../../src/noise/secure-channel.js';
import { readVectorJson } from '../helpers/vectors.js';

type Transcript = Record<string, string | number>;
const t = readVectorJson<Transcript>('sri_noise_handshake_transcript.json');
const hex = (k: string): string => {
  const v = t[k];
  if (typeof v !== 'string') throw new Error(`transcript field ${k} missing`);
  return v;
};
const num = (k: string): number => {
  const v = t[k];
  if (typeof v !== 'number') throw new Error(`transcript field ${k} missing`);
  return v;
};
const b = (k: string): Uint8Array => hexToBytes(hex(k));

function initiator(now = num('now'), authority = b('authority_pubkey_xonly')): NoiseInitiator {
  return new NoiseInitiator({
    authorityKey: authority,
    insecure: false,
    now: () => now,
    ephemeralSecret: b('initiator_ephemeral_secret'),
    ephemeralEllswift: b('act1_initiator_to_responder'),
  });
}

function runInitiator(): InitiatorResult {
  const i = initiator();
  expect(bytesToHex(i.writeAct1())).toBe(hex('act1_initiator_to_responder'));
  return i.readAct2(b('act2_responder_to_initiator'));
}

function single<T>(list: T[]): T {
  expect(list).toHaveLength(1);
  const [x] = list;
  if (x === undefined) throw new Error('no item');
  return x;
}

describe('SRI transcript: keys are what the file says', () => {
  it('secrets match their public keys', () => {
    expect(bytesToHex(xonlyPublicKey(b('authority_secret')))).toBe(hex('authority_pubkey_xonly'));
    expect(bytesToHex(xonlyPublicKey(b('initiator_ephemeral_secret')))).toBe(
      hex('initiator_ephemeral_pubkey_xonly'),
    );
    expect(bytesToHex(ellswiftDecode(b('act1_initiator_to_responder')))).toBe(
      hex('initiator_ephemeral_pubkey_xonly'),
    );
    expect(bytesToHex(xonlyPublicKey(b('responder_static_secret')))).toBe(
      hex('responder_static_pubkey_xonly'),
    );
  });
});

describe('SRI transcript as initiator', () => {
  it('verifies act 2 and the certificate', () => {
    const r = runInitiator();
    expect(r.authenticated).toBe(true);
    expect(r.insecure).toBe(false);
    expect(bytesToHex(r.serverStaticXonly)).toBe(hex('responder_static_pubkey_xonly'));
    expect(r.certificate.version).toBe(0);
    expect(r.certificate.validFrom).toBe(num('cert_valid_from'));
    expect(r.certificate.notValidAfter).toBe(num('cert_not_valid_after'));
    expect(r.send.nextNonce).toBe(0);
    expect(r.recv.nextNonce).toBe(0);
  });

  it('encrypts SetupConnection and OpenStandardMiningChannel, decrypts Success, byte for byte', () => {
    const r = runInitiator();
    const ch = new SecureChannel(r.send, r.recv);
    expect(bytesToHex(ch.encryptFrame(b('msg1_setup_connection_plain_frame')))).toBe(
      hex('msg1_setup_connection_encrypted'),
    );
    const got = ch.push(b('msg2_setup_connection_success_encrypted'));
    expect(got.error).toBeUndefined();
    const f = single(got.frames);
    const plain2 = b('msg2_setup_connection_success_plain_frame');
    expect(f.header).toEqual({ extensionType: 0, channelMsg: false, msgType: 1, msgLength: 6 });
    expect(bytesToHex(f.payload)).toBe(bytesToHex(plain2.subarray(6)));
    expect(bytesToHex(ch.encryptFrame(b('msg3_open_standard_mining_channel_plain_frame')))).toBe(
      hex('msg3_open_standard_mining_channel_encrypted'),
    );
  });

  it('refuses the same act 2 under another authority key, too early, too late and with a 1970 clock', () => {
    const other = xonlyPublicKey(hexToBytes('42'.repeat(32)));
    const cases: [NoiseInitiator, string][] = [
      [initiator(num('now'), other), 'certificate'],
      [initiator(num('cert_valid_from') - 61), 'certificate'],
      [initiator(num('cert_not_valid_after') + 61), 'certificate'],
      [initiator(5), 'clock'],
    ];
    for (const [i, step] of cases) {
      i.writeAct1();
      let err: unknown;
      try {
        i.readAct2(b('act2_responder_to_initiator'));
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(NoiseError);
      expect((err as NoiseError).step).toBe(step);
    }
  });

  it('insecure mode skips the certificate check but says so', () => {
    const i = new NoiseInitiator({
      authorityKey: undefined,
      insecure: true,
      now: () => 0,
      ephemeralSecret: b('initiator_ephemeral_secret'),
      ephemeralEllswift: b('act1_initiator_to_responder'),
    });
    i.writeAct1();
    const r = i.readAct2(b('act2_responder_to_initiator'));
    expect(r.authenticated).toBe(false);
    expect(r.insecure).toBe(true);
  });

  it('refuses to start with no authority key unless insecure', () => {
    expect(() => new NoiseInitiator({ authorityKey: undefined, insecure: false })).toThrow(/authority key/);
  });

  it('refuses an injected encoding that does not encode the injected secret', () => {
    const i = new NoiseInitiator({
      authorityKey: b('authority_pubkey_xonly'),
      insecure: false,
      ephemeralSecret: b('responder_ephemeral_secret'),
      ephemeralEllswift: b('act1_initiator_to_responder'),
    });
    expect(() => i.writeAct1()).toThrow(NoiseError);
  });
});

describe('SRI transcript as responder', () => {
  it('reproduces act 2 and the Success frame, and decrypts both client frames', () => {
    // The file holds the responder's secrets; the exact encodings and SRI's certificate signature
    // (BIP340 aux randomness unknown) come from act 2 itself, read by our initiator above.
    const init = runInitiator();
    const act2 = b('act2_responder_to_initiator');
    const resp = new NoiseResponder({
      staticSecret: b('responder_static_secret'),
      staticEllswift: init.serverStaticEllswift,
      ephemeralSecret: b('responder_ephemeral_secret'),
      ephemeralEllswift: act2.subarray(0, 64),
      certificate: init.certificate,
    });
    const r = resp.readAct1(b('act1_initiator_to_responder'));
    expect(bytesToHex(r.act2)).toBe(hex('act2_responder_to_initiator'));
    expect(bytesToHex(r.handshakeHash)).toBe(bytesToHex(init.handshakeHash));
    const ch = new SecureChannel(r.send, r.recv);
    const m1 = ch.push(b('msg1_setup_connection_encrypted'));
    expect(m1.error).toBeUndefined();
    const plain1 = b('msg1_setup_connection_plain_frame');
    expect(bytesToHex(single(m1.frames).payload)).toBe(bytesToHex(plain1.subarray(6)));
    expect(bytesToHex(ch.encryptFrame(b('msg2_setup_connection_success_plain_frame')))).toBe(
      hex('msg2_setup_connection_success_encrypted'),
    );
    const m3 = ch.push(b('msg3_open_standard_mining_channel_encrypted'));
    const plain3 = b('msg3_open_standard_mining_channel_plain_frame');
    const f3 = single(m3.frames);
    expect(f3.header.msgType).toBe(0x10);
    expect(bytesToHex(f3.payload)).toBe(bytesToHex(plain3.subarray(6)));
  });
});
