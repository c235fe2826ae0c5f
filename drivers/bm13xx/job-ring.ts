/**
 * Chip job ids <-> work slots (bm13xx.md §7.4; mujina's ChipJobTracker idea). Ids cycle in the
 * order the chip model expects (chips.ts jobId.sequence); reusing an id overwrites its slot, and a
 * clean job retires every earlier slot. A lookup of an unknown or retired id gives undefined: the
 * chain counts that nonce as stale (§13: late nonces for retired ids are normal, not errors).
 */

export class JobRing<T> {
  private readonly ids: readonly number[];
  private readonly slots = new Map<number, T>();
  private cursor = 0;

  constructor(ids: readonly number[]) {
    if (ids.length === 0) throw new RangeError('job ring needs at least one id');
    this.ids = ids;
  }

  /** Take the next id for `item`; with `clean`, every earlier slot is retired first. */
  next(item: T, clean: boolean): number {
    if (clean) this.slots.clear();
    const id = this.ids[this.cursor] ?? 0;
    this.cursor = (this.cursor + 1) % this.ids.length;
    this.slots.set(id, item);
    return id;
  }

  get(id: number): T | undefined {
    return this.slots.get(id);
  }

  /** Retire everything (chip reset, chain closed). */
  clear(): void {
    this.slots.clear();
  }

  get size(): number {
    return this.slots.size;
  }

  get capacity(): number {
    return this.ids.length;
  }
}
