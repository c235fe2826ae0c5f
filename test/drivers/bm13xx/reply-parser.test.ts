import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Reply } from '../../../drivers/bm13xx/replies.js';
import { ReplyParser } from '../../../drivers/bm13xx/reply-parser.js';
import { bytesToHex, hexToBytes } from '../../../src/bytes/hex.js';
import { readVectorCsv } from '../../helpers/vectors.js';

// Captured 11-byte BM1370 frames (nonces and the chip-id answer) from response_frames.csv.
const frames11 = readVectorCsv('bm13xx/response_frames.csv')
  .filter((r) => r['chip'] === 'BM1370' && r['len'] === '11')
  .map((r) => hexToBytes(r['frame_hex'] ?? ''));

function collect(length: 9 | 11 = 11): { parser: ReplyParser; out: string[]; replies: Reply[] } {
  const out: string[] = [];
  const replies: Reply[] = [];
  const parser = new ReplyParser('BM1370', length, (reply, frame) => {
    out.push(bytesToHex(frame));
    replies.push(reply);
  });
  return { parser, out, replies };
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  return all;
}

describe('ReplyParser', () => {
  it('delivers every captured frame once, decoded', () => {
    const { parser, out, replies } = collect();
    parser.push(concat(frames11));
    expect(out).toEqual(frames11.map(bytesToHex));
    expect(replies.filter((r) => r.kind === 'nonce')).toHaveLength(frames11.length - 1);
    expect(parser.counters).toEqual({ frames: frames11.length, crcErrors: 0, junkBytes: 0 });
  });

  it('resyncs after 3 junk bytes', () => {
    const { parser, out } = collect();
    parser.push(concat([Uint8Array.of(0x01, 0xaa, 0x13), ...frames11.slice(0, 2)]));
    expect(out).toEqual(frames11.slice(0, 2).map(bytesToHex));
    expect(parser.counters.junkBytes).toBe(3);
  });

  it('drops a frame with a flipped bit, counts a CRC error and keeps the next frame', () => {
    const { parser, out } = collect();
    const bad = Uint8Array.from(frames11[1] ?? []);
    bad[5] = (bad[5] ?? 0) ^ 0x04;
    parser.push(concat([bad, frames11[2] ?? new Uint8Array()]));
    expect(out).toEqual([bytesToHex(frames11[2] ?? new Uint8Array())]);
    expect(parser.counters.crcErrors).toBe(1);
  });

  it('loses only the torn frame when a byte is dropped', () => {
    const { parser, out } = collect();
    const torn = concat([
      (frames11[1] ?? new Uint8Array()).subarray(0, 6),
      (frames11[1] ?? new Uint8Array()).subarray(7),
    ]);
    parser.push(concat([torn, frames11[3] ?? new Uint8Array(), frames11[4] ?? new Uint8Array()]));
    expect(out).toEqual([frames11[3], frames11[4]].map((f) => bytesToHex(f ?? new Uint8Array())));
  });

  it('cuts 9-byte frames when told the chip has no version rolling yet', () => {
    const { parser, out, replies } = collect(9);
    parser.push(hexToBytes('AA 55 13 70 00 00 00 00 06 AA 55 00 00 C1 00 00 18 02'));
    expect(out).toHaveLength(2);
    expect(replies[1]).toEqual({ kind: 'register', value: 0xc100, chipAddress: 0, reg: 0x18 });
    parser.setReplyLength(11);
    parser.push(frames11[0] ?? new Uint8Array());
    expect(out).toHaveLength(3);
  });

  it('survives a throwing listener', () => {
    const parser = new ReplyParser('BM1370', 11, () => {
      throw new Error('listener bug');
    });
    expect(() => parser.push(concat(frames11))).not.toThrow();
    expect(parser.counters.frames).toBe(frames11.length);
  });

  it('property: any chunking of frames mixed with junk yields exactly the frames, in order', () => {
    const frameIdx = fc.integer({ min: 0, max: frames11.length - 1 });
    // Junk never contains AA so it cannot fake a preamble; every real frame must survive.
    const junk = fc.uint8Array({ maxLength: 6 }).map((u) => u.map((b) => (b === 0xaa ? 0x00 : b)));
    fc.assert(
      fc.property(
        fc.array(fc.tuple(junk, frameIdx), { maxLength: 12 }),
        fc.array(fc.integer({ min: 1, max: 17 })),
        (items, cuts) => {
          const parts = items.flatMap(([j, i]) => [j, frames11[i] ?? new Uint8Array()]);
          const stream = concat(parts);
          const { parser, out } = collect();
          let at = 0;
          let c = 0;
          while (at < stream.length) {
            const n = cuts.length > 0 ? (cuts[c++ % cuts.length] ?? 1) : stream.length;
            parser.push(stream.subarray(at, at + n));
            at += n;
          }
          expect(out).toEqual(items.map(([, i]) => bytesToHex(frames11[i] ?? new Uint8Array())));
          expect(parser.counters.junkBytes).toBe(items.reduce((n, [j]) => n + j.length, 0));
        },
      ),
      { numRuns: 300 },
    );
  });

  // CRC5 catches every single-bit error but only ~31/32 of wider ones, so the property flips one bit.
  it('property: a flipped bit costs the damaged frame and at most one neighbour', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: frames11.length * 11 - 1 }),
        fc.integer({ min: 0, max: 7 }),
        (pos, bit) => {
          const stream = concat(frames11);
          stream[pos] = (stream[pos] ?? 0) ^ (1 << bit);
          const { parser, out } = collect();
          parser.push(stream);
          const hit = Math.floor(pos / 11);
          const expected = frames11.filter((_, i) => i !== hit).map(bytesToHex);
          // The damaged frame is gone; at most one neighbour may be lost to a fake AA 55 resync.
          expect(out.filter((h) => !expected.includes(h))).toEqual([]);
          expect(out.length).toBeGreaterThanOrEqual(expected.length - 1);
        },
      ),
      { numRuns: 300 },
    );
  });
});
