/**
 * What a Bm13xxChain is built from, and the checks that refuse a board configuration the chip
 * model cannot run (a baud with no register value, bm13xx.md §6; a frequency above the model's
 * range, §8.1; a chip count outside 1..256, §3) before any byte is sent.
 */
import { ConfigError } from '../../src/errors.js';
import type { Logger } from '../../src/log.js';
import type { ByteLink } from '../transport/uart-link.js';
import { addressInterval, type BaudOption, type ChipModel, type ChipSpec, RESET_BAUD } from './chips.js';

export interface ChainTiming {
  /** Idle time that ends chip-id counting (ESP-Miner: 1 s). */
  readonly enumerateIdleMs: number;
  /** Pause per ramp step (ESP-Miner: 100 ms). */
  readonly rampStepMs: number;
  /** Gap between BM1397 PLL writes (ESP-Miner: 10 ms). */
  readonly pllWriteGapMs: number;
  /** BM1368 per-chip pause (ESP-Miner: 500 ms). */
  readonly perChipPauseMs: number;
  /** BM1397 wait before chain inactive (ESP-Miner: 20 ms). */
  readonly bm1397AddressDelayMs: number;
  /** After the baud write has drained, before the host switches (USB bridges need a little). */
  readonly baudSettleMs: number;
  /** How long a register read waits for answers after the last one. */
  readonly readIdleMs: number;
}

export const DEFAULT_TIMING: ChainTiming = {
  enumerateIdleMs: 1000,
  rampStepMs: 100,
  pllWriteGapMs: 10,
  perChipPauseMs: 500,
  bm1397AddressDelayMs: 20,
  baudSettleMs: 10,
  readIdleMs: 100,
};

export interface Bm13xxChainOptions {
  readonly index: number;
  readonly model: ChipModel;
  readonly expectedChipCount: number;
  readonly link: ByteLink;
  /** The board's reset pulse (NRST low, release, settle), injected from boards/ + drivers/peripherals. */
  readonly reset: () => Promise<void>;
  /** Holds the chips in reset on close; optional (a board without the line just closes the port). */
  readonly stop?: () => Promise<void>;
  readonly frequencyMhz: number;
  /** Chip-side difficulty for the ticket mask (rounded down to a power of two, §4.3). */
  readonly chipDifficulty: number;
  /** Host baud to run at after init: 115200 (stay) or one of the model's baud options. */
  readonly workingBaud: number;
  readonly logger?: Logger;
  readonly timing?: Partial<ChainTiming>;
  /** Monotonic clock in ms (NonceResult.receivedAt); performance.now by default. */
  readonly now?: () => number;
}

/** Validates the options against the model; returns the baud option to switch to (none = stay). */
export function checkChainOptions(options: Bm13xxChainOptions, spec: ChipSpec): BaudOption | undefined {
  const where = `chains[${options.index}]`;
  if (
    !Number.isInteger(options.expectedChipCount) ||
    options.expectedChipCount < 1 ||
    options.expectedChipCount > 256
  ) {
    throw new ConfigError(`${where}.chipCount`, 'an integer 1..256', String(options.expectedChipCount));
  }
  addressInterval(options.expectedChipCount);
  if (!(options.frequencyMhz > 0 && options.frequencyMhz <= spec.maxMhz)) {
    throw new ConfigError(`${where}.frequency`, `1..${spec.maxMhz} MHz`, String(options.frequencyMhz));
  }
  if (options.workingBaud === RESET_BAUD) return undefined;
  const option = spec.baudOptions.find((b) => b.hostBaud === options.workingBaud);
  if (option === undefined) {
    const ok = [RESET_BAUD, ...spec.baudOptions.map((b) => b.hostBaud)].join(', ');
    throw new ConfigError(`${where}.baud`, `one of ${ok} for ${spec.model}`, String(options.workingBaud));
  }
  return option;
}
