/**
 * Noise benchmarks (brief B): full NX handshake cost, encrypted frame round trip through
 * SecureChannel versus the bare ChaCha20-Poly1305 work it must do (header and payload as two AEAD
 * ops), and the ratio between the two, i.e. what our framing layer costs on top of the cipher.
 */
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { signCertificate } from '../src/noise/certificate.js';
import { CipherState, nonceBytes } from '../src/noise/cipher-state.js';
import { xonlyPublicKey } from '../src/noise/ellswift.js';
import { NoiseInitiator, NoiseResponder } from '../src/noise/handshake.js';
import { SecureChannel } from '../src/noise/secure-channel.js';
import { encodeFrame } from '../src/sv2/frame.js';
import type { BenchLine } from './lib.js';
import { opsPerSecond } from './lib.js';

const AUTH_SECRET = new Uint8Array(32).fill(7);
const AUTH_X = xonlyPublicKey(AUTH_SECRET);
const STATIC_SECRET = new Uint8Array(32).fill(9);
const NOW = 1_760_000_000;
const CERT = signCertificate({
  authoritySecret: AUTH_SECRET,
  staticXonly: xonlyPublicKey(STATIC_SECRET),
  validFrom: NOW - 60,
  notValidAfter: NOW + 3600,
});

function handshakeOnce(): void {
  const i = new NoiseInitiator({ authorityKey: AUTH_X, insecure: false, now: () => NOW });
  const r = new NoiseResponder({ staticSecret: STATIC_SECRET, certificate: CERT });
  i.readAct2(r.readAct1(i.writeAct1()).act2);
}

function handshakeMeanMs(runs: number): number {
  for (let k = 0; k < 5; k++) handshakeOnce();
  const start = performance.now();
  for (let k = 0; k < runs; k++) handshakeOnce();
  return (performance.now() - start) / runs;
}

export async function run(): Promise<BenchLine[]> {
  const handshakeMs = handshakeMeanMs(50);

  const k1 = new Uint8Array(32).fill(1);
  const k2 = new Uint8Array(32).fill(2);
  const a = new SecureChannel(new CipherState(k1), new CipherState(k2));
  const b = new SecureChannel(new CipherState(k2), new CipherState(k1));
  const frame = encodeFrame(
    { extensionType: 0, channelMsg: true, msgType: 0x1a },
    new Uint8Array(100).fill(0x5a),
  );
  const oursOnce = (): void => {
    const r = b.push(a.encryptFrame(frame));
    if (r.frames.length !== 1) throw new Error('bench: frame lost');
  };

  const header = frame.subarray(0, 6);
  const payload = frame.subarray(6);
  const empty = new Uint8Array(0);
  let n = 0;
  const rawOnce = (): void => {
    const nh = nonceBytes(n++);
    const np = nonceBytes(n++);
    const ch = chacha20poly1305(k1, nh, empty).encrypt(header);
    const cp = chacha20poly1305(k1, np, empty).encrypt(payload);
    chacha20poly1305(k1, nh, empty).decrypt(ch);
    chacha20poly1305(k1, np, empty).decrypt(cp);
  };
  // Interleave short rounds and keep each side's best, so load from other processes on a shared
  // machine skews the ratio less than one long run of each would.
  let ours = 0;
  let raw = 0;
  for (let round = 0; round < 4; round++) {
    ours = Math.max(ours, opsPerSecond(oursOnce, 300));
    raw = Math.max(raw, opsPerSecond(rawOnce, 300));
  }

  return [
    { name: 'noise_handshake_ms', value: handshakeMs, unit: 'ms' },
    { name: 'noise_frame_roundtrip_100b', value: ours, unit: 'frames/s' },
    { name: 'chacha20poly1305_raw_100b', value: raw, unit: 'frames/s' },
    { name: 'noise_framing_overhead_ratio', value: raw / ours, unit: 'x' },
  ];
}
