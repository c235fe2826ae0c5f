/**
 * Hashrate estimates from accepted chip nonces: every nonce a chip reports stands for on average
 * weight x 2^32 hashes, weight = its (possibly relaxed) ticket difficulty (bm13xx.md §8.4), so
 * hashrate = Σ weight x 2^32 / window. Windows 5 s, 1 min, 10 min, 1 h, per chip, chain and rig.
 * Early in a session a window longer than the uptime divides by the uptime instead.
 */

export const HASHRATE_WINDOWS = { '5s': 5_000, '1m': 60_000, '10m': 600_000, '1h': 3_600_000 } as const;
export type HashrateWindow = keyof typeof HASHRATE_WINDOWS;
export type HashrateRates = Readonly<Record<HashrateWindow, number>>;

const BUCKET_MS = 1_000;
const BUCKETS = HASHRATE_WINDOWS['1h'] / BUCKET_MS + 1;

/**
 * Σ weight over time in 1 s buckets (a ring covering one hour). The oldest bucket of a window is
 * counted pro rata, so a 5 s window is not off by a whole second's nonces.
 */
export class HashMeter {
  private readonly sums = new Float64Array(BUCKETS);
  private readonly stamps = new Float64Array(BUCKETS).fill(-1);
  private readonly startedAt: number;

  constructor(startedAt: number) {
    this.startedAt = startedAt;
  }

  record(weight: number, at: number): void {
    const bucket = Math.floor(at / BUCKET_MS);
    const slot = bucket % BUCKETS;
    if (this.stamps[slot] !== bucket) {
      this.stamps[slot] = bucket;
      this.sums[slot] = 0;
    }
    this.sums[slot] = (this.sums[slot] ?? 0) + weight;
  }

  /** Hashes per second over the last `windowMs` ending at `now`. */
  rate(windowMs: number, now: number): number {
    const span = Math.min(windowMs, now - this.startedAt);
    if (span <= 0) return 0;
    const from = now - span;
    let total = 0;
    const first = Math.floor(from / BUCKET_MS);
    const last = Math.floor(now / BUCKET_MS);
    for (let bucket = Math.max(first, last - BUCKETS + 1); bucket <= last; bucket++) {
      const slot = bucket % BUCKETS;
      if (this.stamps[slot] !== bucket) continue;
      const sum = this.sums[slot] ?? 0;
      // The boundary bucket is only partly inside the window.
      total += bucket === first ? (sum * ((bucket + 1) * BUCKET_MS - from)) / BUCKET_MS : sum;
    }
    return (total * 2 ** 32) / (span / 1000);
  }

  rates(now: number): HashrateRates {
    return {
      '5s': this.rate(HASHRATE_WINDOWS['5s'], now),
      '1m': this.rate(HASHRATE_WINDOWS['1m'], now),
      '10m': this.rate(HASHRATE_WINDOWS['10m'], now),
      '1h': this.rate(HASHRATE_WINDOWS['1h'], now),
    };
  }
}

interface HashrateSnapshot {
  readonly rig: HashrateRates;
  readonly chains: readonly {
    readonly chain: number;
    readonly rates: HashrateRates;
    readonly chips: readonly { readonly chip: number; readonly rates: HashrateRates }[];
  }[];
}

/**
 * Meters for the rig, each chain and each chip. A chip's meter is fed by its nonces where they name
 * the chip, or by its own nonce counter (recordChip) where they do not.
 */
export class HashrateTracker {
  /** Clock ms the meters started: rates divide by the time since then until a window is full. */
  readonly startedAt: number;
  private readonly rig: HashMeter;
  private readonly chains = new Map<number, { meter: HashMeter; chips: Map<number, HashMeter> }>();

  constructor(startedAt: number) {
    this.startedAt = startedAt;
    this.rig = new HashMeter(startedAt);
  }

  /** One accepted chip nonce (dispatcher ChipNonceEvent fields). */
  record(event: { chain: number; chipIndex: number | undefined; weight: number; at: number }): void {
    this.rig.record(event.weight, event.at);
    this.chainMeters(event.chain).meter.record(event.weight, event.at);
    if (event.chipIndex !== undefined)
      this.chipMeter(event.chain, event.chipIndex).record(event.weight, event.at);
  }

  /**
   * Work a chip did as its own counter tells (chip-counters.ts), for chains whose nonces do not
   * name their chip: only the chip meter, since the chain and rig count that work through its nonces.
   */
  recordChip(event: { chain: number; chipIndex: number; weight: number; at: number }): void {
    this.chipMeter(event.chain, event.chipIndex).record(event.weight, event.at);
  }

  private chainMeters(index: number): { meter: HashMeter; chips: Map<number, HashMeter> } {
    let chain = this.chains.get(index);
    if (chain === undefined) {
      chain = { meter: new HashMeter(this.startedAt), chips: new Map() };
      this.chains.set(index, chain);
    }
    return chain;
  }

  private chipMeter(chainIndex: number, chipIndex: number): HashMeter {
    const chips = this.chainMeters(chainIndex).chips;
    let chip = chips.get(chipIndex);
    if (chip === undefined) {
      chip = new HashMeter(this.startedAt);
      chips.set(chipIndex, chip);
    }
    return chip;
  }

  rigRate(window: HashrateWindow, now: number): number {
    return this.rig.rate(HASHRATE_WINDOWS[window], now);
  }

  snapshot(now: number): HashrateSnapshot {
    const chains = [...this.chains.entries()]
      .sort(([a], [b]) => a - b)
      .map(([chain, c]) => ({
        chain,
        rates: c.meter.rates(now),
        chips: [...c.chips.entries()]
          .sort(([a], [b]) => a - b)
          .map(([chip, meter]) => ({ chip, rates: meter.rates(now) })),
      }));
    return { rig: this.rig.rates(now), chains };
  }
}
