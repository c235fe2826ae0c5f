/**
 * The daemon's health for the systemd watchdog (lifecycle.ts pings only while healthy). Two chip
 * rules and one pool rule, each with an explicit deadline:
 * - work: no job written to any mining chain and no nonce back for `chainDeadlineMs` (default
 *   60 s): no work is reaching the chips;
 * - nonces: no nonce back for the nonce deadline, derived from how often the rig should return
 *   one (20 x the expected interval at its hashrate and chip difficulty, never under the work
 *   deadline): the chips take work and return nothing. Where nonces are rarer than one per 90 s
 *   (a huge chip difficulty on a small rig) silence says nothing, and only the work rule applies;
 * - pool: the pool loop did not move (a job, a state change, a share answer) for `poolDeadlineMs`.
 * A daemon paused on purpose (the pause control, the overheat latch) is healthy: pings go on.
 */
import type { RigChain } from './rig.js';

export type Health = { readonly ok: true } | { readonly ok: false; readonly reason: string };

export interface ProgressDeadlines {
  /** The work rule's deadline. Default 60 s. */
  readonly chainDeadlineMs?: number;
  /** Default 180 s. */
  readonly poolDeadlineMs?: number;
  /** How often the rig should return a nonce (expectedNonceIntervalMs); no nonce rule without it. */
  readonly expectedNonceIntervalMs?: number;
}

/** The nonce deadline is this many expected intervals: silence that long is a 1-in-e^20 chance. */
const NONCE_DEADLINE_INTERVALS = 20;
/** Nonces rarer than this tell nothing in time; the work rule alone judges such a rig. */
const MAX_JUDGED_INTERVAL_MS = 90_000;

/**
 * Milliseconds between nonces the chips should return: each nonce stands for 2^32 x chip
 * difficulty hashes, 2^shift fewer on a board whose chip target is relaxed (simulated chips).
 */
export function expectedNonceIntervalMs(
  hashrate: number,
  chipDifficulty: number,
  targetShift: number,
): number {
  if (!(hashrate > 0)) return Number.POSITIVE_INFINITY;
  return ((2 ** 32 * chipDifficulty) / 2 ** targetShift / hashrate) * 1000;
}

/** What the chains did so far (counters only grow while a rig lives; a new rig restarts them). */
export interface ChainProgress {
  readonly jobsSent: number;
  readonly nonces: number;
}

export class ProgressWatch {
  private readonly chainDeadlineMs: number;
  private readonly poolDeadlineMs: number;
  /** undefined: nonces too rare to judge by. */
  readonly nonceDeadlineMs: number | undefined;
  private readonly intervalMs: number | undefined;
  private lastJobs = -1;
  private lastNonces = -1;
  private lastWorkAt: number;
  private lastNonceAt: number;
  private lastPoolProgressAt: number;

  /** `now`: monotonic ms at start-up, when the deadlines start running. */
  constructor(now: number, deadlines: ProgressDeadlines = {}) {
    this.chainDeadlineMs = deadlines.chainDeadlineMs ?? 60_000;
    this.poolDeadlineMs = deadlines.poolDeadlineMs ?? 180_000;
    const interval = deadlines.expectedNonceIntervalMs;
    this.intervalMs = interval;
    this.nonceDeadlineMs =
      interval === undefined || !(interval <= MAX_JUDGED_INTERVAL_MS)
        ? undefined
        : Math.max(this.chainDeadlineMs, Math.ceil(NONCE_DEADLINE_INTERVALS * interval));
    this.lastWorkAt = now;
    this.lastNonceAt = now;
    this.lastPoolProgressAt = now;
  }

  poolMoved(now: number): void {
    this.lastPoolProgressAt = now;
  }

  /** Chains (re)started mining: a bring-up restarts the chip deadlines (and a new rig's counters). */
  chainsStarted(now: number): void {
    this.lastWorkAt = now;
    this.lastNonceAt = now;
    this.lastJobs = -1;
    this.lastNonces = -1;
  }

  /** Polled: a counter that changed since the last poll is progress. */
  observeChainWork(progress: ChainProgress, now: number): void {
    if (progress.nonces !== this.lastNonces) {
      this.lastNonces = progress.nonces;
      this.lastNonceAt = now;
      this.lastWorkAt = now;
    }
    if (progress.jobsSent !== this.lastJobs) {
      this.lastJobs = progress.jobsSent;
      this.lastWorkAt = now;
    }
  }

  health(now: number, paused: boolean): Health {
    if (paused) return { ok: true };
    const s = (ms: number): number => Math.round(ms / 1000);
    if (now - this.lastWorkAt > this.chainDeadlineMs)
      return {
        ok: false,
        reason: `no work reached the chips and no nonce came back for ${s(now - this.lastWorkAt)} s`,
      };
    if (this.nonceDeadlineMs !== undefined && now - this.lastNonceAt > this.nonceDeadlineMs)
      return {
        ok: false,
        reason: `the chips returned no nonce for ${s(now - this.lastNonceAt)} s (about one expected every ${((this.intervalMs ?? 0) / 1000).toPrecision(2)} s)`,
      };
    if (now - this.lastPoolProgressAt > this.poolDeadlineMs)
      return {
        ok: false,
        reason: `pool loop made no progress for ${s(now - this.lastPoolProgressAt)} s`,
      };
    return { ok: true };
  }
}

/** Jobs sent to and nonces returned by the mining chains. */
export function chainWork(chains: readonly RigChain[]): ChainProgress {
  let jobsSent = 0;
  let nonces = 0;
  for (const c of chains) {
    if (c.state !== 'mining') continue;
    const s = c.chain.stats();
    nonces += s.nonces;
    jobsSent += s.jobsSent;
  }
  return { jobsSent, nonces };
}
