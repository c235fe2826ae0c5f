/**
 * The simulated chip's hashing engine: a real double SHA-256 search over one chip's share of the
 * (version, nonce) space, built on the one SHA-256 compression (src/bitcoin/sha256-midstate.ts) (bm13xx.md §2.3, §7, §9).
 * Nonce layout (MSB-first reading): core id in 31..25 always; below it either the chip address
 * (bits 7..1 in 24..18, counter in 17..0: BM1362/66/97) or, for chips that do not stamp it (BM1370,
 * §12.7), a scrambled 25-bit counter whose values are dealt out between the chips (nonce-split.ts).
 * It decides nothing about tickets or replies; the caller passes the zero-bit threshold.
 */
import { SHA256_IV, Sha256Compressor, sha256MidstateWords } from '../../src/bitcoin/sha256-midstate.js';
import { LOW25, type NonceSplit, scramble25, unscramble25 } from './nonce-split.js';

/** What one chip searches: a full header it rolls itself (BM1366+) or host midstates (BM1397). */
export type SearchSpace =
  | {
      readonly kind: 'rolling';
      /** 80-byte header; bytes 76..79 (nonce) are ignored. */
      readonly header: Uint8Array;
      /** 0xA4 bits 15..0: header version bits 28..13 the chip may roll (0 = no rolling). */
      readonly versionMask16: number;
      /** Sub-cores per core (8 on BM1366, 16 on BM1368/70): the low version-field bits follow them. */
      readonly subCores: number;
      /** Cores per chip (core id field values 0..cores-1, at most 128). */
      readonly cores: number;
    }
  | {
      readonly kind: 'midstates';
      /** SHA-256 states after header bytes 0..63, one per version the host rolled (1..4). */
      readonly midstates: readonly Uint32Array[];
      /** Header bytes 64..75: last merkle word, ntime, nbits. */
      readonly tail: Uint8Array;
      readonly cores: number;
    };

/** A candidate that met the threshold, with the fields a nonce reply carries. */
export interface Hit {
  /** Header bytes 76..79 as the chip sends them (n0..n3). */
  readonly nonceBytes: Uint8Array;
  /** The same four bytes read MSB-first (ESP-Miner's ntohl reading). */
  readonly nonceBe: number;
  readonly core: number;
  /** Sub-core (rolling chips) or midstate index (BM1397). */
  readonly slot: number;
  /** Rolled 16-bit version field (version bits 28..13); 0 for midstate chips. */
  readonly versionField: number;
  /** Leading zero bits of sha256d(header) read as a little-endian 256-bit integer. */
  readonly zeroBits: number;
}

const MAX_CORES = 128; // 7-bit core id field, bm13xx.md §2.3
const ADDRESS_COUNTER_SPAN = 1 << 18; // bits 17..0; address bit 0 is not stamped, so 2^18 per core
/** Deposits the low bits of `seq` into the set bits of `mask` (lowest first), like x86 PDEP. */
export function depositBits(seq: number, mask: number): number {
  let out = 0;
  let s = seq;
  for (let bit = 0; bit < 16 && s !== 0; bit++) {
    if ((mask >>> bit) & 1) {
      if (s & 1) out |= 1 << bit;
      s >>>= 1;
    }
  }
  return out;
}

/** Header version with the rolled field merged under the mask (mask bits of the job version cleared). */
export function rolledVersion(jobVersion: number, versionMask16: number, field: number): number {
  const mask = (versionMask16 & 0xffff) << 13;
  return ((jobVersion & ~mask) | ((field << 13) & mask)) >>> 0;
}

/**
 * Walks one chip's candidates in a fixed order: slot fastest (so replies show varying sub-cores),
 * then core, then counter, then version batch. `run()` does a bounded slice so callers can yield.
 */
export class NonceSearch {
  readonly total: number;
  private cursor = 0;
  private readonly slots: number;
  private readonly cores: number;
  /** Candidates per slot and version batch: cores x the chip's counter values. */
  private readonly perSlot: number;
  /** Counter values per core: 2^18 (address split) or this chip's share of 2^25 (interleave). */
  private readonly span: number;
  /** Address split: the stamped bits 24..18; interleave: 0. */
  private readonly addrBits: number;
  /** Interleave: sequence number = counter x stride + offset, then scrambled; 0 = address split. */
  private readonly stride: number;
  private readonly offset: number;
  private readonly space: SearchSpace;
  private readonly compressor = new Sha256Compressor();
  private readonly tailBlock = new DataView(new ArrayBuffer(64));
  private readonly secondBlock = new DataView(new ArrayBuffer(64));
  private midstates: readonly Uint32Array[] = [];
  private batch = -1;

  /** `split` as a number is the chip address ({ kind: 'address' }). */
  constructor(space: SearchSpace, split: NonceSplit | number) {
    const s: NonceSplit = typeof split === 'number' ? { kind: 'address', address: split } : split;
    this.space = space;
    this.cores = Math.max(1, Math.min(MAX_CORES, Math.floor(space.cores)));
    if (s.kind === 'address') {
      this.addrBits = ((s.address & 0xff) >>> 1) << 18; // bits 24..18 = address bits 7..1 (§13)
      this.stride = 0;
      this.offset = 0;
      this.span = ADDRESS_COUNTER_SPAN;
    } else {
      if (!Number.isInteger(s.count) || s.count < 1 || s.count > 256)
        throw new RangeError(`chip count must be 1..256, got ${s.count}`);
      if (!Number.isInteger(s.index) || s.index < 0 || s.index >= s.count)
        throw new RangeError(`chip index must be 0..${s.count - 1}, got ${s.index}`);
      this.addrBits = 0;
      this.stride = s.count;
      this.offset = s.index;
      this.span = Math.floor((LOW25 - s.index) / s.count) + 1; // sequence numbers index + k*count <= LOW25
    }
    this.perSlot = this.cores * this.span;
    if (space.kind === 'rolling') {
      if (space.header.length !== 80)
        throw new RangeError(`header must be 80 bytes, got ${space.header.length}`);
      const versions = 2 ** popcount16(space.versionMask16);
      this.slots = Math.min(space.subCores, versions);
      this.total = versions * this.perSlot;
      new Uint8Array(this.tailBlock.buffer).set(space.header.subarray(64, 76), 0);
    } else {
      if (space.tail.length !== 12) throw new RangeError(`tail must be 12 bytes, got ${space.tail.length}`);
      this.slots = space.midstates.length;
      this.total = this.slots * this.perSlot;
      this.midstates = space.midstates;
      new Uint8Array(this.tailBlock.buffer).set(space.tail, 0);
    }
    // SHA-256 padding of an 80-byte message (second block) and of a 32-byte digest (FIPS 180-4 §5.1.1).
    this.tailBlock.setUint32(16, 0x80000000);
    this.tailBlock.setUint32(60, 80 * 8);
    this.secondBlock.setUint32(32, 0x80000000);
    this.secondBlock.setUint32(60, 32 * 8);
  }

  /** Moves the cursor (tests use it to land on a captured nonce; a chip always starts at 0). */
  seek(index: number): void {
    this.cursor = Math.min(this.total, Math.max(0, Math.floor(index)));
  }

  get done(): number {
    return this.cursor;
  }

  get exhausted(): boolean {
    return this.cursor >= this.total;
  }

  /** Hashes up to `count` candidates; calls onHit for each with at least `minZeroBits`. Returns hashes done. */
  run(count: number, minZeroBits: number, onHit: (hit: Hit) => void): number {
    const end = Math.min(this.total, this.cursor + Math.max(0, Math.floor(count)));
    const start = this.cursor;
    const { compressor, tailBlock, secondBlock, slots, cores, perSlot, addrBits, stride, offset } = this;
    for (let i = start; i < end; i++) {
      const slot = i % slots;
      const rest = (i - slot) / slots;
      const batch = Math.floor(rest / perSlot);
      if (batch !== this.batch) this.enterBatch(batch);
      const inBatch = rest - batch * perSlot;
      const core = inBatch % cores;
      const counter = (inBatch - core) / cores;
      const low = stride === 0 ? addrBits | counter : scramble25(counter * stride + offset);
      const nonceBe = ((core << 25) | low) >>> 0;
      tailBlock.setUint32(12, nonceBe); // n0..n3 = MSB-first reading, bm13xx.md §2.3
      const h1 = compressor.compress(this.midstates[slot] ?? SHA256_IV, tailBlock);
      for (let w = 0; w < 8; w++) secondBlock.setUint32(w * 4, h1[w] ?? 0);
      const h2 = compressor.compress(SHA256_IV, secondBlock);
      const zeroBits = leadingZeroBitsLE(h2);
      if (zeroBits >= minZeroBits) {
        const nonceBytes = new Uint8Array(4);
        new DataView(nonceBytes.buffer).setUint32(0, nonceBe);
        onHit({ nonceBytes, nonceBe, core, slot, versionField: this.fieldOf(batch, slot), zeroBits });
      }
    }
    this.cursor = end;
    return end - start;
  }

  /**
   * Where this chip's search reaches a candidate, or undefined if the candidate is not in its share
   * (another chip's, or outside the space). Inverse of the order `run()` walks; tests seek with it.
   */
  indexOf(candidate: Pick<Hit, 'nonceBe' | 'slot' | 'versionField'>): number | undefined {
    const { nonceBe, slot } = candidate;
    const core = nonceBe >>> 25;
    const low = nonceBe & LOW25;
    if (core >= this.cores || !Number.isInteger(slot) || slot < 0 || slot >= this.slots) return undefined;
    let batch = 0;
    if (this.space.kind === 'rolling') {
      const field = candidate.versionField;
      const mask = this.space.versionMask16 & 0xffff;
      if (!Number.isInteger(field) || field < 0 || (field & ~mask) !== 0) return undefined;
      const seq = extractBits(field, mask);
      if (seq % this.slots !== slot) return undefined;
      batch = (seq - slot) / this.slots;
    } else if (candidate.versionField !== 0) return undefined;
    let counter: number;
    if (this.stride === 0) {
      if ((low & ~(ADDRESS_COUNTER_SPAN - 1)) !== this.addrBits) return undefined;
      counter = low & (ADDRESS_COUNTER_SPAN - 1);
    } else {
      const seq = unscramble25(low);
      if (seq % this.stride !== this.offset) return undefined;
      counter = (seq - this.offset) / this.stride;
    }
    const index = (batch * this.perSlot + counter * this.cores + core) * this.slots + slot;
    return index < this.total ? index : undefined;
  }

  /** Midstates for every slot of a version batch: one compression each, once per cores x span candidates per slot. */
  private enterBatch(batch: number): void {
    this.batch = batch;
    const space = this.space;
    if (space.kind !== 'rolling') return;
    const header = Uint8Array.from(space.header);
    const view = new DataView(header.buffer);
    const jobVersion = view.getUint32(0, true);
    const states: Uint32Array[] = [];
    for (let slot = 0; slot < this.slots; slot++) {
      view.setUint32(0, rolledVersion(jobVersion, space.versionMask16, this.fieldOf(batch, slot)), true);
      states.push(sha256MidstateWords(header));
    }
    this.midstates = states;
  }

  private fieldOf(batch: number, slot: number): number {
    if (this.space.kind !== 'rolling') return 0;
    return depositBits(batch * this.slots + slot, this.space.versionMask16);
  }
}

/** Leading zero bits of a digest (state words, big-endian serialised) read as a LE integer. */
function leadingZeroBitsLE(h: Uint32Array): number {
  let bits = 0;
  for (let w = 7; w >= 0; w--) {
    const x = h[w] ?? 0;
    if (x !== 0) {
      const swapped = ((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24);
      return bits + Math.clz32(swapped);
    }
    bits += 32;
  }
  return bits;
}

/** Inverse of depositBits: gathers the bits of `value` under `mask` into the low bits (x86 PEXT). */
function extractBits(value: number, mask: number): number {
  let out = 0;
  let k = 0;
  for (let bit = 0; bit < 16; bit++) {
    if ((mask >>> bit) & 1) {
      if ((value >>> bit) & 1) out |= 1 << k;
      k++;
    }
  }
  return out;
}

function popcount16(x: number): number {
  let n = 0;
  for (let v = x & 0xffff; v !== 0; v &= v - 1) n++;
  return n;
}
