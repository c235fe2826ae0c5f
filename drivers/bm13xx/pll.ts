/**
 * PLL0 (register 0x08) frequency arithmetic, bm13xx.md §5: the ESP-Miner divider search (§5.2),
 * the reverse decode for any valid combination, and the 6.25 MHz ramp plan (§5.3). Pure; the
 * model rule (post dividers minus one on BM1362/66/68/70, VCO flag) comes from chips.ts.
 */
import { CHIPS, type ChipModel } from './chips.js';
import { type Pll0Fields, REGISTERS } from './registers.js';

interface PllSetting {
  readonly fbDiv: number;
  readonly refDiv: number;
  readonly postDiv1: number;
  readonly postDiv2: number;
  /** The frequency these dividers really give (report this, not the request). */
  readonly actualMhz: number;
  readonly vcoMhz: number;
  /** The 4 register bytes for 0x08, MSB-first. */
  readonly bytes: Uint8Array;
}

const REF_MHZ = 25; // CLKI reference clock, §1.1
const VCO_HIGH_MHZ = 2400; // flag 0x50 from here up (BM1366+), §5.1
const EPS = 1e-9;

/** Closest divider set to `targetMhz` per ESP-Miner's search; throws RangeError if none fits. */
export function pllForFrequency(model: ChipModel, targetMhz: number): PllSetting {
  const [fbMin, fbMax] = CHIPS[model].fbDivRange;
  let best: { fb: number; ref: number; pd1: number; pd2: number; err: number; vco: number } | undefined;
  for (const ref of [2, 1]) {
    for (let pd1 = 7; pd1 >= 1; pd1--) {
      for (let pd2 = 7; pd2 >= 1; pd2--) {
        if (pd1 <= pd2) continue; // ESP-Miner: POSTDIV1 strictly greater
        const fb = Math.round((targetMhz * ref * pd1 * pd2) / REF_MHZ);
        if (fb < fbMin || fb > fbMax) continue;
        const err = Math.abs((REF_MHZ * fb) / (ref * pd1 * pd2) - targetMhz);
        const vco = (REF_MHZ * fb) / ref;
        if (best === undefined || isBetter(err, vco, pd1 * pd2, best)) best = { fb, ref, pd1, pd2, err, vco };
      }
    }
  }
  if (best === undefined) throw new RangeError(`${model}: no PLL divider set reaches ${targetMhz} MHz`);
  return pllSetting(model, best.fb, best.ref, best.pd1, best.pd2);
}

function isBetter(
  err: number,
  vco: number,
  pdProduct: number,
  best: { err: number; vco: number; pd1: number; pd2: number },
): boolean {
  if (err < best.err - EPS) return true;
  if (err > best.err + EPS) return false;
  if (vco < best.vco - EPS) return true;
  if (vco > best.vco + EPS) return false;
  return pdProduct < best.pd1 * best.pd2;
}

/** Setting (with register bytes) for explicit dividers, e.g. to reproduce a capture. */
export function pllSetting(
  model: ChipModel,
  fbDiv: number,
  refDiv: number,
  postDiv1: number,
  postDiv2: number,
): PllSetting {
  const minusOne = CHIPS[model].postDivMinusOne;
  const vcoMhz = (REF_MHZ * fbDiv) / refDiv;
  const fields: Pll0Fields = {
    locked: false,
    enabled: true,
    vcoHigh: minusOne && vcoMhz >= VCO_HIGH_MHZ,
    fbDiv,
    refDiv,
    postDiv1Field: minusOne ? postDiv1 - 1 : postDiv1,
    postDiv2Field: minusOne ? postDiv2 - 1 : postDiv2,
  };
  return {
    fbDiv,
    refDiv,
    postDiv1,
    postDiv2,
    actualMhz: vcoMhz / (postDiv1 * postDiv2),
    vcoMhz,
    bytes: REGISTERS.PLL0.encode(fields),
  };
}

/** Decode 0x08 register bytes of `model` back to dividers and frequency; undefined if a divider is 0. */
export function decodePll(model: ChipModel, bytes: Uint8Array): PllSetting | undefined {
  const f = REGISTERS.PLL0.decode(bytes);
  const minusOne = CHIPS[model].postDivMinusOne;
  const pd1 = minusOne ? f.postDiv1Field + 1 : f.postDiv1Field;
  const pd2 = minusOne ? f.postDiv2Field + 1 : f.postDiv2Field;
  if (f.refDiv === 0 || pd1 === 0 || pd2 === 0) return undefined;
  const vcoMhz = (REF_MHZ * f.fbDiv) / f.refDiv;
  return {
    fbDiv: f.fbDiv,
    refDiv: f.refDiv,
    postDiv1: pd1,
    postDiv2: pd2,
    actualMhz: vcoMhz / (pd1 * pd2),
    vcoMhz,
    bytes: Uint8Array.from(bytes.subarray(0, 4)),
  };
}

const STEP_MHZ = 6.25;

/**
 * The frequencies ESP-Miner writes to go from `fromMhz` to `toMhz` (§5.3): whole 6.25 MHz
 * steps (floor going up, ceil going down), then the exact target if it is not on the grid.
 * A change of less than one step is a single direct write; no change is no write.
 */
export function rampSteps(fromMhz: number, toMhz: number): number[] {
  if (Math.abs(toMhz - fromMhz) < EPS) return [];
  if (Math.abs(toMhz - fromMhz) < STEP_MHZ) return [toMhz];
  const steps: number[] = [];
  if (toMhz > fromMhz) {
    const last = Math.floor(toMhz / STEP_MHZ + EPS);
    for (let i = Math.floor(fromMhz / STEP_MHZ + EPS) + 1; i <= last; i++) steps.push(i * STEP_MHZ);
  } else {
    const last = Math.ceil(toMhz / STEP_MHZ - EPS);
    for (let i = Math.ceil(fromMhz / STEP_MHZ - EPS) - 1; i >= last; i--) steps.push(i * STEP_MHZ);
  }
  if (steps.length === 0 || Math.abs((steps[steps.length - 1] ?? 0) - toMhz) > EPS) steps.push(toMhz);
  return steps;
}

/** Power-on PLL frequency the ramp starts from (ESP-Miner, §5.3). */
export const POWER_ON_MHZ = 50;
