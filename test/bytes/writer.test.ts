import { describe, expect, it } from 'vitest';
import { bytesToHex } from '../../src/bytes/hex.js';
import { ByteReader } from '../../src/bytes/reader.js';
import { ByteWriter } from '../../src/bytes/writer.js';

describe('ByteWriter', () => {
  it('keeps every byte when the buffer grows in the middle of a write', () => {
    const w = new ByteWriter(3);
    w.u8(1).u16le(0x0302).u32le(0x07060504).u64le(0x0f0e0d0c0b0a0908n).bytes(Uint8Array.of(0x10, 0x11));
    expect(bytesToHex(w.finish())).toBe('0102030405060708090a0b0c0d0e0f1011');
  });

  it('writes U24 little-endian and refuses values that do not fit', () => {
    expect(bytesToHex(new ByteWriter(1).u24le(0x123456).finish())).toBe('563412');
    expect(() => new ByteWriter().u24le(0x1000000)).toThrow(/24-bit/);
    expect(() => new ByteWriter().u8(-1)).toThrow(/8-bit/);
    expect(() => new ByteWriter().u32le(1.5)).toThrow(/32-bit/);
  });

  it('round-trips through ByteReader', () => {
    const bytes = new ByteWriter(0).u24le(0xabcdef).f32le(1.5).finish();
    const r = new ByteReader(bytes, 'Test');
    expect(r.u24le()).toBe(0xabcdef);
    expect(r.f32le()).toBe(1.5);
    expect(r.remaining).toBe(0);
  });

  it('reader names message, field and offset when bytes run out', () => {
    const r = new ByteReader(Uint8Array.of(1, 2), 'SetTarget');
    r.field = 'channel_id';
    expect(() => r.u32le()).toThrow('SetTarget.channel_id: need 4 bytes, have 2 at offset 0');
  });
});
