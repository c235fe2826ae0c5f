/**
 * PoolClient configuration (the pool list and every knob, with defaults) and the translation of
 * one configured pool into the options of one Session: its own endpoint, user and authority key,
 * always; a Reconnect override only for the real session, never for a background probe.
 */

import { MAX_TARGET } from '../bitcoin/target.js';
import type { HashrateUpdatePolicy } from '../channels/client/channel-set.js';
import { emptyCounters } from '../channels/client/counters.js';
import type { Endpoint, SocketFactory } from '../connection/dial.js';
import type { Logger } from '../log.js';
import type { Clock } from '../time/clock.js';
import type { Job } from '../work/job.js';
import type { BackoffOptions, RandomFn } from './backoff.js';
import { violationTable } from './pool-health.js';
import { BIP320_MASK, BIP323_MASK, type ChannelKind, type DeviceIdentity } from './requests.js';
import type { SessionOptions, SessionState } from './session.js';
import type { PoolSlot } from './status.js';

interface PoolEntry {
  readonly url: string;
  readonly user: string;
  /** SV2 has no password field (user_identity only); kept for config symmetry, never sent. */
  readonly password?: string;
  /** Allows a pool URL without authority key (trusted LAN only; warned on every connection). */
  readonly insecure?: boolean;
  /** The channel kind to open on this pool. Default 'standard'. */
  readonly channel?: ChannelKind;
}

export interface PoolClientOptions {
  readonly pools: readonly PoolEntry[];
  /** Rig hashrate in H/s (nominal_hash_rate, split over the channels). */
  readonly nominalHashrate: number;
  readonly device?: Partial<DeviceIdentity>;
  /** Easiest target the rig accepts. Default: no limit. */
  readonly maxTarget?: bigint;
  /**
   * Channels per connection (e.g. one per hash chain). Default 1. Standard channels are raised to
   * hashrate / 2^48; an extended channel's extranonce gives it all the space it needs.
   */
  readonly channels?: number;
  /** Opt in to the BIP323 mask 0x1fffffe0 instead of BIP320 0x1fffe000. */
  readonly wideVersionMask?: boolean;
  /** No useful message within this many ms drops the connection. Default 120 000. */
  readonly silenceMs?: number;
  /** No minable job on an open channel within this many ms fails the pool. Default 5 000. */
  readonly workDeadlineMs?: number;
  /** No minable job within this many ms of a channel open being answered fails the pool. Default 2 000. */
  readonly firstJobDeadlineMs?: number;
  /** Health score over which a pool committing protocol violations is failed (pool-health.ts). */
  readonly maxViolationScore?: number;
  /** Violations a pool may commit while giving no minable work before it is failed. Default 3. */
  readonly maxViolationsWithoutWork?: number;
  /** A frame started must be complete within this many ms. Default 30 000. */
  readonly frameTimeoutMs?: number;
  /** After our close, the socket is destroyed if the pool has not closed its side by then. Default 5 000. */
  readonly closeTimeoutMs?: number;
  /** On close, how long to wait for the answers to shares in flight. Default 2 000. */
  readonly shareDrainMs?: number;
  /** Reconnect messages followed per pool within `windowMs` before it counts as failed. Default 5 in 60 s. */
  readonly reconnectLimit?: { readonly max: number; readonly windowMs: number };
  readonly connectTimeoutMs?: number;
  readonly handshakeTimeoutMs?: number;
  readonly maxPayload?: number;
  readonly maxMessagesPerSecond?: number;
  readonly backoff?: BackoffOptions;
  readonly failBack?: { readonly holdMs?: number; readonly probeIntervalMs?: number };
  readonly hashrateUpdate?: HashrateUpdatePolicy;
  readonly maxFutureJobs?: number;
  readonly ntimeSlackSec?: number;
  readonly clock?: Clock;
  readonly random?: RandomFn;
  readonly log?: Logger;
  readonly socketFactory?: SocketFactory;
  /** Unix seconds for certificate checks (tests). */
  readonly unixNow?: () => number;
  /** Clock skew allowed around a pool certificate's validity window, seconds. Default 60. */
  readonly certificateLeewaySec?: number;
}

interface SessionDeps {
  readonly probeOnly: boolean;
  readonly channels: number;
  readonly clock: Clock;
  readonly log: Logger;
  readonly onJob: (job: Job) => void;
  readonly onState: (state: SessionState) => void;
}

export function sessionOptionsFor(o: PoolClientOptions, slot: PoolSlot, d: SessionDeps): SessionOptions {
  const url = slot.url;
  const endpoint: Endpoint = (d.probeOnly ? undefined : slot.override) ?? {
    host: url?.host ?? '',
    port: url?.port ?? 0,
  };
  return {
    pool: slot.key,
    endpoint,
    user: slot.entry.user,
    device: {
      vendor: o.device?.vendor ?? 'sv2miner',
      hardwareVersion: o.device?.hardwareVersion ?? '',
      firmware: o.device?.firmware ?? '0.1.0',
      deviceId: o.device?.deviceId ?? '',
    },
    channelKind: slot.entry.channel ?? 'standard',
    channels: slot.entry.channel === 'extended' ? Math.max(1, Math.floor(o.channels ?? 1)) : d.channels,
    nominalHashrate: o.nominalHashrate,
    maxTarget: o.maxTarget ?? MAX_TARGET,
    rollMask: o.wideVersionMask === true ? BIP323_MASK : BIP320_MASK,
    silenceMs: o.silenceMs ?? 120_000,
    // A probe's counters are thrown away: it never submits.
    counters: d.probeOnly ? emptyCounters() : slot.counters,
    violations: d.probeOnly ? violationTable() : slot.violations,
    clock: d.clock,
    log: d.log.child({ pool: slot.key, ...(d.probeOnly ? { probe: true } : {}) }),
    connection: {
      authorityKey: url?.authorityKey,
      insecure: url?.missingAuthorityKey === true,
      ...pick(o, [
        'socketFactory',
        'connectTimeoutMs',
        'handshakeTimeoutMs',
        'maxPayload',
        'maxMessagesPerSecond',
        'unixNow',
        'certificateLeewaySec',
        'frameTimeoutMs',
        'closeTimeoutMs',
      ]),
      clock: d.clock,
    },
    onJob: d.onJob,
    onState: d.onState,
    probeOnly: d.probeOnly,
    ...pick(o, [
      'maxFutureJobs',
      'ntimeSlackSec',
      'hashrateUpdate',
      'workDeadlineMs',
      'firstJobDeadlineMs',
      'maxViolationScore',
      'maxViolationsWithoutWork',
    ]),
  };
}

/** The defined subset of `o`'s keys (exactOptionalPropertyTypes forbids passing undefined through). */
function pick<T extends object, K extends keyof T>(o: T, keys: readonly K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}
