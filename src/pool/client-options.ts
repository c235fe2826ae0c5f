/**
 * PoolClient configuration (the pool list and every knob, with defaults) and the translation of
 * one configured pool into the options of one Session: its own endpoint, user and authority key,
 * always; a Reconnect override only for the real session, never for a background probe.
 */

import { MAX_TARGET } from '../bitcoin/target.js';
import type { Logger } from '../log.js';
import type { Clock } from '../work/clock.js';
import type { Job } from '../work/job.js';
import type { BackoffOptions, RandomFn } from './backoff.js';
import type { HashrateUpdatePolicy } from './channel-set.js';
import type { Endpoint, SocketFactory } from './connection.js';
import { emptyCounters } from './counters.js';
import { BIP320_MASK, BIP323_MASK, type DeviceIdentity } from './requests.js';
import type { SessionOptions, SessionState } from './session.js';
import type { PoolSlot } from './status.js';

export interface PoolEntry {
  readonly url: string;
  readonly user: string;
  /** SV2 has no password field (user_identity only); kept for config symmetry, never sent. */
  readonly password?: string;
  /** Allows a pool URL without authority key (trusted LAN only; warned on every connection). */
  readonly insecure?: boolean;
}

export interface PoolClientOptions {
  readonly pools: readonly PoolEntry[];
  /** Rig hashrate in H/s (nominal_hash_rate, split over the channels). */
  readonly nominalHashrate: number;
  readonly device?: Partial<DeviceIdentity>;
  /** Easiest target the rig accepts. Default: no limit. */
  readonly maxTarget?: bigint;
  /** Standard channels per connection (e.g. one per hash chain); raised to hashrate / 2^48. Default 1. */
  readonly channels?: number;
  /** Opt in to the BIP323 mask 0x1fffffe0 instead of BIP320 0x1fffe000. */
  readonly wideVersionMask?: boolean;
  /** No message within this many ms drops the connection. Default 120 000. */
  readonly silenceMs?: number;
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

export interface SessionDeps {
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
    channels: d.channels,
    nominalHashrate: o.nominalHashrate,
    maxTarget: o.maxTarget ?? MAX_TARGET,
    rollMask: o.wideVersionMask === true ? BIP323_MASK : BIP320_MASK,
    silenceMs: o.silenceMs ?? 120_000,
    // A probe's counters are thrown away: it never submits.
    counters: d.probeOnly ? emptyCounters() : slot.counters,
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
      ]),
    },
    onJob: d.onJob,
    onState: d.onState,
    probeOnly: d.probeOnly,
    ...pick(o, ['maxFutureJobs', 'ntimeSlackSec', 'hashrateUpdate']),
  };
}

/** The defined subset of `o`'s keys (exactOptionalPropertyTypes forbids passing undefined through). */
function pick<T extends object, K extends keyof T>(o: T, keys: readonly K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}
