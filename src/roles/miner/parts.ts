/**
 * The seams the miner role is assembled from. compose.ts (the role's one composition root) picks
 * the implementations — simulated or real chains, which buses and lines, which sensors, the
 * embedded pool — and hands them over through these interfaces; miner-core.ts and rig.ts only
 * use them, so they never decide what hardware or pool they run on.
 */

import type { FanController } from '../../../drivers/fans/fan.js';
import type { ThermalReader } from '../../../drivers/peripherals/thermal.js';
import type { Tps546 } from '../../../drivers/power/tps546.js';
import type { SimChain } from '../../../drivers/sim/sim-chain.js';
import type { ByteLink } from '../../../drivers/transport/uart-link.js';
import type { HashChain } from '../../../drivers/types.js';
import type { PoolConfig } from '../../config/schema.js';
import type { Logger } from '../../log.js';
import type { LocalPool } from '../../pool-server/local-pool.js';

/** One chain's I/O: its byte link and the board lines and devices around it. */
export interface ChainIo {
  readonly link: ByteLink;
  /** The NRST pulse before bring-up (power enable asserted first where the board has one). */
  readonly reset: () => Promise<void>;
  /** Hold the chips in reset (they stop hashing and draw little power). */
  readonly stop: () => Promise<void>;
  /** The simulated chain behind the link, for tests and the sim's own figures. */
  readonly sim: SimChain | undefined;
  /** Releases the GPIO lines. */
  readonly release: () => Promise<void>;
  /** The core regulator's readings, where it reports them (TPS546). */
  readonly power?: Pick<Tps546, 'telemetry' | 'status' | 'temperatureC'> | undefined;
  /** The board's fan controller, where sv2miner drives it. */
  readonly fan?: FanController | undefined;
}

/** What a chain is opened with; the rig passes the figures of the moment (a patch may change them). */
export interface ChainSettings {
  readonly frequencyMhz: number;
  readonly chipDifficulty: number;
  /** Per chip (config `coreVoltage`); undefined = the board's default. */
  readonly coreVoltageMv: number | undefined;
  readonly log: Logger;
}

interface OpenedChain {
  readonly chain: HashChain;
  readonly io: ChainIo;
}

/** Opens chain `index` of the board: its I/O and the driver on it, not yet initialised. */
export type OpenChain = (index: number, settings: ChainSettings) => Promise<OpenedChain>;

/** The local SV2 pool the miner mines on when no pool is configured. */
export interface EmbeddedPool {
  readonly pool: LocalPool;
  /** The pool entry the client is pointed at (authority key in the URL). */
  readonly poolConfig: PoolConfig;
}

export interface MinerParts {
  readonly openChain: OpenChain;
  readonly thermalReaders: readonly ThermalReader[];
  readonly startEmbeddedPool: () => Promise<EmbeddedPool>;
  /** Releases what outlives a rig restart (a USB bridge's control ports), once, at exit. */
  readonly release: () => Promise<void>;
}
