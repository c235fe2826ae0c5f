/**
 * ByteReader: a cursor over a Uint8Array for little-endian wire formats. Every read checks the
 * bounds and throws a DecodeError naming the message, the field and the offset, so no codec has
 * to repeat that check. `field` is set by the caller before each read.
 */
import { DecodeError } from '../errors.js';

export class ByteReader {
  readonly bytes: Uint8Array;
  offset: number;
  messageName: string;
  field = '?';
  private readonly view: DataView;

  constructor(bytes: Uint8Array, messageName = 'bytes', offset = 0) {
    this.bytes = bytes;
    this.offset = offset;
    this.messageName = messageName;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  fail(problem: string, offset = this.offset): never {
    throw new DecodeError(this.messageName, this.field, offset, problem);
  }

  private need(n: number): number {
    const at = this.offset;
    if (this.remaining < n) this.fail(`need ${n} bytes, have ${this.remaining}`);
    this.offset += n;
    return at;
  }

  u8(): number {
    return this.view.getUint8(this.need(1));
  }
  u16le(): number {
    return this.view.getUint16(this.need(2), true);
  }
  u24le(): number {
    const at = this.need(3);
    return this.view.getUint16(at, true) | (this.view.getUint8(at + 2) << 16);
  }
  u32le(): number {
    return this.view.getUint32(this.need(4), true);
  }
  u64le(): bigint {
    return this.view.getBigUint64(this.need(8), true);
  }
  f32le(): number {
    return this.view.getFloat32(this.need(4), true);
  }
  /** A view (not a copy) of the next n bytes. */
  bytesView(n: number): Uint8Array {
    const at = this.need(n);
    return this.bytes.subarray(at, at + n);
  }
  /** A copy of the next n bytes, safe to keep after the source buffer is reused. */
  take(n: number): Uint8Array {
    return this.bytesView(n).slice();
  }
}
