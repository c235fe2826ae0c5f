/**
 * The human status line the daemon prints every few seconds, e.g.
 * `[sv2miner] 2.01 MH/s (1m) | accepted 12 rejected 0 stale 0 | pool 127.0.0.1:34254 mining | up 00:01:05`,
 * and the final summary object of `sv2miner run --for N`. Pure formatting of a RigSnapshot.
 */
import type { RigSnapshot } from '../../api/snapshot.js';

const UNITS = ['H/s', 'kH/s', 'MH/s', 'GH/s', 'TH/s', 'PH/s'] as const;

/** 2_010_000 -> "2.01 MH/s": the unit that keeps the figure below 1000. */
export function statusHashrate(hps: number): string {
  let value = Number.isFinite(hps) && hps > 0 ? hps : 0;
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(2)} ${UNITS[unit]}`;
}

/** 65 -> "00:01:05"; days are folded into the hours. */
export function formatUptime(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(Math.floor(s / 3600))}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
}

export function statusLine(s: RigSnapshot): string {
  const pool = s.activePoolIndex === null ? undefined : s.pools[s.activePoolIndex];
  const poolText = pool === undefined ? 'pool none' : `pool ${pool.host}:${pool.port} ${pool.state}`;
  const count = (state: RigSnapshot['chains'][number]['state']) =>
    s.chains.filter((c) => c.state === state).length;
  const failed = count('failed');
  const recovering = count('recovering');
  const disabled = count('disabled');
  return [
    `[sv2miner] ${statusHashrate(s.hashrate.h1m)} (1m)`,
    `accepted ${s.shares.accepted} rejected ${s.shares.rejected} stale ${s.shares.stale}`,
    poolText,
    ...(failed > 0 ? [`${failed} chain(s) failed`] : []),
    ...(recovering > 0 ? [`${recovering} chain(s) recovering`] : []),
    ...(disabled > 0 ? [`${disabled} chain(s) disabled`] : []),
    ...(s.paused ? ['paused'] : []),
    `up ${formatUptime(s.uptimeS)}`,
  ].join(' | ');
}

/** The last stdout line of `run --for N`: exactly these keys, in this order. */
interface RunSummary {
  readonly uptime_s: number;
  readonly hashrate_ghs: number;
  readonly shares_accepted: number;
  readonly shares_rejected: number;
  readonly shares_stale: number;
  readonly hardware_errors: number;
  readonly nonces: number;
  readonly pool: string | null;
  readonly board: string;
  /** Why the run did not mine (null when it did): pool errors, failed chains, no shares. */
  readonly reason: string | null;
  /** Submitted, never answered (appended: the keys before it keep their order). */
  readonly shares_lost_in_flight: number;
}

export function runSummary(s: RigSnapshot, reason: string | null = null): RunSummary {
  // Taken after the ordered stop: a stopped daemon's snapshot names the pool it mined on last as
  // active (pool-set.ts), so null means no pool ever gave the rig a job.
  const pool = s.activePoolIndex === null ? undefined : s.pools[s.activePoolIndex];
  // Over a short run the 1 min window is the whole run (hashrate.ts divides by uptime).
  return {
    uptime_s: Math.round(s.uptimeS * 10) / 10,
    hashrate_ghs: s.hashrate.h1m / 1e9,
    shares_accepted: s.shares.accepted,
    shares_rejected: s.shares.rejected,
    shares_stale: s.shares.stale,
    hardware_errors: s.hardwareErrors,
    nonces: s.nonces,
    pool: pool === undefined ? null : `${pool.host}:${pool.port}`,
    board: s.board.id,
    reason,
    shares_lost_in_flight: s.shares.lostInFlight,
  };
}
