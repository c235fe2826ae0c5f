/**
 * What the miner daemon (miner-core.ts, miner.ts) is configured with: the validated config and
 * board, a clock, a logger, sockets and the report, watchdog and UpdateChannel timings. The
 * implementations it runs on (chains, sensors, embedded pool) come separately, as MinerParts
 * from the composition root (compose.ts).
 */
import type { BoardDefinition } from '../../../boards/types.js';
import type { LogTap } from '../../app/log-tap.js';
import type { HashrateUpdatePolicy } from '../../channels/client/channel-set.js';
import type { Config } from '../../config/schema.js';
import type { SocketFactory } from '../../connection/dial.js';
import type { Logger } from '../../log.js';
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
  readonly socketFactory?: SocketFactory;
  /** How often the measured rig hashrate goes to the pool client (UpdateChannel on drift). Default 10 s. */
  readonly hashrateReportMs?: number;
  /** The client's UpdateChannel drift and debounce rule (default: 20 %, once a minute). */
  readonly hashrateUpdate?: HashrateUpdatePolicy;
  /**
   * The pool client's deadlines and bounds (fault campaigns shorten them to fit a short run);
   * defaults in src/pool (client-options.ts).
   */
  readonly poolLimits?: PoolLimits;
}

/** The hostile-pool bounds of the pool client (README Reliability). */
type PoolLimits = Partial<
  Pick<
    PoolClientOptions,
    | 'silenceMs'
    | 'workDeadlineMs'
    | 'firstJobDeadlineMs'
    | 'maxViolationsWithoutWork'
    | 'maxViolationScore'
    | 'frameTimeoutMs'
    | 'closeTimeoutMs'
    | 'reconnectLimit'
    | 'backoff'
    | 'failBack'
  >
>;
