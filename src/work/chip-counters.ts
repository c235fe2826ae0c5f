/**
 * Per-chip work from the chips' own nonce counters (bm13xx.md §4.1 register 0x8C, §12.7). Where
 * nonces do not say which chip found them (multi-chip BM1370 chains), successive readings of each
 * chip's free-running counter tell how many difficulty-1 nonces it found in between; each stands
 * for 2^32 hashes, or 2^(32-k) on a simulated board whose targets are relaxed by 2^k. The result
 * is a hashrate weight in the units of HashrateTracker (multiples of 2^32 hashes).
 */
import type { ChipCounterReading } from '../../drivers/types.js';

interface ChipWeight {
  readonly chipIndex: number;
  readonly weight: number;
}

export class NonceCounterDeltas {
  /** Difficulty-1 nonces one count stands for: 1 on silicon, 2^-k on a relaxed sim board. */
  readonly weightPerCount: number;
  private readonly last = new Map<string, number>();

  /** `relaxationShift` k: a counted nonce is worth 2^-k of a difficulty-1 nonce (sim boards). */
  constructor(relaxationShift = 0) {
    this.weightPerCount = 2 ** -relaxationShift;
  }

  /**
   * The work each chip of `chain` did since its previous reading. A first reading only sets the
   * baseline; a counter that went down was reset with the chip (power cycle, NRST), so it becomes
   * the new baseline rather than a wrap: at 1 TH/s the u32 of difficulty-1 nonces wraps after
   * centuries.
   */
  update(chain: number, readings: readonly ChipCounterReading[]): ChipWeight[] {
    const out: ChipWeight[] = [];
    for (const r of readings) {
      const key = `${chain}:${r.chipIndex}`;
      const previous = this.last.get(key);
      this.last.set(key, r.count);
      if (previous === undefined || r.count < previous) continue;
      const delta = r.count - previous;
      if (delta > 0) out.push({ chipIndex: r.chipIndex, weight: delta * this.weightPerCount });
    }
    return out;
  }
}
