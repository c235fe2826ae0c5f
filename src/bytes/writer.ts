/**
 * ByteWriter: a growable little-endian writer, the mirror of ByteReader. It range-checks every
 * value so an encoder can never silently truncate a number.
 */

export class ByteWriter {
  private buf: Uint8Array;
  private view: DataView;
  length = 0;

  constructor(initialCapacity = 64) {
    this.buf = new Uint8Array(initialCapacity);
    this.view = new DataView(this.buf.buffer);
  }

  private reserve(n: number): number {
    const at = this.length;
    const needed = at + n;
    if (needed > this.buf.length) {
      const grown = new Uint8Array(Math.max(needed, this.buf.length * 2));
      grown.set(this.buf.subarray(0, at));
      this.buf = grown;
      this.view = new DataView(grown.buffer);
    }
    this.length = needed;
    return at;
  }

  u8(v: number): this {
    checkUint(v, 8);
    const at = this.reserve(1);
    this.view.setUint8(at, v);
    return this;
  }
  u16le(v: number): this {
    checkUint(v, 16);
    const at = this.reserve(2);
    this.view.setUint16(at, v, true);
    return this;
  }
  u24le(v: number): this {
    checkUint(v, 24);
    const at = this.reserve(3);
    this.view.setUint16(at, v & 0xffff, true);
    this.view.setUint8(at + 2, v >>> 16);
    return this;
  }
  u32le(v: number): this {
    checkUint(v, 32);
    const at = this.reserve(4);
    this.view.setUint32(at, v, true);
    return this;
  }
  u64le(v: bigint): this {
    if (v < 0n || v > 0xffff_ffff_ffff_ffffn) throw new RangeError(`value ${v} does not fit in 64 bits`);
    const at = this.reserve(8);
    this.view.setBigUint64(at, v, true);
    return this;
  }
  f32le(v: number): this {
    const at = this.reserve(4);
    this.view.setFloat32(at, v, true);
    return this;
  }
  bytes(b: Uint8Array): this {
    // reserve() first: it may replace this.buf/this.view, which a call receiver would capture too early.
    const at = this.reserve(b.length);
    this.buf.set(b, at);
    return this;
  }

  /** The written bytes (a copy, so the writer may be reused). */
  finish(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

function checkUint(v: number, bits: number): void {
  if (!Number.isInteger(v) || v < 0 || v >= 2 ** bits) {
    throw new RangeError(`value ${v} is not an unsigned ${bits}-bit integer`);
  }
}
