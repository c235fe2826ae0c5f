/**
 * Who rolls which version bits (sv2.md §6.7, bm13xx.md §7.3, §4.4), as pure functions. BM1366/68/70
 * roll the 0xA4 mask bits (28..13) themselves; the BM1397 driver hashes 4 consecutive versions as
 * host midstates; a chain that rolls nothing gets one version per work item. Whatever part of the
 * job's mask the chain does not cover, the dispatcher steps on the host; it never touches a bit
 * outside the job's mask.
 */

export type VersionRolling =
  /** The chips roll every bit of (job mask & mask) themselves. */
  | { readonly kind: 'chip-mask'; readonly mask: number }
  /** The driver hashes `count` consecutive versions (the mask counter +0..+count-1) per work item. */
  | { readonly kind: 'midstates'; readonly count: number }
  | { readonly kind: 'none' };

/** The bits BM1366/68/70 can roll: the 0xA4 register holds (mask >> 13) & 0xFFFF (bm13xx.md §4.4). */
const CHIP_ROLL_MASK = 0x1fffe000;

/** Default by chip model (drivers/types.ts ChainInfo.chipModel). Unknown models roll nothing. */
export function versionRollingFor(chipModel: string): VersionRolling {
  switch (chipModel) {
    case 'BM1366':
    case 'BM1368':
    case 'BM1370':
    case 'BM1362':
      return { kind: 'chip-mask', mask: CHIP_ROLL_MASK };
    case 'BM1397':
      return { kind: 'midstates', count: 4 };
    default:
      return { kind: 'none' };
  }
}

/** How one job's mask splits between chain and host. */
export interface RollPlan {
  /** ChipWork.versionMask: what the chain may roll inside one work item. */
  readonly workMask: number;
  /** Bits the host steps between work items. */
  readonly hostMask: number;
  /** Host counter increment between work items (midstate chains cover `step` values each). */
  readonly step: number;
  /** Distinct versions one work item covers. */
  readonly versionsPerWork: number;
  /** Distinct host version slots before ntime must move. */
  readonly hostSlots: number;
}

export function rollPlan(rolling: VersionRolling, jobMask: number): RollPlan {
  const mask = jobMask >>> 0;
  switch (rolling.kind) {
    case 'chip-mask': {
      const workMask = (mask & rolling.mask) >>> 0;
      const hostMask = (mask & ~rolling.mask) >>> 0;
      return {
        workMask,
        hostMask,
        step: 1,
        versionsPerWork: 2 ** popcount(workMask),
        hostSlots: 2 ** popcount(hostMask),
      };
    }
    case 'midstates': {
      const space = 2 ** popcount(mask);
      const step = Math.max(1, Math.min(rolling.count, space));
      return {
        workMask: mask,
        hostMask: mask,
        step,
        versionsPerWork: step,
        hostSlots: Math.ceil(space / step),
      };
    }
    case 'none':
      return { workMask: 0, hostMask: mask, step: 1, versionsPerWork: 1, hostSlots: 2 ** popcount(mask) };
  }
}

/**
 * The header version of host slot `slot`: the job version with the host-mask bits replaced by
 * (their own value + slot·step) mod 2^bits, so slot 0 is the job's version unchanged and every
 * other bit stays as the pool sent it.
 */
export function slotVersion(jobVersion: number, plan: RollPlan, slot: number): number {
  const bits = popcount(plan.hostMask);
  if (bits === 0) return jobVersion >>> 0;
  const start = extractBits(jobVersion, plan.hostMask);
  const counter = (start + slot * plan.step) % 2 ** bits;
  return ((jobVersion & ~plan.hostMask) | depositBits(counter, plan.hostMask)) >>> 0;
}

export function popcount(value: number): number {
  let v = value >>> 0;
  let n = 0;
  while (v !== 0) {
    v &= v - 1;
    n++;
  }
  return n;
}

/** Gathers the bits of `value` under `mask` into the low bits (x86 PEXT). */
function extractBits(value: number, mask: number): number {
  let out = 0;
  let bit = 1;
  for (let m = mask >>> 0; m !== 0; m &= m - 1) {
    const low = m & -m;
    if ((value & low) !== 0) out += bit;
    bit *= 2;
  }
  return out;
}

/** Spreads the low bits of `value` over the set bits of `mask` (x86 PDEP). */
function depositBits(value: number, mask: number): number {
  let out = 0;
  let v = value;
  for (let m = mask >>> 0; m !== 0; m &= m - 1) {
    if (v % 2 === 1) out |= m & -m;
    v = Math.floor(v / 2);
  }
  return out >>> 0;
}
