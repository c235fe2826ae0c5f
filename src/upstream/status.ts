/**
 * The client's status snapshot for the APIs (architecture.md src/api/snapshot.ts): plain data
 * only, deep-copied, bigints as hex, so callers can serialise it and never reach live state.
 * Also the per-pool record the client keeps (PoolSlot).
 */

import { targetToDifficulty } from '../bitcoin/target.js';
import { bytesToHex } from '../bytes/hex.js';
import { copyCounters, type ShareCounters } from '../channels/client/counters.js';
import type { Endpoint } from '../connection/dial.js';
import type { PoolUrl } from '../noise/pool-url.js';
import type { FailoverPolicy } from './failover.js';
import type { ChannelKind } from './requests.js';
import type { Session, SessionState } from './session.js';

type PoolState = 'idle' | SessionState | 'backoff' | 'dead';

/** The client's record of one configured pool. */
export interface PoolSlot {
  readonly index: number;
  /** Job.pool / Share.pool of this pool: its URL (suffixed `#index` if listed twice). */
  readonly key: string;
  readonly entry: {
    readonly url: string;
    readonly user: string;
    readonly insecure?: boolean;
    readonly channel?: ChannelKind;
  };
  url: PoolUrl | undefined;
  readonly counters: ShareCounters;
  state: PoolState;
  lastError: string | undefined;
  handshakeMs: number | undefined;
  lastRoundTripMs: number | undefined;
  /** Endpoint from a Reconnect message, used for the next connection only. */
  override: Endpoint | undefined;
  /** Protocol violations by kind over every session (pool-health.ts). */
  readonly violations: Record<string, number>;
  /** Clock ms of the Reconnects followed lately (bounded by the client's reconnect limit). */
  readonly reconnects: number[];
}

interface ChannelStatus {
  readonly channelId: number;
  readonly groupChannelId: number;
  /** Channel target as 64 hex digits, most significant first (display order). */
  readonly target: string;
  readonly difficulty: number;
  readonly extranoncePrefix: string;
  readonly activeJobId: number | undefined;
  readonly sharesInFlight: number;
}

export interface PoolStatus {
  readonly url: string;
  readonly user: string;
  readonly priority: number;
  readonly state: PoolState;
  readonly insecure: boolean;
  readonly handshakeMs: number | undefined;
  readonly lastShareRoundTripMs: number | undefined;
  readonly counters: ShareCounters;
  readonly channels: readonly ChannelStatus[];
  readonly lastError: string | undefined;
  readonly retryInMs: number;
  /** Protocol violations by kind (unknown-message, unknown-channel, unknown-job, ...). */
  readonly violations: Readonly<Record<string, number>>;
  /** The live session's health score (0 = clean; over the bound the pool is failed over). */
  readonly healthScore: number;
}

export interface PoolClientStatus {
  /** Key (URL) of the pool the rig is connected to, if any. */
  readonly currentPool: string | undefined;
  readonly pools: readonly PoolStatus[];
}

export function buildStatus(
  slots: readonly PoolSlot[],
  current: { readonly slot: PoolSlot; readonly session: Session } | undefined,
  policy: FailoverPolicy,
  now: number,
): PoolClientStatus {
  return {
    currentPool: current?.slot.key,
    pools: slots.map((slot) => {
      const session = current?.slot === slot ? current.session : undefined;
      const channels: ChannelStatus[] = [];
      for (const s of session?.channels.all() ?? []) {
        channels.push({
          channelId: s.channel.channelId,
          groupChannelId: s.channel.groupChannelId,
          target: s.channel.target.toString(16).padStart(64, '0'),
          difficulty: targetToDifficulty(s.channel.target),
          extranoncePrefix: bytesToHex(s.channel.extranoncePrefix),
          activeJobId: s.channel.activeJob?.jobId,
          sharesInFlight: s.ledger.inFlight,
        });
      }
      return {
        url: slot.key,
        user: slot.entry.user,
        priority: slot.index,
        state: slot.state,
        insecure: slot.url?.missingAuthorityKey === true,
        handshakeMs: session?.handshakeMs ?? slot.handshakeMs,
        lastShareRoundTripMs: session?.channels.lastRoundTripMs ?? slot.lastRoundTripMs,
        counters: copyCounters(slot.counters),
        channels,
        lastError: slot.lastError,
        retryInMs: policy.retryInMs(slot.index, now),
        violations: { ...slot.violations },
        healthScore: session?.healthScore(now) ?? 0,
      };
    }),
  };
}
