/**
 * Per-chain lanes of one job for the Dispatcher (sv2.md §6.6 ntime, §6.7 version rolling;
 * bm13xx.md §4.4: the chips roll what 0xA4 says). When the chips roll every version bit of the
 * mask and the pool allows no ntime rolling yet, a job is a single work item; lanes give each
 * chain distinct work anyway by fixing a few of the chip-rolled bits per chain. Pure.
 */
import { extranonceCount } from './extranonce.js';
import type { Job } from './job.js';
import { popcount, type RollPlan } from './version-roll.js';

/** The next unused (ntime, miner extranonce, host slot) of a job or of one lane of it. */
export interface Cursor {
  ntime: number;
  /** Index into the miner's extranonce space (always 0 for standard jobs). */
  extranonce: number;
  slot: number;
}

/** A job split into per-chain lanes, keyed by whatever the dispatcher uses for a chain. */
export interface Lanes<K> {
  /** What each chain's chips roll: the job plan without the lane bits. */
  readonly workPlan: RollPlan;
  /** Steps only the lane bits: slotVersion(v, lanePlan, k) puts lane k into v. */
  readonly lanePlan: RollPlan;
  readonly byChain: ReadonlyMap<K, { readonly lane: number; readonly cursor: Cursor }>;
}

/**
 * Lanes for the ready chains when the job's host space (plan.hostSlots x miner extranonces x
 * ntime values up to job.maxNtime) cannot give each chain a work item of its own. The lowest ceil(log2(chains)) bits
 * the chips would roll become host bits with one value per chain, and each chain walks its own
 * (ntime, slot) cursor in its lane: distinct work for every chain at once, every version inside
 * the job's mask. Undefined when the space suffices, or when no chip-rolled bits can be taken
 * (midstate or non-rolling chains, or a mask too narrow for the chain count).
 */
export function splitLanes<K>(plan: RollPlan, ready: readonly K[], job: Job): Lanes<K> | undefined {
  const chains = ready.length;
  const ntimes = Math.max(0, job.maxNtime - job.ntime + 1);
  const extranonces = job.extended === undefined ? 1 : extranonceCount(job.extended.extranonceSize);
  if (chains < 2 || plan.hostSlots * extranonces * ntimes >= chains) return undefined;
  const bits = Math.ceil(Math.log2(chains));
  if ((plan.workMask & plan.hostMask) !== 0 || popcount(plan.workMask) < bits) return undefined;
  let laneMask = 0;
  let rest = plan.workMask >>> 0;
  for (let i = 0; i < bits; i++) {
    const low = rest & -rest;
    laneMask = (laneMask | low) >>> 0;
    rest = (rest & ~low) >>> 0;
  }
  const workMask = (plan.workMask & ~laneMask) >>> 0;
  return {
    workPlan: { ...plan, workMask, versionsPerWork: 2 ** popcount(workMask) },
    lanePlan: { workMask: 0, hostMask: laneMask, step: 1, versionsPerWork: 1, hostSlots: 2 ** bits },
    byChain: new Map(
      ready.map((key, lane) => [key, { lane, cursor: { ntime: job.ntime, extranonce: 0, slot: 0 } }]),
    ),
  };
}
