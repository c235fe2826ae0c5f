/**
 * Injectable faults of a simulated chain, per chip position: what real boards do to a host
 * (bm13xx.md §2.4 garbage after resets and baud changes, §3 missing chips). Faults act on the
 * chip -> host byte stream, so the host's resync, CRC and chain-count checks are exercised.
 * Randomness is a seeded PRNG so a failing test replays exactly.
 */

export interface ChipFaults {
  /** Probability (0..1) that each reply byte of this chip is lost on the way to the host. */
  readonly dropByteRate?: number | undefined;
  /** Probability (0..1) that each reply byte arrives with one bit flipped. */
  readonly flipByteRate?: number | undefined;
  /** Probability (0..1) that a reply arrives with a wrong CRC5 (last byte's CRC bits changed). */
  readonly badCrcRate?: number | undefined;
  /** The chip relays commands to the chips behind it but never answers nor reports nonces. */
  readonly silent?: boolean | undefined;
  /**
   * The chip hung: like `silent` (no answers, no nonces, commands still relayed), but a reset of
   * the chain (NRST asserted or the core rail lost) brings it back, and the fault is gone. A
   * `silent` chip stays silent through resets: a dead chip.
   */
  readonly hung?: boolean | undefined;
  /** The chip stops reporting nonces after this many (register reads still answer). */
  readonly stopNoncesAfter?: number | undefined;
  /** Every reply of this chip reaches the host this many milliseconds late. */
  readonly replyLatencyMs?: number | undefined;
  /** The position is empty: the chain has one chip fewer than the board says. */
  readonly missing?: boolean | undefined;
}

/** True when the chip neither answers nor reports nonces (dead or hung). */
export function isMute(faults: ChipFaults | undefined): boolean {
  return faults?.silent === true || faults?.hung === true;
}

/** Faults by chip position (0 = nearest the host). */
export type ChainFaults = Readonly<Record<number, ChipFaults>>;

/** mulberry32: small, fast, good enough to decide which byte to spoil. Returns [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The bytes of one reply frame as the host receives them after this chip's line faults. */
export function spoilReply(frame: Uint8Array, faults: ChipFaults, random: () => number): Uint8Array {
  const out = Uint8Array.from(frame);
  const last = out.length - 1;
  if ((faults.badCrcRate ?? 0) > 0 && random() < (faults.badCrcRate ?? 0)) {
    // Change only the CRC5 bits so the frame still looks like a frame of the right type.
    const crc = (out[last] ?? 0) & 0x1f;
    out[last] = ((out[last] ?? 0) & 0xe0) | ((crc + 1 + Math.floor(random() * 30)) % 32);
  }
  const flip = faults.flipByteRate ?? 0;
  if (flip > 0) {
    for (let i = 0; i < out.length; i++) {
      if (random() < flip) out[i] = (out[i] ?? 0) ^ (1 << Math.floor(random() * 8));
    }
  }
  const drop = faults.dropByteRate ?? 0;
  if (drop <= 0) return out;
  return out.filter(() => random() >= drop);
}

/**
 * What a UART at the wrong rate hears: `length` bytes of framing-error noise. Never 0xAA, so the
 * noise cannot fake a reply preamble; a host sees junk, never a valid frame (§2.4).
 */
export function lineNoise(length: number, random: () => number): Uint8Array {
  const out = new Uint8Array(Math.max(0, Math.round(length)));
  for (let i = 0; i < out.length; i++) {
    const b = Math.floor(random() * 255);
    out[i] = b >= 0xaa ? b + 1 : b;
  }
  return out;
}
