/**
 * One configured pool as the daemon's PoolSet keeps it (pool-set.ts): the record that outlives
 * client rebuilds (enabled flag, retired counters, connect failures, the last status shown) and the
 * PoolSnapshot row the APIs serve from it (src/api/snapshot.ts), live counters added to retired ones.
 */
import type { PoolSnapshot } from '../../api/snapshot.js';
import { addCounters, emptyCounters, type ShareCounters } from '../../channels/client/counters.js';
import type { PoolConfig } from '../../config/schema.js';
import { parsePoolUrl } from '../../noise/pool-url.js';
import { addViolations, violationTable } from '../../upstream/pool-health.js';
import type { PoolStatus } from '../../upstream/status.js';

export interface ManagedPool {
  readonly config: PoolConfig;
  enabled: boolean;
  /** Counters of clients already closed (rebuilds). */
  retired: ShareCounters;
  connectFailures: number;
  lastState: string;
  lastShareAt: number | null;
  /** The last status row a closed client showed for it (display fields after the final stop). */
  lastStatus: PoolStatus | undefined;
  /** Violations counted by clients already closed (rebuilds). */
  retiredViolations: Record<string, number>;
}

/** A newly configured pool: enabled, nothing counted yet. */
export function managedPool(config: PoolConfig): ManagedPool {
  return {
    config,
    enabled: true,
    retired: emptyCounters(),
    connectFailures: 0,
    lastState: 'idle',
    lastShareAt: null,
    lastStatus: undefined,
    retiredViolations: violationTable(),
  };
}

/** `live`: the running client's row (counters); `shown`: the row for the display fields. */
export function poolSnapshot(
  pool: ManagedPool,
  index: number,
  live: PoolStatus | undefined,
  shown: PoolStatus | undefined,
  active: boolean,
): PoolSnapshot {
  const c = addCounters(pool.retired, live?.counters ?? emptyCounters());
  let host = '';
  let port = 0;
  let authorityKey: string | null = null;
  try {
    const url = parsePoolUrl(pool.config.url);
    host = url.host;
    port = url.port;
    const key = new URL(pool.config.url).pathname.replace(/^\//, '');
    authorityKey = key === '' ? null : key;
  } catch {
    // The config schema already refused malformed URLs; keep the row with what is known.
  }
  return {
    index,
    url: pool.config.url,
    host,
    port,
    user: pool.config.user,
    priority: pool.config.priority ?? index,
    enabled: pool.enabled,
    active,
    state: pool.enabled ? (shown?.state ?? 'idle') : 'disabled',
    authorityKey,
    insecure: pool.config.insecure === true,
    accepted: c.accepted,
    rejected: c.rejected,
    stale: c.stale,
    rejectReasons: c.rejectedByReason,
    // Our own sums of the shares' target difficulties: the pool's new_shares_sum is truncated to
    // an integer by SRI and reads 0 below difficulty 1 (counters.ts).
    acceptedDifficulty: c.acceptedDifficulty,
    rejectedDifficulty: c.rejectedDifficulty,
    lastShareAt: pool.lastShareAt,
    lastShareDifficulty: c.lastShareDifficulty,
    difficulty: shown?.channels[0]?.difficulty ?? 0,
    handshakeMs: shown?.handshakeMs ?? null,
    lastRoundTripMs: shown?.lastShareRoundTripMs ?? null,
    connectFailures: pool.connectFailures,
    lastError: shown?.lastError ?? null,
    lostInFlight: c.unacknowledged,
    violations: addViolations(pool.retiredViolations, live?.violations ?? {}),
  };
}
