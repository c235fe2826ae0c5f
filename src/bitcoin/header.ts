/**
 * The 80-byte block header and its double SHA-256 (sv2.md §6.3): version u32 LE | prev_hash 32 |
 * merkle_root 32 | ntime u32 LE | nbits u32 LE | nonce u32 LE, hashes exactly as on the SV2 wire
 * (no reversal). HeaderHasher is the hot path: one reused buffer, template bytes copied only
 * when the work item changes. Chip-specific forms (midstates, word swaps) belong to drivers/.
 */
import { sha256d } from './sha256d.js';

export const HEADER_LENGTH = 80;

interface HeaderFields {
  readonly version: number;
  readonly prevHash: Uint8Array;
  readonly merkleRoot: Uint8Array;
  readonly ntime: number;
  readonly nbits: number;
  readonly nonce: number;
}

/** Writes the header into `out` (a fresh 80-byte array by default) and returns it. */
export function buildHeader(
  fields: HeaderFields,
  out: Uint8Array = new Uint8Array(HEADER_LENGTH),
): Uint8Array {
  if (out.length < HEADER_LENGTH) throw new RangeError(`header buffer needs 80 bytes, got ${out.length}`);
  checkHash('prevHash', fields.prevHash);
  checkHash('merkleRoot', fields.merkleRoot);
  const view = new DataView(out.buffer, out.byteOffset, HEADER_LENGTH);
  view.setUint32(0, fields.version >>> 0, true);
  out.set(fields.prevHash, 4);
  out.set(fields.merkleRoot, 36);
  view.setUint32(68, fields.ntime >>> 0, true);
  view.setUint32(72, fields.nbits >>> 0, true);
  view.setUint32(76, fields.nonce >>> 0, true);
  return out;
}

/** The fields of 80 header bytes (the hashes copied out). */
export function parseHeader(header: Uint8Array): HeaderFields {
  if (header.length !== HEADER_LENGTH) throw new RangeError(`header needs 80 bytes, got ${header.length}`);
  const view = new DataView(header.buffer, header.byteOffset, HEADER_LENGTH);
  return {
    version: view.getUint32(0, true),
    prevHash: header.slice(4, 36),
    merkleRoot: header.slice(36, 68),
    ntime: view.getUint32(68, true),
    nbits: view.getUint32(72, true),
    nonce: view.getUint32(76, true),
  };
}

/** Template part of a header: everything but version and nonce. ChipWork satisfies it. */
interface HeaderTemplate {
  readonly prevHash: Uint8Array;
  readonly merkleRoot: Uint8Array;
  readonly ntime: number;
  readonly nbits: number;
}

/**
 * Reuses one 80-byte buffer. Consecutive nonces on the same template object rewrite only the
 * version and nonce words, which is the common case (a chip returns many nonces per work item).
 */
export class HeaderHasher {
  readonly header = new Uint8Array(HEADER_LENGTH);
  private readonly view = new DataView(this.header.buffer);
  private template: HeaderTemplate | undefined;

  /** sha256d of the header for (template, version, nonce). The returned hash is a new array. */
  hash(template: HeaderTemplate, version: number, nonce: number): Uint8Array {
    if (template !== this.template) {
      checkHash('prevHash', template.prevHash);
      checkHash('merkleRoot', template.merkleRoot);
      this.header.set(template.prevHash, 4);
      this.header.set(template.merkleRoot, 36);
      this.view.setUint32(68, template.ntime >>> 0, true);
      this.view.setUint32(72, template.nbits >>> 0, true);
      this.template = template;
    }
    this.view.setUint32(0, version >>> 0, true);
    this.view.setUint32(76, nonce >>> 0, true);
    return sha256d(this.header);
  }
}

function checkHash(name: string, bytes: Uint8Array): void {
  if (bytes.length !== 32) throw new RangeError(`${name} needs 32 bytes, got ${bytes.length}`);
}
