/**
 * The contract of one pool session (session.ts): what it is given (SessionOptions), the states it
 * reports (connecting .. mining, sv2.md §6.1) and how it ends (SessionEnd, a value the client's
 * failover acts on; sessions never throw).
 */

import type { HashrateUpdatePolicy } from '../channels/client/channel-set.js';
import type { ShareCounters } from '../channels/client/counters.js';
import type { Endpoint } from '../connection/dial.js';
import type { ConnectionOptions } from '../connection/sv2-connection.js';
import type { Logger } from '../log.js';
import type { Clock } from '../time/clock.js';
import type { Job } from '../work/job.js';
import type { ChannelKind, DeviceIdentity } from './requests.js';

export type SessionState = 'connecting' | 'handshake' | 'setup' | 'open' | 'mining';

export type SessionEnd =
  /** We ended it (shutdown, fail-back, probe done). */
  | { readonly kind: 'closed'; readonly reason: string }
  | { readonly kind: 'failed'; readonly stage: SessionState; readonly reason: string }
  /** This pool can never serve this device (e.g. it requires extended channels and we open standard ones). */
  | { readonly kind: 'give-up'; readonly reason: string }
  | { readonly kind: 'reconnect'; readonly endpoint: Endpoint };

export interface SessionOptions {
  readonly pool: string;
  readonly endpoint: Endpoint;
  readonly user: string;
  readonly device: DeviceIdentity;
  /** Which channels to open: standard (default; the pool fixes the merkle root) or extended (we roll the extranonce). */
  readonly channelKind?: ChannelKind;
  readonly channels: number;
  /** Rig hashrate in H/s, split evenly over the channels. */
  readonly nominalHashrate: number;
  readonly maxTarget: bigint;
  readonly rollMask: number;
  readonly silenceMs: number;
  /** No minable job on an open channel this long fails the pool. Default 5 000. */
  readonly workDeadlineMs?: number;
  /** No minable job this long after a channel open was answered fails the pool. Default 2 000. */
  readonly firstJobDeadlineMs?: number;
  /** Health score (pool-health.ts) that fails the pool. Default MAX_VIOLATION_SCORE. */
  readonly maxViolationScore?: number;
  /** Violations within one spell without minable work that fail the pool. Default 3. */
  readonly maxViolationsWithoutWork?: number;
  /** The pool's violations by kind (cumulative; the client's slot owns the table). Default: a new one. */
  readonly violations?: Record<string, number>;
  readonly counters: ShareCounters;
  readonly clock: Clock;
  readonly log: Logger;
  readonly connection: Omit<ConnectionOptions, 'pool' | 'endpoint' | 'log' | 'onHandshake'>;
  readonly onJob: (job: Job) => void;
  readonly onState?: (state: SessionState) => void;
  /** Stop after SetupConnection.Success (background health probe for fail-back). */
  readonly probeOnly?: boolean;
  readonly maxFutureJobs?: number;
  readonly ntimeSlackSec?: number;
  readonly hashrateUpdate?: HashrateUpdatePolicy;
}
