/**
 * Options, defaults and the public surface of the local SV2 pool (local-pool.ts): what
 * `startLocalPool` takes and what the returned LocalPool offers to the demo, the CLI and tests.
 */

import type { ServerShareVerdict } from '../channels/server/channel.js';
import type { ChainTip } from '../channels/server/job-template.js';
import { DEFAULT_MAX_MESSAGES_PER_SECOND } from '../connection/sv2-connection.js';
import type { Logger } from '../log.js';
import type { ListenerLimits } from '../net/connection-guard.js';
import type { Clock } from '../time/clock.js';
import type { SubmitSharesMessage } from './connection-handler.js';

/** One submitted share as the pool judged it (what a fault campaign audits). */
export interface PoolShareEvent {
  /** Undefined when the share named no channel of its connection. */
  readonly channelId: number | undefined;
  readonly share: SubmitSharesMessage;
  readonly outcome: ServerShareVerdict;
}

export interface LocalPoolOptions {
  readonly host?: string;
  /** 0 = an ephemeral port. */
  readonly port?: number;
  /** 32-byte authority secret; a fresh one is generated when absent. */
  readonly authoritySecretKey?: Uint8Array;
  /** Noise static secret; random per start when absent. */
  readonly staticSecretKey?: Uint8Array;
  readonly certificateValiditySec?: number;
  /** New active job on every channel every N ms (0 = never). */
  readonly jobIntervalMs?: number;
  /** Simulated block (SetNewPrevHash) every N ms (0 = only on newBlock() or a found block). */
  readonly blockIntervalMs?: number;
  /** Fixed starting difficulty for every channel; otherwise derived from the nominal hash rate. */
  readonly initialDifficulty?: number;
  /** Same as initialDifficulty, as a 256-bit target (wins when both are given). */
  readonly initialTarget?: bigint;
  readonly targetSharesPerMinute?: number;
  /** Vardiff evaluation period in ms (0 = vardiff off). */
  readonly vardiffIntervalMs?: number;
  /** Accepted shares per SubmitShares.Success. */
  readonly shareBatchSize?: number;
  readonly versionRollingMask?: number;
  readonly nbits?: number;
  /** Coinbase bytes reserved for extranonce (channel prefix + what extended downstreams roll), 8..32. */
  readonly extranonceSpace?: number;
  /** Simulated transactions besides the coinbase in every block (the jobs' merkle path depth). */
  readonly simulatedTransactions?: number;
  /** Seconds a share's ntime may run ahead of max(min_ntime, now). */
  readonly ntimeLeewaySec?: number;
  readonly maxChannelsPerConnection?: number;
  readonly setupTimeoutMs?: number;
  readonly handshakeTimeoutMs?: number;
  /** More messages than this from one client within a second drops it. Default 5000. */
  readonly maxMessagesPerSecond?: number;
  /** Connection bounds; defaults in POOL_LISTENER_LIMITS. */
  readonly limits?: Partial<ListenerLimits>;
  /** Turn a share that meets nbits into the next prev hash (default true). */
  readonly advanceOnBlockFound?: boolean;
  /** Sees every share the pool judged, accepted or not, before it is acknowledged. */
  readonly onShare?: (event: PoolShareEvent) => void;
  readonly logger?: Logger;
  readonly clock?: Clock;
  /** Unix seconds for ntime and certificates. */
  readonly nowSec?: () => number;
}

interface LocalPoolStats {
  readonly connections: number;
  readonly connectionsTotal: number;
  /** TCP connections open now, before or after their handshake. */
  readonly socketsOpen: number;
  /** Connections refused over POOL_LISTENER_LIMITS since start. */
  readonly connectionsRefused: number;
  readonly channels: number;
  readonly sharesAccepted: number;
  readonly sharesRejected: Readonly<Record<string, number>>;
  readonly blocksFound: number;
  readonly height: number;
}

export interface LocalPool {
  /** stratum2+tcp://host:port/<authority public key>. */
  readonly url: string;
  /** Base58Check(01 00 ‖ x-only), the form miners configure. */
  readonly authorityPublicKey: string;
  readonly authorityXonly: Uint8Array;
  readonly host: string;
  readonly port: number;
  stats(): LocalPoolStats;
  tip(): ChainTip;
  /** Forces a simulated block now: SetNewPrevHash (after a future job) on every channel. */
  newBlock(): ChainTip;
  /** Forces a new active job on every channel now. */
  newJobs(): void;
  /** Sends a raw plain frame on every connection (test hook); returns how many got it. */
  sendToAll(frame: Uint8Array): number;
  close(): Promise<void>;
}

export const LOCAL_POOL_DEFAULTS = {
  host: '127.0.0.1',
  certificateValiditySec: 3600,
  jobIntervalMs: 30_000,
  blockIntervalMs: 600_000,
  targetSharesPerMinute: 6,
  vardiffIntervalMs: 60_000,
  shareBatchSize: 1,
  versionRollingMask: 0x1fffe000,
  extranonceSpace: 32,
  simulatedTransactions: 3,
  ntimeLeewaySec: 120,
  maxChannelsPerConnection: 16,
  setupTimeoutMs: 10_000,
  handshakeTimeoutMs: 10_000,
  maxMessagesPerSecond: DEFAULT_MAX_MESSAGES_PER_SECOND,
} as const;

/**
 * The local pool's connection bounds: many miners may share one address (NAT, a test rig); a
 * miner with a channel sends shares every few seconds, so ten silent minutes mean it is gone;
 * a connection is recycled once a day.
 */
export const POOL_LISTENER_LIMITS: ListenerLimits = {
  maxConnections: 256,
  maxConnectionsPerAddress: 64,
  idleMs: 600_000,
  lifetimeMs: 86_400_000,
  closeGraceMs: 2_000,
};
