import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes } from '../../src/bytes/hex.js';
import { ByteReader } from '../../src/bytes/reader.js';
import { ByteWriter } from '../../src/bytes/writer.js';
import { DecodeError } from '../../src/errors.js';
import {
  B0_16M,
  B0_32,
  B0_64K,
  B0_255,
  BOOL,
  type Codec,
  F32,
  OPTION,
  PUBKEY,
  SEQ0_64K,
  SEQ0_255,
  SIGNATURE,
  STR0_255,
  U8,
  U16,
  U24,
  U32,
  U64,
  U256,
} from '../../src/sv2/types.js';
import { sameValue } from '../helpers/same-value.js';
import { arbitraryFor } from './arbitraries.js';

function enc<T>(codec: Codec<T>, v: T): string {
  const w = new ByteWriter();
  codec.write(w, v);
  return bytesToHex(w.finish());
}

function dec<T>(codec: Codec<T>, hex: string): T {
  const r = new ByteReader(hexToBytes(hex), 'Test');
  r.field = 'f';
  const v = codec.read(r);
  expect(r.remaining).toBe(0);
  return v;
}

function decodeFails(codec: Codec<unknown>, hex: string): DecodeError {
  const r = new ByteReader(hexToBytes(hex), 'Test');
  r.field = 'f';
  try {
    codec.read(r);
  } catch (error) {
    expect(error).toBeInstanceOf(DecodeError);
    return error as DecodeError;
  }
  throw new Error(`decoding ${hex} as ${codec.name} did not fail`);
}

describe('integer primitives are little-endian', () => {
  it.each([
    [U8, 0xab, 'ab'],
    [U16, 0x1234, '3412'],
    [U24, 0x123456, '563412'],
    [U24, 0xffffff, 'ffffff'],
    [U32, 0x12345678, '78563412'],
    [U32, 0xffffffff, 'ffffffff'],
  ] as const)('%s.name %s <-> %s', (codec, value, hex) => {
    expect(enc(codec, value)).toBe(hex);
    expect(dec(codec, hex)).toBe(value);
  });

  it('U64 is a bigint, LE, full range', () => {
    expect(enc(U64, 0x0102030405060708n)).toBe('0807060504030201');
    expect(dec(U64, 'ffffffffffffffff')).toBe(2n ** 64n - 1n);
    expect(() => enc(U64, 2n ** 64n)).toThrow(RangeError);
    expect(() => enc(U64, 5 as unknown as bigint)).toThrow(RangeError);
  });

  it('writers refuse values that do not fit', () => {
    expect(() => enc(U8, 256)).toThrow(RangeError);
    expect(() => enc(U16, -1)).toThrow(RangeError);
    expect(() => enc(U24, 0x1000000)).toThrow(RangeError);
    expect(() => enc(U32, 1.5)).toThrow(RangeError);
  });

  it('a short read names message, field and offset', () => {
    expect(decodeFails(U32, '010203').message).toBe('Test.f: need 4 bytes, have 3 at offset 0');
  });
});

describe('F32', () => {
  it('is IEEE-754 binary32 LE (1e12 H/s as in the DERIVED OpenStandardMiningChannel frame)', () => {
    expect(enc(F32, 1e12)).toBe('a5d46853');
    expect(dec(F32, 'a5d46853')).toBe(Math.fround(1e12));
    expect(dec(F32, '00247449')).toBe(1_000_000);
    expect(enc(F32, -0)).toBe('00000080');
  });
});

describe('BOOL', () => {
  it('reads bit 0 only and writes 00/01', () => {
    expect(dec(BOOL, '01')).toBe(true);
    expect(dec(BOOL, '00')).toBe(false);
    expect(dec(BOOL, 'fe')).toBe(false);
    expect(dec(BOOL, '03')).toBe(true);
    expect(enc(BOOL, true)).toBe('01');
    expect(enc(BOOL, false)).toBe('00');
  });
});

describe('fixed-size byte types', () => {
  it('U256 is 32 raw bytes, never reversed', () => {
    const hex = '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f';
    expect(bytesToHex(dec(U256, hex))).toBe(hex);
    expect(enc(U256, hexToBytes(hex))).toBe(hex);
  });

  it('refuses wrong sizes on write and short input on read', () => {
    expect(() => enc(U256, new Uint8Array(31))).toThrow(/U256 needs exactly 32 bytes, got 31 bytes/);
    expect(() => enc(PUBKEY, new Uint8Array(33))).toThrow(RangeError);
    expect(() => enc(SIGNATURE, new Uint8Array(32))).toThrow(RangeError);
    expect(decodeFails(SIGNATURE, '00'.repeat(63)).message).toMatch(/need 64 bytes, have 63/);
  });

  it('decoded bytes are a copy, not a view of the input', () => {
    const input = new Uint8Array(32).fill(7);
    const v = U256.read(new ByteReader(input));
    input.fill(0);
    expect(v[0]).toBe(7);
  });
});

describe('length-prefixed bytes', () => {
  it('B0_32 accepts 32 bytes and rejects a length of 33 (not a truncation)', () => {
    expect(dec(B0_32, `20${'aa'.repeat(32)}`).length).toBe(32);
    const e = decodeFails(B0_32, `21${'aa'.repeat(33)}`);
    expect(e.message).toBe('Test.f: length 33 exceeds B0_32 maximum 32 at offset 0');
    expect(() => enc(B0_32, new Uint8Array(33))).toThrow(/at most 32 bytes, got 33/);
  });

  it('B0_255, B0_64K and B0_16M carry their maximum length with 1-, 2- and 3-byte prefixes', () => {
    const head = (codec: Codec<Uint8Array>, n: number): string => {
      const w = new ByteWriter();
      codec.write(w, new Uint8Array(n));
      const out = w.finish();
      expect(out.length).toBe(n + codec.minSize);
      return bytesToHex(out.subarray(0, codec.minSize));
    };
    expect(head(B0_255, 255)).toBe('ff');
    expect(head(B0_64K, 0xffff)).toBe('ffff');
    expect(head(B0_16M, 0xffffff)).toBe('ffffff');
    expect(() => enc(B0_64K, new Uint8Array(0x10000))).toThrow(RangeError);
    expect(() => enc(B0_16M, new Uint8Array(0x1000000))).toThrow(RangeError);
    expect(dec(B0_16M, '000000').length).toBe(0);
    expect(bytesToHex(dec(B0_64K, '0300abcdef'))).toBe('abcdef');
  });

  it('a length prefix past the end is a DecodeError at the data offset', () => {
    expect(decodeFails(B0_255, '05abcd').message).toBe('Test.f: need 5 bytes, have 2 at offset 1');
    expect(decodeFails(B0_64K, 'ff').message).toMatch(/need 2 bytes, have 1 at offset 0/);
  });
});

describe('STR0_255', () => {
  it('is a u8 byte length + UTF-8', () => {
    expect(enc(STR0_255, 'Bitmain')).toBe('074269746d61696e');
    expect(enc(STR0_255, 'é')).toBe('02c3a9');
    expect(dec(STR0_255, '02c3a9')).toBe('é');
    expect(enc(STR0_255, '')).toBe('00');
  });

  it('keeps a leading BOM so values round-trip', () => {
    expect(dec(STR0_255, '03efbbbf')).toBe('\ufeff');
  });

  it('rejects invalid UTF-8 with a DecodeError at the string bytes', () => {
    expect(decodeFails(STR0_255, '02c328').message).toBe('Test.f: 2 bytes are not valid UTF-8 at offset 1');
    expect(decodeFails(STR0_255, '01ff')).toBeInstanceOf(DecodeError);
  });

  it('refuses 256 UTF-8 bytes (128 two-byte chars) and lone surrogates on write', () => {
    expect(enc(STR0_255, 'a'.repeat(255)).slice(0, 2)).toBe('ff');
    expect(() => enc(STR0_255, 'é'.repeat(128))).toThrow(/at most 255 UTF-8 bytes, got 256/);
    expect(() => enc(STR0_255, 'a\ud800')).toThrow(/lone UTF-16 surrogate/);
  });
});

describe('sequences and OPTION', () => {
  it('SEQ0_255[U256] is a u8 count + elements', () => {
    const a = new Uint8Array(32).fill(1);
    expect(enc(SEQ0_255(U256), [a, a])).toBe(`02${'01'.repeat(64)}`);
    expect(dec(SEQ0_255(U256), '00')).toEqual([]);
  });

  it('SEQ0_64K[U32] is a u16 count + elements', () => {
    expect(enc(SEQ0_64K(U32), [1, 2])).toBe('02000100000002000000');
    expect(dec(SEQ0_64K(U32), '0100ffffffff')).toEqual([0xffffffff]);
    expect(() => enc(SEQ0_255(U8), new Array<number>(256).fill(0))).toThrow(/at most 255 elements/);
  });

  it('a count longer than the data is refused before reading elements', () => {
    const e = decodeFails(SEQ0_64K(U256), `ffff${'00'.repeat(40)}`);
    expect(e.message).toBe('Test.f: 65535 elements of U256 need at least 2097120 bytes, have 40 at offset 0');
  });

  it('element errors name the element index', () => {
    const e = decodeFails(SEQ0_255(STR0_255), '020161' + '01ff');
    expect(e.field).toBe('f[1]');
    expect(e.offset).toBe(4);
  });

  it('OPTION[U32] is 00 or 01 + value; any other count is a DecodeError', () => {
    expect(enc(OPTION(U32), null)).toBe('00');
    expect(enc(OPTION(U32), 0x11223344)).toBe('0144332211');
    expect(dec(OPTION(U32), '00')).toBeNull();
    expect(dec(OPTION(U32), '0144332211')).toBe(0x11223344);
    expect(decodeFails(OPTION(U32), '0244332211').message).toBe(
      'Test.f: OPTION count must be 0 or 1, got 2 at offset 0',
    );
  });
});

describe('every primitive round-trips its arbitrary values', () => {
  const all: Codec<unknown>[] = [
    U8,
    U16,
    U24,
    U32,
    U64,
    F32,
    BOOL,
    U256,
    PUBKEY,
    SIGNATURE,
    STR0_255,
    B0_32,
    B0_255,
    B0_64K,
    B0_16M,
    SEQ0_255(U256),
    SEQ0_64K(U16),
    OPTION(U32),
    SEQ0_255(OPTION(STR0_255)),
  ];
  it.each(all.map((c) => [c.name, c] as const))('%s', (_name, codec) => {
    fc.assert(
      fc.property(arbitraryFor(codec), (value) => {
        const w = new ByteWriter();
        codec.write(w, value);
        const bytes = w.finish();
        const r = new ByteReader(bytes);
        // The same rule as toEqual, at a fraction of its cost inside a property run.
        expect(sameValue(codec.read(r), value)).toBe(true);
        expect(r.remaining).toBe(0);
        if (codec.fixedSize !== undefined) expect(bytes.length).toBe(codec.fixedSize);
      }),
      { numRuns: 100 },
    );
  });
});
