/**
 * Extranonce prefix allocation for one pool (sv2.md §5.2, §6.9). The pool's coinbase carries an
 * extranonce space of `space` bytes. Every prefix starts with a 4-byte tag and a 4-byte serial
 * that no other channel of this allocator gets, so no two channels can ever build the same
 * coinbase. A standard channel's prefix is just those 8 bytes (its miner rolls no extranonce;
 * the pool zero-fills the rest of the space, standard.ts); an extended channel's prefix is
 * zero-padded so that exactly the min_extranonce_size it asked for is left to the downstream.
 */
import { MAX_EXTRANONCE_BYTES } from './limits.js';

const TAG = Uint8Array.of(0x73, 0x76, 0x32, 0x6d); // "sv2m"
/** Tag + serial: the part of every prefix that makes it unique. */
const UNIQUE_PREFIX_BYTES = 8;

type ExtendedAllocation =
  | { readonly ok: true; readonly prefix: Uint8Array; readonly extranonceSize: number }
  | { readonly ok: false; readonly code: 'min-extranonce-size-too-large'; readonly detail: string };

export class ExtranonceAllocator {
  readonly space: number;
  private serial = 0;

  constructor(space: number) {
    if (!Number.isInteger(space) || space < UNIQUE_PREFIX_BYTES || space > MAX_EXTRANONCE_BYTES)
      throw new RangeError(
        `extranonce space must be ${UNIQUE_PREFIX_BYTES}..${MAX_EXTRANONCE_BYTES} bytes, got ${space}`,
      );
    this.space = space;
  }

  /** Most bytes an extended channel can be given to roll. */
  get maxExtendedSize(): number {
    return this.space - UNIQUE_PREFIX_BYTES;
  }

  /** The unique 8 bytes alone (standard channels). */
  standard(): Uint8Array {
    return this.prefix(UNIQUE_PREFIX_BYTES);
  }

  /** A prefix leaving `minExtranonceSize` bytes to the downstream, or the spec's refusal. */
  extended(minExtranonceSize: number): ExtendedAllocation {
    if (minExtranonceSize > this.maxExtendedSize)
      return {
        ok: false,
        code: 'min-extranonce-size-too-large',
        detail: `asked for ${minExtranonceSize} extranonce bytes, this pool gives at most ${this.maxExtendedSize}`,
      };
    return {
      ok: true,
      prefix: this.prefix(this.space - minExtranonceSize),
      extranonceSize: minExtranonceSize,
    };
  }

  /** A fresh prefix of `length` bytes (SetExtranoncePrefix keeps the channel's extranonce size). */
  prefix(length: number): Uint8Array {
    if (length < UNIQUE_PREFIX_BYTES || length > this.space)
      throw new RangeError(
        `extranonce prefix must be ${UNIQUE_PREFIX_BYTES}..${this.space} bytes, got ${length}`,
      );
    // 2^32 prefixes per pool process; a wrap would only repeat a long-closed channel's prefix.
    this.serial = (this.serial + 1) >>> 0;
    const out = new Uint8Array(length);
    out.set(TAG);
    new DataView(out.buffer).setUint32(4, this.serial, false);
    return out;
  }
}
