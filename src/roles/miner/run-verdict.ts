/**
 * Whether `sv2miner run --for N` mined, and if not, why, in one sentence for the summary's
 * "reason" key: a rig that mined nothing must say whether the pool, the chips or the share
 * target was the cause, instead of leaving a person to read the whole log.
 */
import type { RigSnapshot } from '../../api/snapshot.js';

interface RunOutcome {
  /** READY was reached: chains up, a pool job on the chips. */
  readonly wasReady: boolean;
  /** The start itself failed with this message. */
  readonly startError?: string | undefined;
  readonly snapshot: RigSnapshot;
}

/** Shares expected at the measured hashrate and the pool's difficulty before a silent run is suspicious. */
const SHARES_EXPECTED_BEFORE_SUSPICION = 5;

/** undefined when the run mined; otherwise why it did not. */
export function whyNotMined(o: RunOutcome): string | undefined {
  const s = o.snapshot;
  if (o.startError !== undefined) return `start failed: ${o.startError}`;
  if (s.overheat?.latched === true && s.nonces === 0)
    return `overheat latch set, chips kept off: ${s.overheat.reason ?? 'no reason'} (waiting for ${s.overheat.waitingFor ?? 'a thermal sample'})`;
  if (s.activePoolIndex === null) return `no pool gave the rig a job: ${poolErrors(s)}`;
  const failed = s.chains.filter((c) => c.state === 'failed').map((c) => c.index);
  if (!o.wasReady)
    return failed.length > 0
      ? `chain ${failed.join(', ')} failed before mining started`
      : 'the chains never became ready with a pool job';
  if (s.nonces === 0) return 'no nonce came back from the chips';
  const pool = s.pools[s.activePoolIndex];
  const difficulty = pool?.difficulty ?? 0;
  const expected = difficulty > 0 ? (s.hashrate.h1m * s.uptimeS) / (difficulty * 2 ** 32) : 0;
  if (s.shares.accepted === 0 && expected >= SHARES_EXPECTED_BEFORE_SUSPICION) {
    const rejected = Object.entries(s.shares.rejectReasons).map(([why, n]) => `${n} ${why}`);
    return `no share accepted although about ${Math.round(expected)} were expected at difficulty ${difficulty}${
      rejected.length > 0 ? ` (rejected: ${rejected.join(', ')})` : ''
    }`;
  }
  return undefined;
}

/** Each pool with its last error, e.g. `127.0.0.1:1 (tcp: connect ECONNREFUSED 127.0.0.1:1)`. */
function poolErrors(s: RigSnapshot): string {
  if (s.pools.length === 0) return 'no pool configured';
  return s.pools
    .map((p) => `${p.host}:${p.port} (${p.lastError ?? (p.enabled ? 'never answered' : 'disabled')})`)
    .join('; ');
}
