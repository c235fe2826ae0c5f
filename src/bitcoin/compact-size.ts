/**
 * Bitcoin's CompactSize (the "varint" before counts and scripts): 1, 3, 5 or 9 bytes. Readers
 * refuse non-minimal forms as Bitcoin Core does, so a parsed block re-serialises byte for byte.
 */
import type { ByteReader } from '../bytes/reader.js';
import type { ByteWriter } from '../bytes/writer.js';

export function readCompactSize(reader: ByteReader): number {
  const first = reader.u8();
  if (first < 0xfd) return first;
  const at = reader.offset - 1;
  if (first === 0xfd) {
    const v = reader.u16le();
    if (v < 0xfd) reader.fail(`non-minimal CompactSize ${v}`, at);
    return v;
  }
  if (first === 0xfe) {
    const v = reader.u32le();
    if (v <= 0xffff) reader.fail(`non-minimal CompactSize ${v}`, at);
    return v;
  }
  const v = reader.u64le();
  if (v <= 0xffffffffn) reader.fail(`non-minimal CompactSize ${v}`, at);
  // Nothing in a block can count past 2^53; a bigger size is corrupt input, not a long block.
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) reader.fail(`CompactSize ${v} is beyond any real length`, at);
  return Number(v);
}

export function writeCompactSize(writer: ByteWriter, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0)
    throw new RangeError(`CompactSize needs a count, got ${value}`);
  if (value < 0xfd) writer.u8(value);
  else if (value <= 0xffff) writer.u8(0xfd).u16le(value);
  else if (value <= 0xffffffff) writer.u8(0xfe).u32le(value);
  else writer.u8(0xff).u64le(BigInt(value));
}
