/**
 * How simulated chips on one chain split a job's nonce space (bm13xx.md §2.3, §3, §4.1, §12.7):
 * by the address stamped into the nonce (BM1362/66/68/97, per CHIPS.nonceCarriesAddress) or, for chips that do not stamp it
 * (BM1370), by a strided share of a scrambled 25-bit counter. Used by sim-hasher.ts.
 */
import type { ChipSpec } from '../bm13xx/chips.js';

/**
 * How chips on one chain keep out of each other's way on the same job.
 * - 'address': the chip stamps address bits 7..1 into nonce bits 24..18 and sweeps 2^18 counter
 *   values below them (BM1362/66 captures, ESP-Miner's BM1397 decode; bm13xx.md §2.3, §13).
 * - 'interleave': chips that do not stamp their address (BM1370, §2.3 and §12.7). Silicon splits
 *   the space with CHIP_NONCE_OFFSET (0x0C), whose semantics no source documents beyond "bit 31
 *   enable, a core's sweep starts at offset << 9" (§4.1); ESP-Miner never writes it. The sim
 *   instead deals the 25 bits under the core id out by stride: chip `index` of `count` takes
 *   sequence numbers index, index + count, ... and each goes through scramble25. Disjoint residues
 *   through a bijection never collide, and the scramble stands in for a real chip's speed: silicon
 *   covers its whole range in milliseconds, so its replies' bits 24..0 look uniform; a counting sim
 *   would leave bits 24..17 at zero for hours, which is an address field in all but name.
 */
export type NonceSplit =
  | { readonly kind: 'address'; readonly address: number }
  | { readonly kind: 'interleave'; readonly index: number; readonly count: number };

/** Nonce bits under the 7-bit core id. */
export const LOW25 = (1 << 25) - 1;
// Odd multiplier near 2^25 / golden ratio: consecutive sequence numbers land far apart (a Weyl
// sequence), so the high counter bits change on every step.
const SCRAMBLE_MUL = 0x013c6ef3;
const SCRAMBLE_MUL_INV = inverseMod2e25(SCRAMBLE_MUL);
const SCRAMBLE_SHIFT = 13; // >= 25 / 2, so the xorshift is its own inverse on 25 bits

/** A bijection on 25-bit values: odd multiply (mod 2^25), then fold the high bits into the low. */
export function scramble25(x: number): number {
  const y = Math.imul(x & LOW25, SCRAMBLE_MUL) & LOW25;
  return (y ^ (y >>> SCRAMBLE_SHIFT)) >>> 0;
}

/** Inverse of scramble25. */
export function unscramble25(x: number): number {
  const y = (x & LOW25) ^ ((x & LOW25) >>> SCRAMBLE_SHIFT);
  return (Math.imul(y, SCRAMBLE_MUL_INV) & LOW25) >>> 0;
}

/** Multiplicative inverse of an odd number modulo 2^25 (Newton's iteration doubles the good bits). */
function inverseMod2e25(a: number): number {
  let inv = a; // a * a = 1 mod 8 for odd a: 3 good bits
  for (let i = 0; i < 4; i++) inv = Math.imul(inv, 2 - Math.imul(a, inv));
  return inv & LOW25;
}

/**
 * The split a chip of this model uses, from the driver's CHIPS table so driver and sim agree on
 * which models stamp their address (`nonceCarriesAddress`). `index`/`count`: the chip's place
 * among the chips present on the chain.
 */
export function splitFor(spec: ChipSpec, address: number, index: number, count: number): NonceSplit {
  return spec.nonceCarriesAddress ? { kind: 'address', address } : { kind: 'interleave', index, count };
}
