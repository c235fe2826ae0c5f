/**
 * The daemon's health for the systemd watchdog (lifecycle.ts pings only while healthy): the chains
 * must return nonces or take work within the chain deadline, and the pool loop must move (a job, a
 * state change, a share answer) within the pool deadline. A daemon paused on purpose is healthy.
 */
import type { RigChain } from './rig.js';

export type Health = { readonly ok: true } | { readonly ok: false; readonly reason: string };

export interface ProgressDeadlines {
  /** Default 60 s. */
  readonly chainDeadlineMs?: number;
  /** Default 180 s. */
  readonly poolDeadlineMs?: number;
}

export class ProgressWatch {
  private readonly chainDeadlineMs: number;
  private readonly poolDeadlineMs: number;
  private lastChainWork = -1;
  private lastChainProgressAt: number;
  private lastPoolProgressAt: number;

  /** `now`: monotonic ms at start-up, when both deadlines start running. */
  constructor(now: number, deadlines: ProgressDeadlines = {}) {
    this.chainDeadlineMs = deadlines.chainDeadlineMs ?? 60_000;
    this.poolDeadlineMs = deadlines.poolDeadlineMs ?? 180_000;
    this.lastChainProgressAt = now;
    this.lastPoolProgressAt = now;
  }

  poolMoved(now: number): void {
    this.lastPoolProgressAt = now;
  }

  /** Chains (re)started mining: a bring-up restarts their deadline. */
  chainsStarted(now: number): void {
    this.lastChainProgressAt = now;
  }

  /** Polled: the chains moved if their work count (chainWork) changed since the last poll. */
  observeChainWork(work: number, now: number): void {
    if (work === this.lastChainWork) return;
    this.lastChainWork = work;
    this.lastChainProgressAt = now;
  }

  health(now: number, paused: boolean): Health {
    if (paused) return { ok: true };
    if (now - this.lastChainProgressAt > this.chainDeadlineMs)
      return {
        ok: false,
        reason: `no nonce and no work on any chain for ${Math.round((now - this.lastChainProgressAt) / 1000)} s`,
      };
    if (now - this.lastPoolProgressAt > this.poolDeadlineMs)
      return {
        ok: false,
        reason: `pool loop made no progress for ${Math.round((now - this.lastPoolProgressAt) / 1000)} s`,
      };
    return { ok: true };
  }
}

/** Nonces returned plus jobs sent over the mining chains: it grows while any chain works. */
export function chainWork(chains: readonly RigChain[]): number {
  let n = 0;
  for (const c of chains) {
    if (c.state !== 'mining') continue;
    const s = c.chain.stats();
    n += s.nonces + s.jobsSent;
  }
  return n;
}
