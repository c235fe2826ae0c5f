/**
 * What the miner daemon (miner-core.ts, miner.ts) is built from: the validated config and board,
 * plus the seams `sv2miner run`, tests and benchmarks use to inject a clock, a logger, sockets, a
 * link-write probe, chain timing and the report, watchdog and UpdateChannel timings.
 */
import type { BoardDefinition } from '../../../boards/types.js';
import type { ChainTiming } from '../../../drivers/bm13xx/chain-options.js';
import type { ThermalReader } from '../../../drivers/peripherals/thermal.js';
import type { LogTap } from '../../app/log-tap.js';
import type { HashrateUpdatePolicy } from '../../channels/client/channel-set.js';
import type { Config } from '../../config/schema.js';
import type { SocketFactory } from '../../connection/dial.js';
import type { Logger } from '../../log.js';
import type { LocalPoolOptions } from '../../pool-server/local-pool.js';
import type { Clock } from '../../time/clock.js';
import type { PoolClientOptions } from '../../upstream/client.js';
import type { ProgressDeadlines } from './progress-watch.js';

/**
 * chainDeadlineMs and poolDeadlineMs (ProgressDeadlines) bound the watchdog's patience: the chains
 * must return nonces or take work, and the pool loop must move, within them.
 */
export interface MinerOptions extends ProgressDeadlines {
  readonly config: Readonly<Config>;
  readonly board: BoardDefinition;
  /** Where settings are persisted (local.json in it); default from NODE_CONFIG_DIR. */
  readonly configDir?: string;
  readonly log?: Logger;
  readonly logTap?: LogTap;
  readonly clock?: Clock;
  /** Extra options for the embedded local pool (tests: forced blocks, intervals). */
  readonly localPool?: Partial<LocalPoolOptions>;
  readonly socketFactory?: SocketFactory;
  readonly onLinkWrite?: (chain: number, bytes: Uint8Array) => void;
  readonly timing?: Partial<ChainTiming>;
  /** How often the measured rig hashrate goes to the pool client (UpdateChannel on drift). Default 10 s. */
  readonly hashrateReportMs?: number;
  /** The client's UpdateChannel drift and debounce rule (default: 20 %, once a minute). */
  readonly hashrateUpdate?: HashrateUpdatePolicy;
  /**
   * The pool client's deadlines and bounds (fault campaigns shorten them to fit a short run);
   * defaults in src/pool (client-options.ts).
   */
  readonly poolLimits?: PoolLimits;
  /** The chip temperature sensors (tests); default the board's (board-io.ts thermalReaders). */
  readonly thermalReaders?: readonly ThermalReader[];
}

/** The hostile-pool bounds of the pool client (README Reliability). */
export type PoolLimits = Partial<
  Pick<
    PoolClientOptions,
    | 'silenceMs'
    | 'workDeadlineMs'
    | 'maxViolationScore'
    | 'frameTimeoutMs'
    | 'closeTimeoutMs'
    | 'reconnectLimit'
    | 'backoff'
    | 'failBack'
  >
>;
