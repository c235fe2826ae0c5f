/**
 * The SV2 primitive data types (sv2.md §1, spec 03-Protocol-Overview "Data Types Mapping"): one codec
 * object per type, each with read/write over ByteReader/ByteWriter plus the facts (kind, size, maximum)
 * that the JSON printer and the test arbitraries need. Readers throw DecodeError (via ByteReader.fail);
 * writers throw RangeError for values the type cannot carry. No message knowledge lives here.
 */
import type { ByteReader } from '../bytes/reader.js';
import type { ByteWriter } from '../bytes/writer.js';

type CodecKind =
  | 'U8'
  | 'U16'
  | 'U24'
  | 'U32'
  | 'U64'
  | 'U256'
  | 'BOOL'
  | 'F32'
  | 'STR0_255'
  | 'B0_32'
  | 'B0_255'
  | 'B0_64K'
  | 'B0_16M'
  | 'PUBKEY'
  | 'SIGNATURE'
  | 'SEQ0_255'
  | 'SEQ0_64K'
  | 'OPTION';

/**
 * One wire type. `read`/`write` are declared as methods so a Codec<number> is usable where a
 * Codec<unknown> is expected (field tables hold codecs of mixed types).
 */
export interface Codec<T> {
  readonly kind: CodecKind;
  /** The spec spelling, e.g. `SEQ0_255[U256]`. */
  readonly name: string;
  /** Wire size when every value has the same size; undefined for variable-length types. */
  readonly fixedSize: number | undefined;
  /** Smallest possible wire size (used to reject impossible sequence counts early). */
  readonly minSize: number;
  /** Maximum byte length (B0_*, STR0_255, fixed byte arrays) or element count (SEQ*, OPTION). */
  readonly maxLength: number | undefined;
  /** Element type of SEQ0_255 / SEQ0_64K / OPTION. */
  readonly item: Codec<unknown> | undefined;
  read(r: ByteReader): T;
  write(w: ByteWriter, v: T): void;
}

/** The value type a codec carries. */
export type CodecValue<C> = C extends Codec<infer T> ? T : never;

interface Facts {
  readonly kind: CodecKind;
  readonly name: string;
  readonly fixedSize?: number;
  readonly minSize: number;
  readonly maxLength?: number;
  readonly item?: Codec<unknown>;
}

function codec<T>(facts: Facts, read: (r: ByteReader) => T, write: (w: ByteWriter, v: T) => void): Codec<T> {
  return {
    kind: facts.kind,
    name: facts.name,
    fixedSize: facts.fixedSize,
    minSize: facts.minSize,
    maxLength: facts.maxLength,
    item: facts.item,
    read,
    write,
  };
}

export const U8: Codec<number> = codec(
  { kind: 'U8', name: 'U8', fixedSize: 1, minSize: 1 },
  (r) => r.u8(),
  (w, v) => w.u8(v),
);
export const U16: Codec<number> = codec(
  { kind: 'U16', name: 'U16', fixedSize: 2, minSize: 2 },
  (r) => r.u16le(),
  (w, v) => w.u16le(v),
);
export const U24: Codec<number> = codec(
  { kind: 'U24', name: 'U24', fixedSize: 3, minSize: 3 },
  (r) => r.u24le(),
  (w, v) => w.u24le(v),
);
export const U32: Codec<number> = codec(
  { kind: 'U32', name: 'U32', fixedSize: 4, minSize: 4 },
  (r) => r.u32le(),
  (w, v) => w.u32le(v),
);
/** U64 as bigint: share sums exceed 2^53. */
export const U64: Codec<bigint> = codec(
  { kind: 'U64', name: 'U64', fixedSize: 8, minSize: 8 },
  (r) => r.u64le(),
  (w, v) => {
    if (typeof v !== 'bigint') throw new RangeError(`U64 needs a bigint, got ${typeof v}`);
    w.u64le(v);
  },
);

/** IEEE-754 binary32 LE. Writing a number that is not a float32 rounds it (as f32 casts do in SRI). */
export const F32: Codec<number> = codec(
  { kind: 'F32', name: 'F32', fixedSize: 4, minSize: 4 },
  (r) => r.f32le(),
  (w, v) => {
    if (typeof v !== 'number') throw new RangeError(`F32 needs a number, got ${typeof v}`);
    w.f32le(v);
  },
);

/** sv2.md §1: only bit 0 is meaningful on receive; we always send 00/01 like SRI. */
export const BOOL: Codec<boolean> = codec(
  { kind: 'BOOL', name: 'BOOL', fixedSize: 1, minSize: 1 },
  (r) => (r.u8() & 1) === 1,
  (w, v) => {
    if (typeof v !== 'boolean') throw new RangeError(`BOOL needs a boolean, got ${typeof v}`);
    w.u8(v ? 1 : 0);
  },
);

function fixedBytes(kind: CodecKind, size: number): Codec<Uint8Array> {
  return codec(
    { kind, name: kind, fixedSize: size, minSize: size, maxLength: size },
    (r) => r.take(size),
    (w, v) => {
      if (!(v instanceof Uint8Array) || v.length !== size) {
        throw new RangeError(`${kind} needs exactly ${size} bytes, got ${describeBytes(v)}`);
      }
      w.bytes(v);
    },
  );
}

/** Raw 32 bytes in wire order; a LE integer when compared (sv2.md §1, gotcha 15). Never reversed here. */
export const U256: Codec<Uint8Array> = fixedBytes('U256', 32);
/** x-only secp256k1 key (BIP340). */
export const PUBKEY: Codec<Uint8Array> = fixedBytes('PUBKEY', 32);
/** BIP340 Schnorr signature R.x || s. */
export const SIGNATURE: Codec<Uint8Array> = fixedBytes('SIGNATURE', 64);

type PrefixWidth = 1 | 2 | 3;

function readPrefix(r: ByteReader, width: PrefixWidth): number {
  return width === 1 ? r.u8() : width === 2 ? r.u16le() : r.u24le();
}

function writePrefix(w: ByteWriter, width: PrefixWidth, n: number): void {
  if (width === 1) w.u8(n);
  else if (width === 2) w.u16le(n);
  else w.u24le(n);
}

function lengthPrefixedBytes(kind: CodecKind, width: PrefixWidth, max: number): Codec<Uint8Array> {
  return codec(
    { kind, name: kind, minSize: width, maxLength: max },
    (r) => {
      const at = r.offset;
      const len = readPrefix(r, width);
      // Only B0_32 can announce more than its maximum; SRI rejects rather than truncates (sv2.md §1).
      if (len > max) r.fail(`length ${len} exceeds ${kind} maximum ${max}`, at);
      return r.take(len);
    },
    (w, v) => {
      if (!(v instanceof Uint8Array))
        throw new RangeError(`${kind} needs a Uint8Array, got ${describeBytes(v)}`);
      if (v.length > max) throw new RangeError(`${kind} holds at most ${max} bytes, got ${v.length}`);
      writePrefix(w, width, v.length);
      w.bytes(v);
    },
  );
}

export const B0_32: Codec<Uint8Array> = lengthPrefixedBytes('B0_32', 1, 32);
export const B0_255: Codec<Uint8Array> = lengthPrefixedBytes('B0_255', 1, 255);
export const B0_64K: Codec<Uint8Array> = lengthPrefixedBytes('B0_64K', 2, 0xffff);
export const B0_16M: Codec<Uint8Array> = lengthPrefixedBytes('B0_16M', 3, 0xff_ffff);

const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf8Encoder = new TextEncoder();
const LONE_SURROGATE = /\p{Cs}/u;

/** u8 byte length + UTF-8. Invalid UTF-8 is a DecodeError; a leading BOM is kept, so values round-trip. */
export const STR0_255: Codec<string> = codec(
  { kind: 'STR0_255', name: 'STR0_255', minSize: 1, maxLength: 255 },
  (r) => {
    const len = r.u8();
    const at = r.offset;
    const raw = r.bytesView(len);
    try {
      return utf8Decoder.decode(raw);
    } catch {
      return r.fail(`${len} bytes are not valid UTF-8`, at);
    }
  },
  (w, v) => {
    if (typeof v !== 'string') throw new RangeError(`STR0_255 needs a string, got ${typeof v}`);
    // TextEncoder would silently turn a lone surrogate into U+FFFD; refuse instead of altering the value.
    if (LONE_SURROGATE.test(v)) throw new RangeError('STR0_255 value has a lone UTF-16 surrogate');
    const bytes = utf8Encoder.encode(v);
    if (bytes.length > 255)
      throw new RangeError(`STR0_255 holds at most 255 UTF-8 bytes, got ${bytes.length}`);
    w.u8(bytes.length);
    w.bytes(bytes);
  },
);

function sequence<T>(kind: 'SEQ0_255' | 'SEQ0_64K', item: Codec<T>): Codec<readonly T[]> {
  const width: PrefixWidth = kind === 'SEQ0_255' ? 1 : 2;
  const max = kind === 'SEQ0_255' ? 0xff : 0xffff;
  return codec(
    { kind, name: `${kind}[${item.name}]`, minSize: width, maxLength: max, item },
    (r) => {
      const at = r.offset;
      const count = readPrefix(r, width);
      // Refuse an impossible count before allocating: a 3-byte payload cannot hold 65535 U256s.
      const need = count * item.minSize;
      if (need > r.remaining) {
        r.fail(`${count} elements of ${item.name} need at least ${need} bytes, have ${r.remaining}`, at);
      }
      const base = r.field;
      const out: T[] = new Array<T>(count);
      for (let i = 0; i < count; i++) {
        r.field = `${base}[${i}]`;
        out[i] = item.read(r);
      }
      r.field = base;
      return out;
    },
    (w, v) => {
      if (!Array.isArray(v)) throw new RangeError(`${kind} needs an array, got ${typeof v}`);
      if (v.length > max) throw new RangeError(`${kind} holds at most ${max} elements, got ${v.length}`);
      writePrefix(w, width, v.length);
      for (const element of v) item.write(w, element);
    },
  );
}

export function SEQ0_255<T>(item: Codec<T>): Codec<readonly T[]> {
  return sequence('SEQ0_255', item);
}

export function SEQ0_64K<T>(item: Codec<T>): Codec<readonly T[]> {
  return sequence('SEQ0_64K', item);
}

/** sv2.md §1: a SEQ0_255 limited to 0 or 1 element; `null` is none. Any other count is a DecodeError. */
export function OPTION<T>(item: Codec<T>): Codec<T | null> {
  return codec<T | null>(
    { kind: 'OPTION', name: `OPTION[${item.name}]`, minSize: 1, maxLength: 1, item },
    (r) => {
      const at = r.offset;
      const count = r.u8();
      if (count === 0) return null;
      if (count !== 1) r.fail(`OPTION count must be 0 or 1, got ${count}`, at);
      return item.read(r);
    },
    (w, v) => {
      if (v === null) {
        w.u8(0);
        return;
      }
      w.u8(1);
      item.write(w, v);
    },
  );
}

function describeBytes(v: unknown): string {
  return v instanceof Uint8Array ? `${v.length} bytes` : typeof v;
}
