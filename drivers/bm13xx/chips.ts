/**
 * Per-chip facts of the BM13xx family as one table (bm13xx.md §2.3 nonce fields, §3 addressing,
 * §5.2 PLL ranges, §6 baud, §7.4 job ids, §8.1 cores). Every driver line that differs per model
 * reads it from here; nothing else branches on the model name. BM1362 rows are thinner (factory
 * captures only) and marked where inferred.
 */

export type ChipModel = 'BM1397' | 'BM1366' | 'BM1368' | 'BM1370' | 'BM1362';
export type JobFormat = 'full' | 'midstate';

/** One way to run the link faster: the register write the chips need and the host rate to switch to. */
export interface BaudOption {
  readonly hostBaud: number;
  /** What the chip divider actually gives (25 MHz / (8 x (div + 1))), for information. */
  readonly chipBaud: number;
  readonly reg: number;
  readonly value: number;
}

export interface ChipSpec {
  readonly model: ChipModel;
  /** CHIP_ID register bytes 0..1 as a number (0x1370). */
  readonly chipId: number;
  readonly cores: number;
  /** ESP-Miner's "small cores": nominal hashes per clock (§8.1). */
  readonly smallCores: number;
  /** Reply frame length before / after 0xA4 has been written (§2.1); BM1397 is 9 in both. */
  readonly replyLength: { readonly plain: 9; readonly rolling: 9 | 11 };
  /** True when the chip rolls version bits itself (0xA4); false = host midstates (BM1397). */
  readonly inChipVersionRolling: boolean;
  readonly jobFormat: JobFormat;
  readonly jobId: JobIdRule;
  readonly defaultMhz: number;
  readonly maxMhz: number;
  /** FBDIV range of the ESP-Miner PLL search (§5.2). */
  readonly fbDivRange: readonly [number, number];
  /** Post dividers stored minus one (BM1362/66/68/70) or as-is (BM1397), §5.1. */
  readonly postDivMinusOne: boolean;
  /** Does the chip stamp its address into nonce bits 24..17 (§2.3, §12.7)? */
  readonly nonceCarriesAddress: boolean;
  /**
   * Free-running total nonce counter, one count per difficulty-1 nonce (§4.1 0x8C), read for
   * per-chip hashrate where nonces do not name their chip (§12.7); undefined where the sources
   * show none (BM1397 has a hashrate register 0x04 instead; BM1362 unknown).
   */
  readonly nonceCounterReg: number | undefined;
  /** Register writes that raise the link speed (§6), in preference order. */
  readonly baudOptions: readonly BaudOption[];
}

/** Job-id numbering: what the host sends in job byte 0 and how a nonce reply gives it back (§7.4). */
interface JobIdRule {
  /** Wire id bytes the host cycles through, in sending order. */
  readonly sequence: readonly number[];
  /** Result header (reply byte 7) -> the wire id byte the host sent. */
  readonly fromReply: (resultHeader: number) => number;
  /** Result header -> sub-core (BM1366+) or midstate index (BM1397). */
  readonly subcore: (resultHeader: number) => number;
  /** Inverse of the two above, for a simulated chip answering a job. */
  readonly toReply: (wireId: number, subcore: number) => number;
}

/** Ids `step, 2*step, ...` modulo 128 until the sequence wraps back to its start (ESP-Miner). */
function stepSequence(step: number): number[] {
  const ids: number[] = [];
  let id = step % 128;
  do {
    ids.push(id);
    id = (id + step) % 128;
  } while (id !== step % 128);
  return ids;
}

/** BM1397: steps of 4, midstate index in bits 1..0 of the reply (§7.2). */
const JOB_ID_BM1397: JobIdRule = {
  sequence: stepSequence(4),
  fromReply: (rh) => rh & 0xfc,
  subcore: (rh) => rh & 0x03,
  toReply: (id, sub) => (id & 0xfc) | (sub & 0x03),
};

/** BM1366/BM1362: 5-bit id in bits 7..3 both ways, sub-core in bits 2..0 (§2.3). */
const JOB_ID_BM1366: JobIdRule = {
  sequence: stepSequence(8),
  fromReply: (rh) => rh & 0xf8,
  subcore: (rh) => rh & 0x07,
  toReply: (id, sub) => (id & 0xf8) | (sub & 0x07),
};

/** BM1368/BM1370: sent in bits 6..3, returned in bits 7..4; step 24 spreads ids (§7.4, §12.2). */
const JOB_ID_BM1370: JobIdRule = {
  sequence: stepSequence(24),
  fromReply: (rh) => (rh & 0xf0) >> 1,
  subcore: (rh) => rh & 0x0f,
  toReply: (id, sub) => ((id << 1) & 0xf0) | (sub & 0x0f),
};

/** ESP-Miner's fast UART for BM1366/68/70: divider 2 -> 1.0417 Mbaud, host 1 Mbaud (§6, §12.10). */
const BAUD_1M: BaudOption = { hostBaud: 1_000_000, chipBaud: 1_041_667, reg: 0x28, value: 0x11300200 };

export const CHIPS: Readonly<Record<ChipModel, ChipSpec>> = {
  BM1397: {
    model: 'BM1397',
    chipId: 0x1397,
    cores: 168,
    smallCores: 672,
    replyLength: { plain: 9, rolling: 9 },
    inChipVersionRolling: false,
    jobFormat: 'midstate',
    jobId: JOB_ID_BM1397,
    defaultMhz: 425,
    maxMhz: 600,
    fbDivRange: [60, 200],
    postDivMinusOne: false,
    nonceCarriesAddress: true,
    nonceCounterReg: undefined,
    // MISC_CONTROL with BT8D = 0 -> 3.125 Mbaud (§6).
    baudOptions: [{ hostBaud: 3_125_000, chipBaud: 3_125_000, reg: 0x18, value: 0x00006031 }],
  },
  BM1366: {
    model: 'BM1366',
    chipId: 0x1366,
    cores: 112,
    smallCores: 894,
    replyLength: { plain: 9, rolling: 11 },
    inChipVersionRolling: true,
    jobFormat: 'full',
    jobId: JOB_ID_BM1366,
    defaultMhz: 485,
    maxMhz: 575,
    fbDivRange: [144, 235],
    postDivMinusOne: true,
    nonceCarriesAddress: true,
    nonceCounterReg: 0x8c,
    baudOptions: [BAUD_1M],
  },
  BM1368: {
    model: 'BM1368',
    chipId: 0x1368,
    cores: 80,
    smallCores: 1276,
    replyLength: { plain: 9, rolling: 11 },
    inChipVersionRolling: true,
    jobFormat: 'full',
    jobId: JOB_ID_BM1370,
    defaultMhz: 490,
    maxMhz: 575,
    fbDivRange: [144, 235],
    postDivMinusOne: true,
    // ESP-Miner decodes the address like the BM1366; no capture confirms it (inferred).
    nonceCarriesAddress: true,
    nonceCounterReg: 0x8c,
    baudOptions: [BAUD_1M],
  },
  BM1370: {
    model: 'BM1370',
    chipId: 0x1370,
    cores: 128,
    smallCores: 2040,
    replyLength: { plain: 9, rolling: 11 },
    inChipVersionRolling: true,
    jobFormat: 'full',
    jobId: JOB_ID_BM1370,
    defaultMhz: 525,
    maxMhz: 625,
    fbDivRange: [160, 239],
    postDivMinusOne: true,
    // mujina captures: the BM1370 does not stamp its address (§12.7).
    nonceCarriesAddress: false,
    nonceCounterReg: 0x8c,
    baudOptions: [BAUD_1M, { hostBaud: 3_125_000, chipBaud: 3_125_000, reg: 0x28, value: 0x01300000 }],
  },
  BM1362: {
    model: 'BM1362',
    chipId: 0x1362,
    cores: 65,
    // cgminer's figure (§8.1); ESP-Miner has no BM1362.
    smallCores: 512,
    replyLength: { plain: 9, rolling: 11 },
    inChipVersionRolling: true,
    jobFormat: 'full',
    jobId: JOB_ID_BM1366,
    defaultMhz: 525,
    // cgminer GekkoScience A1 range (100-800 MHz).
    maxMhz: 800,
    // Inferred: the BM1366 range; factory firmware uses 16..250 with VCO 2000..3200 MHz.
    fbDivRange: [144, 235],
    postDivMinusOne: true,
    nonceCarriesAddress: true,
    nonceCounterReg: undefined,
    // S19j Pro factory value, divider 0 (§6).
    baudOptions: [{ hostBaud: 3_125_000, chipBaud: 3_125_000, reg: 0x28, value: 0x11300000 }],
  },
};

export const CHIP_MODELS: readonly ChipModel[] = ['BM1397', 'BM1366', 'BM1368', 'BM1370', 'BM1362'];

/** Default link rate out of reset: 25 MHz / (8 x 27) ~ 115,740 baud; hosts open at 115200 (§1.1). */
export const RESET_BAUD = 115_200;

export function isChipModel(name: string): name is ChipModel {
  return (CHIP_MODELS as readonly string[]).includes(name);
}

/** Address interval for a chain: floor(256 / chips), ESP-Miner and cgminer (§3 step 5). */
export function addressInterval(chipCount: number): number {
  if (!Number.isInteger(chipCount) || chipCount < 1 || chipCount > 256) {
    throw new RangeError(`chip count ${chipCount} outside 1..256`);
  }
  return Math.floor(256 / chipCount);
}

/** Fields a nonce reply carries in its MSB-first reading (§2.3): core id always, address if stamped. */
export function nonceFields(nonceBe: number): { coreId: number; addressField: number } {
  return { coreId: (nonceBe >>> 25) & 0x7f, addressField: (nonceBe >>> 17) & 0xff };
}

/** Chip index of a nonce, or undefined where the model does not stamp its address. */
export function chipIndexFromNonce(spec: ChipSpec, nonceBe: number, interval: number): number | undefined {
  if (!spec.nonceCarriesAddress) return undefined;
  // Nonce bits 24..18 carry address bits 7..1; bit 17 is a counter bit (bm13xx.md §13), so the
  // address's low bit is unknown. Clearing it and rounding maps an odd address (interval 85:
  // 0x55 reads as 0x54 or 0x55) back to its chip instead of the one below it.
  const evenAddress = nonceFields(nonceBe).addressField & 0xfe;
  return interval >= 2 ? Math.round(evenAddress / interval) : evenAddress;
}
