/**
 * The seam between the work pipeline (src/work) and a hash chain. A chain takes header templates
 * (ChipWork) and gives back nonces (NonceResult). It knows nothing of pools, channels or shares;
 * the pipeline knows nothing of UART frames. A CPU or null chain can stand in for either side.
 */

/** One header template for the chips. Hashes are in block-header byte order (as SV2 U256 carries them). */
export interface ChipWork {
  /** Header version as the pool gave it; the chips roll only bits inside versionMask. */
  readonly version: number;
  /** Bits the chips may roll (0 = no rolling). */
  readonly versionMask: number;
  /** 32 bytes, header order (bytes 4..35 of the header). */
  readonly prevHash: Uint8Array;
  /** 32 bytes, header order (bytes 36..67 of the header). */
  readonly merkleRoot: Uint8Array;
  readonly ntime: number;
  readonly nbits: number;
  /** Opaque to the driver: the pipeline's own key for this work (returned in every NonceResult). */
  readonly workId: number;
}

/** A nonce a chip returned, tied back to the work it was found on. */
export interface NonceResult {
  readonly chain: number;
  readonly work: ChipWork;
  /** Header nonce as a little-endian u32 (header bytes 76..79 read LE). */
  readonly nonce: number;
  /** The full header version the chip hashed (work.version with rolled bits merged under the mask). */
  readonly version: number;
  /** Chip index on the chain (0-based) where the chip or nonce range tells; undefined if unknown. */
  readonly chipIndex: number | undefined;
  readonly coreId: number | undefined;
  /** Monotonic milliseconds when the reply was parsed. */
  readonly receivedAt: number;
}

interface ChipStats {
  readonly index: number;
  readonly address: number;
  nonces: number;
  hardwareErrors: number;
  stale: number;
  crcErrors: number;
  /** When the chip last returned a nonce (monotonic ms), or undefined. */
  lastNonceAt: number | undefined;
}

export interface ChainStats {
  readonly chain: number;
  readonly chipModel: string;
  readonly chipCount: number;
  frequencyMhz: number;
  nonces: number;
  stale: number;
  crcErrors: number;
  junkBytes: number;
  jobsSent: number;
  readonly chips: ChipStats[];
}

/** One chip's free-running total nonce counter as read from the chip (bm13xx.md §4.1, 0x8C). */
export interface ChipCounterReading {
  readonly chipIndex: number;
  /** u32; each count stands for one nonce at difficulty 1 (2^32 hashes, relaxed on sim boards). */
  readonly count: number;
}

export interface ChainInfo {
  readonly chain: number;
  readonly chipModel: string;
  readonly chipCount: number;
  readonly addresses: readonly number[];
  readonly frequencyMhz: number;
  readonly baud: number;
  /** Nominal hashes per second of the whole chain at its frequency. */
  readonly nominalHashrate: number;
  /** The difficulty each chip reports nonces at (from its ticket mask). */
  readonly chipDifficulty: number;
}

export type NonceListener = (result: NonceResult) => void;

/** What src/work sees of a chain of chips. */
export interface HashChain {
  readonly index: number;
  /** Reset, enumerate, address, configure, ramp; resolves when the chain is ready for work. */
  init(): Promise<ChainInfo>;
  /**
   * Hand the chips new work. `clean` retires every earlier work item first, so nonces for it are
   * counted as stale instead of being returned.
   */
  sendWork(work: ChipWork, clean: boolean): Promise<void>;
  onNonce(listener: NonceListener): void;
  /** A hardware error found by the pipeline (nonce that does not meet the chip target), for per-chip counters. */
  reportHardwareError(chipIndex: number | undefined): void;
  stats(): ChainStats;
  info(): ChainInfo | undefined;
  /** Change the chips' frequency while mining; resolves with the frequency reached (MHz). */
  setFrequency(mhz: number): Promise<number>;
  /**
   * True when returned nonces cannot be tied to their chip but the chips keep a readable nonce
   * counter, so per-chip rates need readNonceCounters() (bm13xx.md §12.7).
   */
  readonly needsCounterReads: boolean;
  /** Every chip's free-running nonce counter; empty where the chips have none or are not ready. */
  readNonceCounters(): Promise<readonly ChipCounterReading[]>;
  /** Stop hashing (reset the chips where the board allows) and release the port. */
  close(): Promise<void>;
}
