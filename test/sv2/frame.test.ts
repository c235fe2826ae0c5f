import { describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes } from '../../src/bytes/hex.js';
import { DecodeError } from '../../src/errors.js';
import { decodeFrameHeader, encodeFrame, encodeFrameHeader, FrameSplitter } from '../../src/sv2/frame.js';
import { readVectorJson } from '../helpers/vectors.js';

describe('frame header', () => {
  it('encodes the SetupConnection header from sv2-tp as 00 00 00 52 00 00', () => {
    const bytes = encodeFrameHeader({ extensionType: 0, channelMsg: false, msgType: 0, msgLength: 82 });
    expect(bytesToHex(bytes)).toBe('000000520000');
  });

  it('puts the channel_msg flag in the top bit of byte 1', () => {
    const bytes = encodeFrameHeader({ extensionType: 0, channelMsg: true, msgType: 0x1a, msgLength: 24 });
    expect(bytesToHex(bytes)).toBe('00801a180000');
    expect(decodeFrameHeader(bytes)).toEqual({
      extensionType: 0,
      channelMsg: true,
      msgType: 0x1a,
      msgLength: 24,
    });
  });

  it('decodes the frame header vector of sv2tp_message_serialization.json', () => {
    const file = readVectorJson<{
      vectors: { name: string; hex: string; decoded?: Record<string, number> }[];
    }>('sv2tp_message_serialization.json');
    const vector = file.vectors.find((v) => v.name.startsWith('Frame header'));
    expect(vector?.hex).toBe('000000520000');
    const header = decodeFrameHeader(hexToBytes(vector?.hex ?? ''));
    expect(header).toEqual({
      extensionType: 0,
      channelMsg: false,
      msgType: 0,
      msgLength: vector?.decoded?.['msg_length'],
    });
  });

  it('reads a U24 length up to 2^24-1', () => {
    expect(decodeFrameHeader(hexToBytes('0000 15 ffffff')).msgLength).toBe(0xffffff);
  });

  it('rejects a short header with a DecodeError naming the offset', () => {
    expect(() => decodeFrameHeader(hexToBytes('000000'))).toThrow(DecodeError);
    expect(() => decodeFrameHeader(hexToBytes('000000'))).toThrow(
      /Frame.header: need 6 bytes, have 3 at offset 0/,
    );
  });
});

describe('FrameSplitter', () => {
  const frames = [
    encodeFrame({ extensionType: 0, channelMsg: false, msgType: 1 }, hexToBytes('0102030405')),
    encodeFrame({ extensionType: 0, channelMsg: true, msgType: 0x15 }, new Uint8Array(0)),
    encodeFrame({ extensionType: 3, channelMsg: false, msgType: 2 }, new Uint8Array(300).fill(7)),
  ];
  const stream = Uint8Array.from(frames.flatMap((f) => [...f]));

  it('yields whole frames from one-byte chunks', () => {
    const splitter = new FrameSplitter();
    const out = [];
    for (const byte of stream) out.push(...splitter.push(Uint8Array.of(byte)));
    expect(out.map((f) => f.header.msgType)).toEqual([1, 0x15, 2]);
    expect(bytesToHex(out[0]?.payload ?? new Uint8Array())).toBe('0102030405');
    expect(out[2]?.payload.length).toBe(300);
    expect(splitter.buffered).toBe(0);
  });

  it('yields every frame when all arrive in one chunk', () => {
    const out = new FrameSplitter().push(stream);
    expect(out.map((f) => f.header.msgLength)).toEqual([5, 0, 300]);
  });

  it('refuses a frame that claims more than its payload limit', () => {
    const splitter = new FrameSplitter(100);
    expect(() => splitter.push(frames[2] as Uint8Array)).toThrow(/exceeds limit 100/);
  });
});
