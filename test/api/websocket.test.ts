import { describe, expect, it } from 'vitest';
import { acceptKey, encodeFrame, OPCODE, parseFrame } from '../../src/api/websocket.js';

// Vectors from RFC 6455: §1.3 (accept key) and §5.7 (frame examples).
describe('RFC 6455 vectors', () => {
  it('derives the §1.3 accept key', () => {
    expect(acceptKey('dGhlIHNhbXBsZSBub25jZQ==')).toBe('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  });

  it('encodes the §5.7 single-frame unmasked text "Hello"', () => {
    expect(encodeFrame(OPCODE.text, Buffer.from('Hello'))).toEqual(
      Buffer.from([0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]),
    );
  });

  it('encodes the §5.7 unmasked ping and 256-byte / 64 KiB length forms', () => {
    expect(encodeFrame(OPCODE.ping, Buffer.from('Hello'))).toEqual(
      Buffer.from([0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]),
    );
    expect(encodeFrame(OPCODE.binary, Buffer.alloc(256)).subarray(0, 4)).toEqual(
      Buffer.from([0x82, 0x7e, 0x01, 0x00]),
    );
    expect(encodeFrame(OPCODE.binary, Buffer.alloc(65536)).subarray(0, 10)).toEqual(
      Buffer.from([0x82, 0x7f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00]),
    );
  });

  it('decodes the §5.7 masked text "Hello"', () => {
    const bytes = Buffer.from([0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]);
    const r = parseFrame(bytes);
    expect(r.kind).toBe('frame');
    if (r.kind !== 'frame') return;
    expect(r.frame).toEqual({ fin: true, opcode: 1, payload: Buffer.from('Hello') });
    expect(r.rest.length).toBe(0);
  });

  it('asks for more bytes on a partial frame and refuses unmasked client frames', () => {
    const bytes = Buffer.from([0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f]);
    // 2 header bytes + 4 mask bytes + 5 payload bytes.
    expect(parseFrame(bytes)).toEqual({ kind: 'more', need: 11 });
    expect(parseFrame(Buffer.from([0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]))).toEqual({
      kind: 'error',
      code: 1002,
    });
  });

  it('refuses client payloads over 64 KiB with 1009', () => {
    const head = Buffer.from([0x82, 0xff, 0, 0, 0, 0, 0, 0x01, 0x00, 0x01]);
    expect(parseFrame(head)).toEqual({ kind: 'error', code: 1009 });
  });
});
