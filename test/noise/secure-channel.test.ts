/**
 * Encrypted transport framing (sv2.md §2.2): payload chunking at the 65 519/65 535 boundaries,
 * wire layout checked with raw ChaCha20-Poly1305 and the spec's nonce layout, reassembly from
 * arbitrary TCP chunking (fast-check), and the receive size limit.
 */
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesToHex } from '../../src/bytes/hex.js';
import { NoiseError } from '../../src/errors.js';
import { CipherState, nonceBytes } from '../../src/noise/cipher-state.js';
import {
  ENCRYPTED_HEADER_SIZE,
  encryptedPayloadLength,
  MAX_CHUNK_PLAINTEXT,
  SecureChannel,
} from '../../src/noise/secure-channel.js';
import { encodeFrame, type Frame } from '../../src/sv2/frame.js';

const K1 = Uint8Array.from({ length: 32 }, (_, i) => i + 1);
const K2 = Uint8Array.from({ length: 32 }, (_, i) => 0xff - i);
const pair = (maxPayload?: number): [SecureChannel, SecureChannel] => [
  new SecureChannel(new CipherState(K1), new CipherState(K2)),
  new SecureChannel(new CipherState(K2), new CipherState(K1), maxPayload === undefined ? {} : { maxPayload }),
];
const payloadOf = (n: number, seed: number): Uint8Array =>
  Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);
const frameOf = (n: number, seed = 0): Uint8Array =>
  encodeFrame({ extensionType: 0, channelMsg: seed % 2 === 1, msgType: seed & 0xff }, payloadOf(n, seed));

const SIZES = [0, 1, 65_518, 65_519, 65_520, 2 * 65_519, 200_000];

describe('nonce and length arithmetic', () => {
  it('nonce is four zero bytes then the counter little-endian', () => {
    expect(bytesToHex(nonceBytes(0))).toBe('000000000000000000000000');
    expect(bytesToHex(nonceBytes(0x0102_0304))).toBe('000000000403020100000000');
    expect(bytesToHex(nonceBytes(2 ** 40 + 5))).toBe('000000000500000000010000');
  });

  it('ct_len(L) = L + 16·ceil(L/65519)', () => {
    expect(encryptedPayloadLength(0)).toBe(0);
    expect(encryptedPayloadLength(1)).toBe(17);
    expect(encryptedPayloadLength(65_519)).toBe(65_535);
    expect(encryptedPayloadLength(65_520)).toBe(65_535 + 17);
    expect(encryptedPayloadLength(2 * 65_519)).toBe(2 * 65_535);
    expect(encryptedPayloadLength(200_000)).toBe(200_000 + 16 * 4);
  });
});

describe('wire layout, checked with raw ChaCha20-Poly1305', () => {
  it.each(SIZES)('payload of %i bytes', (n) => {
    const [a] = pair();
    const frame = frameOf(n, 3);
    const wire = a.encryptFrame(frame);
    expect(wire.length).toBe(ENCRYPTED_HEADER_SIZE + encryptedPayloadLength(n));
    let nonce = 0;
    const open = (ct: Uint8Array): Uint8Array =>
      chacha20poly1305(K1, nonceBytes(nonce++), new Uint8Array(0)).decrypt(ct);
    expect(bytesToHex(open(wire.subarray(0, 22)))).toBe(bytesToHex(frame.subarray(0, 6)));
    const parts: Uint8Array[] = [];
    for (let at = 22; at < wire.length; at += 65_535)
      parts.push(open(wire.subarray(at, Math.min(wire.length, at + 65_535))));
    expect(parts.length).toBe(Math.ceil(n / MAX_CHUNK_PLAINTEXT));
    for (const p of parts.slice(0, -1)) expect(p.length).toBe(MAX_CHUNK_PLAINTEXT);
    const joined = new Uint8Array(n);
    let at = 0;
    for (const p of parts) {
      joined.set(p, at);
      at += p.length;
    }
    expect(bytesToHex(joined)).toBe(bytesToHex(frame.subarray(6)));
  });
});

function feed(rx: SecureChannel, wire: Uint8Array, cuts: number[]): Frame[] {
  const out: Frame[] = [];
  let prev = 0;
  for (const c of [...cuts, wire.length]) {
    const r = rx.push(wire.subarray(prev, c));
    expect(r.error).toBeUndefined();
    out.push(...r.frames);
    prev = c;
  }
  return out;
}

describe('stream reassembly', () => {
  it('all boundary sizes back to back, split at every frame edge ± 1 and in odd pieces', () => {
    const [a, b] = pair();
    const frames = SIZES.map((n, i) => frameOf(n, i));
    const wires = frames.map((f) => a.encryptFrame(f));
    const all = new Uint8Array(wires.reduce((s, w) => s + w.length, 0));
    const cuts: number[] = [];
    let at = 0;
    for (const w of wires) {
      all.set(w, at);
      cuts.push(at + 1, at + 21, at + 22, at + 23);
      at += w.length;
      cuts.push(at - 1);
    }
    for (let c = 7; c < all.length; c += 9_973) cuts.push(c);
    const sorted = [...new Set(cuts)].filter((c) => c > 0 && c < all.length).sort((x, y) => x - y);
    const got = feed(b, all, sorted);
    expect(got.map((f) => f.payload.length)).toEqual(SIZES);
    got.forEach((f, i) => {
      expect(f.header.msgType).toBe(i);
      expect(f.header.channelMsg).toBe(i % 2 === 1);
      expect(bytesToHex(f.payload)).toBe(bytesToHex(frames[i]?.subarray(6) ?? new Uint8Array()));
    });
    expect(b.atFrameBoundary).toBe(true);
  });

  it('any chunking of any frame sequence yields the same frames (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 70_000 }), { minLength: 1, maxLength: 4 }),
        fc.array(fc.integer({ min: 1, max: 40_000 }), { minLength: 0, maxLength: 30 }),
        (sizes, pieces) => {
          const [a, b] = pair();
          const frames = sizes.map((n, i) => frameOf(n, i + 1));
          const wire = Buffer.concat(frames.map((f) => a.encryptFrame(f)));
          const cuts: number[] = [];
          let at = 0;
          for (const p of pieces) {
            at += p;
            if (at >= wire.length) break;
            cuts.push(at);
          }
          const got = feed(b, new Uint8Array(wire), cuts);
          expect(got.map((f) => f.payload.length)).toEqual(sizes);
          for (const [i, f] of got.entries())
            expect(Buffer.compare(f.payload, frames[i]?.subarray(6) ?? Buffer.alloc(0))).toBe(0);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('one byte at a time', () => {
    const [a, b] = pair();
    const frame = frameOf(300, 5);
    const wire = a.encryptFrame(frame);
    const got = feed(
      b,
      wire,
      Array.from({ length: wire.length - 1 }, (_, i) => i + 1),
    );
    expect(got).toHaveLength(1);
    expect(bytesToHex(got[0]?.payload ?? new Uint8Array())).toBe(bytesToHex(frame.subarray(6)));
  });

  it('refuses a frame announcing more than maxPayload, and stays failed', () => {
    const [a, b] = pair(1000);
    const r = b.push(a.encryptFrame(frameOf(1001)));
    expect(r.frames).toHaveLength(0);
    expect(r.error).toBeInstanceOf(NoiseError);
    expect(r.error?.step).toBe('frame-header');
    expect(b.push(a.encryptFrame(frameOf(1))).error).toBe(r.error);
    expect(() => b.encryptFrame(frameOf(1))).toThrow(NoiseError);
  });

  it('refuses to send a frame whose header length is wrong', () => {
    const [a] = pair();
    const f = frameOf(10);
    expect(() => a.encryptFrame(f.subarray(0, 12))).toThrow(/header says 10/);
  });
});
