/**
 * Tamper resistance (brief B): a flipped bit at every byte position of act 1, act 2 and of an
 * encrypted frame ends in a NoiseError naming the step, and no plaintext of the bad data is
 * delivered. Uses the SRI transcript so the untampered path is known-good.
 *
 * Each tampered handshake costs a full ECDH and signature check, so the normal suite flips every
 * fifth byte and the last one (5 and 8 are coprime, so all eight bit positions and every field of
 * each message are hit); SV2MINER_SLOW=1 flips every byte.
 */
import { describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes } from '../../src/bytes/hex.js';
import { NoiseError } from '../../src/errors.js';
import { NoiseInitiator, NoiseResponder, type ResponderResult } from '../../src/noise/handshake.js';
import { SecureChannel } from '../../src/noise/secure-channel.js';
import { readVectorJson } from '../helpers/vectors.js';

const t = readVectorJson<Record<string, string | number>>('sri_noise_handshake_transcript.json');
const b = (key: string): Uint8Array => hexToBytes(String(t[key]));
const ACT1 = b('act1_initiator_to_responder');
const ACT2 = b('act2_responder_to_initiator');
const SECRETS = [
  'authority_secret',
  'initiator_ephemeral_secret',
  'responder_ephemeral_secret',
  'responder_static_secret',
].map((k) => String(t[k]));

const EVERY_BYTE = process.env['SV2MINER_SLOW'] === '1';

/** The byte positions a sweep over `length` bytes tampers with. */
function positions(length: number): number[] {
  const step = EVERY_BYTE ? 1 : 5;
  const out: number[] = [];
  for (let pos = 0; pos < length; pos += step) out.push(pos);
  if (out.at(-1) !== length - 1) out.push(length - 1);
  return out;
}

const flip = (bytes: Uint8Array, pos: number): Uint8Array => {
  const out = Uint8Array.from(bytes);
  out[pos] = (out[pos] ?? 0) ^ (1 << (pos % 8));
  return out;
};

const initiator = (): NoiseInitiator => {
  const i = new NoiseInitiator({
    authorityKey: b('authority_pubkey_xonly'),
    insecure: false,
    now: () => Number(t['now']),
    ephemeralSecret: b('initiator_ephemeral_secret'),
    ephemeralEllswift: ACT1,
  });
  i.writeAct1();
  return i;
};

function catchNoise(fn: () => unknown): NoiseError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(NoiseError);
    const err = e as NoiseError;
    for (const s of SECRETS) expect(err.message.toLowerCase()).not.toContain(s.slice(0, 16));
    return err;
  }
  throw new Error('expected a NoiseError, nothing was thrown');
}

/** A responder that re-signs nothing: it replays SRI's act 2 components for whatever act 1 arrives. */
let sriCache: ReturnType<NoiseInitiator['readAct2']> | undefined;
function respond(act1: Uint8Array): ResponderResult {
  sriCache ??= initiator().readAct2(ACT2);
  const sri = sriCache;
  return new NoiseResponder({
    staticSecret: b('responder_static_secret'),
    staticEllswift: sri.serverStaticEllswift,
    ephemeralSecret: b('responder_ephemeral_secret'),
    ephemeralEllswift: ACT2.subarray(0, 64),
    certificate: sri.certificate,
  }).readAct1(act1);
}

describe('tampered act 1', () => {
  it('a flipped bit anywhere: the responder cannot tell, but the initiator then refuses act 2', () => {
    for (const pos of positions(ACT1.length)) {
      const r = respond(flip(ACT1, pos));
      expect(bytesToHex(r.act2)).not.toBe(bytesToHex(ACT2));
      const err = catchNoise(() => initiator().readAct2(r.act2));
      expect(err.step, `byte ${pos}`).toBe('act2');
      expect(err.message).toMatch(/MAC/);
    }
  });

  it('a wrong-length act 1 is refused by the responder', () => {
    expect(catchNoise(() => respond(ACT1.subarray(0, 63))).step).toBe('act1');
  });
});

describe('tampered act 2', () => {
  it('a flipped bit anywhere is refused with step act2', () => {
    for (const pos of positions(ACT2.length)) {
      const err = catchNoise(() => initiator().readAct2(flip(ACT2, pos)));
      expect(err.step, `byte ${pos}`).toBe('act2');
    }
    expect(catchNoise(() => initiator().readAct2(ACT2.subarray(0, 233))).message).toMatch(/234/);
  });

  it('the untampered act 2 still passes (the loop above is not vacuous)', () => {
    expect(initiator().readAct2(ACT2).authenticated).toBe(true);
  });
});

describe('tampered transport frame', () => {
  const wire = b('msg1_setup_connection_encrypted');
  const good = b('msg3_open_standard_mining_channel_encrypted');

  it('a flipped bit anywhere in SetupConnection: NoiseError naming header or payload, nothing delivered', () => {
    for (const pos of positions(wire.length)) {
      const r = respond(ACT1);
      const ch = new SecureChannel(r.send, r.recv);
      const got = ch.push(flip(wire, pos));
      expect(got.frames, `byte ${pos}`).toHaveLength(0);
      expect(got.error).toBeInstanceOf(NoiseError);
      expect(got.error?.step, `byte ${pos}`).toBe(pos < 22 ? 'frame-header' : 'frame-payload');
      // The channel is dead afterwards: even the genuine next frame is not delivered.
      const after = ch.push(good);
      expect(after.frames).toHaveLength(0);
      expect(after.error).toBe(got.error);
    }
  });

  it('frames before a tampered one are delivered, the tampered one is not', () => {
    const r = respond(ACT1);
    const ch = new SecureChannel(r.send, r.recv);
    const bad = flip(good, good.length - 1);
    const got = ch.push(new Uint8Array([...wire, ...bad]));
    expect(got.frames).toHaveLength(1);
    expect(bytesToHex(got.frames[0]?.payload ?? new Uint8Array())).toBe(
      bytesToHex(b('msg1_setup_connection_plain_frame').subarray(6)),
    );
    expect(got.error?.step).toBe('frame-payload');
  });
});
