import type { IncomingMessage } from 'node:http';
import { Duplex } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import { acceptKey, acceptWebSocket, encodeWsFrame, OPCODE, parseFrame } from '../../src/api/websocket.js';

// Vectors from RFC 6455: §1.3 (accept key) and §5.7 (frame examples).
describe('RFC 6455 vectors', () => {
  it('derives the §1.3 accept key', () => {
    expect(acceptKey('dGhlIHNhbXBsZSBub25jZQ==')).toBe('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  });

  it('encodes the §5.7 single-frame unmasked text "Hello"', () => {
    expect(encodeWsFrame(OPCODE.text, Buffer.from('Hello'))).toEqual(
      Buffer.from([0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]),
    );
  });

  it('encodes the §5.7 unmasked ping and 256-byte / 64 KiB length forms', () => {
    expect(encodeWsFrame(OPCODE.ping, Buffer.from('Hello'))).toEqual(
      Buffer.from([0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]),
    );
    expect(encodeWsFrame(OPCODE.binary, Buffer.alloc(256)).subarray(0, 4)).toEqual(
      Buffer.from([0x82, 0x7e, 0x01, 0x00]),
    );
    expect(encodeWsFrame(OPCODE.binary, Buffer.alloc(65536)).subarray(0, 10)).toEqual(
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

describe('incoming bytes are joined in linear time', () => {
  it('a 64 KiB ping arriving one byte per read is copied a bounded number of times, then answered', () => {
    const written: Buffer[] = [];
    const socket = new Duplex({
      read() {},
      write(chunk: Buffer, _encoding, done) {
        written.push(chunk);
        done();
      },
    });
    const req = {
      headers: {
        'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
        'sec-websocket-version': '13',
        upgrade: 'websocket',
      },
    } as unknown as IncomingMessage;
    expect(acceptWebSocket(req, socket, () => {})).not.toBeNull();
    // Masked ping with a 16-bit length of 65535 bytes (a ping this long is out of spec, but the
    // reader has to get through it before it can know).
    const payload = Buffer.alloc(0xffff, 0x5a);
    const mask = Buffer.from([1, 2, 3, 4]);
    const frame = Buffer.concat([
      Buffer.from([0x89, 0xfe, 0xff, 0xff]),
      mask,
      payload.map((b, i) => b ^ (mask[i % 4] ?? 0)),
    ]);
    const concat = vi.spyOn(Buffer, 'concat');
    try {
      for (const byte of frame) socket.emit('data', Buffer.from([byte]));
      const copied = concat.mock.results.reduce((n, r) => n + (r.value as Buffer).length, 0);
      // Joining per read would copy about frame.length^2 / 2 = 2^31 bytes.
      expect(copied).toBeLessThanOrEqual(4 * frame.length);
    } finally {
      concat.mockRestore();
    }
    const pong = written.at(-1) ?? Buffer.alloc(0);
    expect(pong.subarray(0, 4)).toEqual(Buffer.from([0x8a, 0x7e, 0xff, 0xff]));
    expect(pong.subarray(4)).toEqual(payload);
  });
});
