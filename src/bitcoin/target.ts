/**
 * Targets and difficulty, all pure (sv2.md §6.4, bm13xx.md §9 step 4). A target is a 256-bit
 * unsigned integer; on the wire (SV2 U256) and as a hash it is little-endian. Difficulty is
 * diff-1 / target with diff-1 = 0xFFFF·2^208. No byte reversal happens anywhere in here.
 */

/** Difficulty-1 target 0x00000000FFFF0000…0 (sv2.md §6.4). */
export const DIFF1_TARGET: bigint = 0xffffn << 208n;
/** The easiest possible target: every hash meets it. */
export const MAX_TARGET: bigint = (1n << 256n) - 1n;

/** Fixed-point scale for bigint -> float ratios: keeps >= 96 bits of quotient for any 256-bit pair. */
const RATIO_SHIFT = 128n;
const RATIO_SCALE = 2 ** 128;

/** A 32-byte little-endian U256 (wire or hash bytes) as an integer. */
export function leBytesToBigInt(bytes: Uint8Array): bigint {
  if (bytes.length !== 32) throw new RangeError(`U256 needs 32 bytes, got ${bytes.length}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, 32);
  return (
    view.getBigUint64(0, true) |
    (view.getBigUint64(8, true) << 64n) |
    (view.getBigUint64(16, true) << 128n) |
    (view.getBigUint64(24, true) << 192n)
  );
}

/** An integer 0..2^256-1 as 32 little-endian bytes (the SV2 U256 wire form). */
export function bigIntToLeBytes(value: bigint): Uint8Array {
  if (value < 0n || value > MAX_TARGET) throw new RangeError(`U256 out of range: ${value}`);
  const out = new Uint8Array(32);
  const view = new DataView(out.buffer);
  for (let i = 0; i < 4; i++) view.setBigUint64(i * 8, (value >> BigInt(64 * i)) & 0xffffffffffffffffn, true);
  return out;
}

/** Share check rule: H <= T (sv2.md §6.4; SRI's server uses <=). `hash` is sha256d in wire order. */
export function hashMeetsTarget(hash: Uint8Array, target: bigint): boolean {
  return leBytesToBigInt(hash) <= target;
}

/** Difficulty of a target as a float: diff-1 / T. T = 0 gives Infinity. */
export function targetToDifficulty(target: bigint): number {
  if (target < 0n) throw new RangeError(`target must not be negative: ${target}`);
  if (target === 0n) return Number.POSITIVE_INFINITY;
  return Number((DIFF1_TARGET << RATIO_SHIFT) / target) / RATIO_SCALE;
}

/**
 * Difficulty of a hash (diff-1 / H), the figure ESP-Miner and pools print for a share. Computed in
 * floating point (53-bit relative precision, like ESP-Miner's double) because it is on the nonce
 * path and only used for display, accounting and best-share; target checks stay exact bigint.
 */
export function hashToDifficulty(hash: Uint8Array): number {
  if (hash.length !== 32) throw new RangeError(`hash needs 32 bytes, got ${hash.length}`);
  const view = new DataView(hash.buffer, hash.byteOffset, 32);
  let value = 0;
  for (let offset = 28; offset >= 0; offset -= 4) value = value * 2 ** 32 + view.getUint32(offset, true);
  return value === 0 ? Number.POSITIVE_INFINITY : DIFF1_FLOAT / value;
}

const DIFF1_FLOAT = 0xffff * 2 ** 208;

/**
 * Target for a difficulty: floor(diff-1 / diff), clamped to MAX_TARGET (difficulties below
 * 2^-32 all map to it). Fractional difficulties are exact to 2^-64 relative.
 */
export function difficultyToTarget(difficulty: number): bigint {
  if (!(difficulty > 0) || !Number.isFinite(difficulty))
    throw new RangeError(`difficulty must be a positive finite number, got ${difficulty}`);
  const target = Number.isInteger(difficulty)
    ? DIFF1_TARGET / BigInt(difficulty)
    : (DIFF1_TARGET << 64n) / BigInt(Math.round(difficulty * 2 ** 64));
  return target > MAX_TARGET ? MAX_TARGET : target;
}

/**
 * Compact nbits -> target: mantissa nbits & 0x7fffff, exponent nbits >> 24, T = m·256^(e-3)
 * (sv2.md §6.4). A set sign bit (0x00800000) with a non-zero mantissa is a negative target in
 * Bitcoin Core; nothing can meet it, so it maps to 0.
 */
export function nbitsToTarget(nbits: number): bigint {
  const exponent = (nbits >>> 24) & 0xff;
  const mantissa = BigInt(nbits & 0x7fffff);
  if ((nbits & 0x00800000) !== 0 && mantissa !== 0n) return 0n;
  const target =
    exponent <= 3 ? mantissa >> BigInt(8 * (3 - exponent)) : mantissa << BigInt(8 * (exponent - 3));
  return target > MAX_TARGET ? MAX_TARGET : target;
}

/** Target -> compact nbits, rounding down as Bitcoin Core's GetCompact does. */
export function targetToNbits(target: bigint): number {
  if (target < 0n || target > MAX_TARGET) throw new RangeError(`target out of range: ${target}`);
  let size = 0;
  for (let t = target; t > 0n; t >>= 8n) size++;
  let mantissa =
    size <= 3 ? Number(target << BigInt(8 * (3 - size))) : Number(target >> BigInt(8 * (size - 3)));
  // The top mantissa bit is the sign; shift one byte right instead of producing a negative value.
  if ((mantissa & 0x00800000) !== 0) {
    mantissa >>>= 8;
    size++;
  }
  return ((size << 24) | mantissa) >>> 0;
}

/**
 * The target a BM13xx chip's ticket mask enforces: "at least 32 + N leading zero bits" with
 * D = 2^N the ticket difficulty rounded down to a power of two (bm13xx.md §4.3, §13), i.e.
 * H <= 2^(224-N) - 1. This is slightly easier than difficultyToTarget(D) (0xFFFF vs 0x10000
 * mantissa), so a nonce the chip rightly reported is never called a hardware error.
 * `relaxShift` k widens it by 2^k for simulated boards (see boards/types.ts SimParams).
 */
export function ticketTarget(chipDifficulty: number, relaxShift = 0): bigint {
  if (!Number.isInteger(relaxShift) || relaxShift < 0 || relaxShift > 224)
    throw new RangeError(`relax shift must be an integer 0..224, got ${relaxShift}`);
  const zeroBits = ticketZeroBits(chipDifficulty);
  const exponent = Math.min(256, 224 - zeroBits + relaxShift);
  return (1n << BigInt(exponent)) - 1n;
}

/**
 * Mean hashes behind one reported nonce, in difficulty units: 2^(N-k) for ticket D = 2^N relaxed
 * by 2^k. Hashrate estimates weight each accepted chip nonce by this (bm13xx.md §8.4).
 */
export function relaxedTicketDifficulty(chipDifficulty: number, relaxShift = 0): number {
  return 2 ** (ticketZeroBits(chipDifficulty) - relaxShift);
}

/** N = floor(log2(D)), counted exactly (ESP-Miner rounds the ticket difficulty down to 2^N). */
function ticketZeroBits(chipDifficulty: number): number {
  if (!(chipDifficulty >= 1) || !Number.isFinite(chipDifficulty))
    throw new RangeError(`chip difficulty must be >= 1, got ${chipDifficulty}`);
  let bits = 0;
  while (2 ** (bits + 1) <= chipDifficulty) bits++;
  return bits;
}
