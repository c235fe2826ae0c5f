/**
 * TPS546D24A configurations per board family, the values ESP-Miner's vcore.c and TPS546.h give
 * the Bitaxe boards (bm13xx.md §10.1). Output limits and margins are multiples of VOUT_COMMAND,
 * which is how the TPS546 (VOUT_MODE REL bit) takes them.
 */

export interface Tps546Profile {
  readonly name: string;
  /** PHASE: 0x00 one phase, 0xFF all phases of a stack. */
  readonly phase: number;
  readonly stackConfig: number;
  readonly syncConfig: number;
  /** Five COMPENSATION_CONFIG bytes, written only when given (the stacked GammaTurbo). */
  readonly compensation?: readonly number[];
  readonly frequencyKhz: number;
  readonly vin: {
    readonly onV: number;
    readonly offV: number;
    /** Written only when above 0 (ESP-Miner skips it on 5 V boards). */
    readonly uvWarnV: number;
    readonly ovFaultV: number;
    readonly ovFaultResponse: number;
  };
  readonly vout: {
    readonly scaleLoop: number;
    readonly minV: number;
    readonly maxV: number;
    readonly commandV: number;
    readonly ovFault: number;
    readonly ovWarn: number;
    readonly marginHigh: number;
    readonly marginLow: number;
    readonly uvWarn: number;
    readonly uvFault: number;
  };
  readonly iout: { readonly ocWarnA: number; readonly ocFaultA: number; readonly ocFaultResponse: number };
  readonly temperature: {
    readonly otWarnC: number;
    readonly otFaultC: number;
    readonly otFaultResponse: number;
  };
  readonly timing: {
    readonly tonDelayMs: number;
    readonly tonRiseMs: number;
    readonly tonMaxFaultLimitMs: number;
    readonly tonMaxFaultResponse: number;
    readonly toffDelayMs: number;
    readonly toffFallMs: number;
  };
  readonly pinDetectOverride: number;
}

// Shared by every family: ratios of VOUT_COMMAND, fault responses and timings (TPS546.h).
const COMMON = {
  frequencyKhz: 650,
  ratios: { ovFault: 1.25, ovWarn: 1.16, marginHigh: 1.1, marginLow: 0.9, uvWarn: 0.9, uvFault: 0.75 },
  // VIN OV: shut down, retry 6 times, 7 PWM clocks delay (0xB7); IOUT OC: shut down, latch off
  // (0xC0); OT: off until below the warn limit, then retry (0xFF).
  vinOvFaultResponse: 0xb7,
  iout: { ocFaultResponse: 0xc0 },
  temperature: { otWarnC: 105, otFaultC: 145, otFaultResponse: 0xff },
  timing: {
    tonDelayMs: 0,
    tonRiseMs: 3,
    tonMaxFaultLimitMs: 0,
    tonMaxFaultResponse: 0x3b,
    toffDelayMs: 0,
    toffFallMs: 0,
  },
  pinDetectOverride: 0xffff,
} as const;

/** 5 V single-regulator boards: Gamma, Supra 402/403, Ultra 207, GammaDuo. */
export const TPS546_5V_SINGLE: Tps546Profile = {
  name: '5V single phase',
  phase: 0x00,
  stackConfig: 0x0000,
  syncConfig: 0x10,
  frequencyKhz: COMMON.frequencyKhz,
  vin: { onV: 4.8, offV: 4.5, uvWarnV: 0, ovFaultV: 6.5, ovFaultResponse: COMMON.vinOvFaultResponse },
  vout: { scaleLoop: 0.25, minV: 1, maxV: 2, commandV: 1.2, ...COMMON.ratios },
  iout: { ocWarnA: 25, ocFaultA: 30, ...COMMON.iout },
  temperature: COMMON.temperature,
  timing: COMMON.timing,
  pinDetectOverride: COMMON.pinDetectOverride,
};

/** 12 V boards with three series voltage domains: Hex, SupraHex. */
export const TPS546_12V_THREE_DOMAINS: Tps546Profile = {
  name: '12V single phase, 3 domains',
  phase: 0x00,
  stackConfig: 0x0000,
  syncConfig: 0x10,
  frequencyKhz: COMMON.frequencyKhz,
  vin: { onV: 11.5, offV: 11, uvWarnV: 11, ovFaultV: 14.8, ovFaultResponse: COMMON.vinOvFaultResponse },
  vout: { scaleLoop: 0.125, minV: 2.5, maxV: 4.5, commandV: 3.6, ...COMMON.ratios },
  iout: { ocWarnA: 25, ocFaultA: 30, ...COMMON.iout },
  temperature: COMMON.temperature,
  timing: COMMON.timing,
  pinDetectOverride: COMMON.pinDetectOverride,
};

/** 12 V two-phase stack: GammaTurbo. */
export const TPS546_12V_TWO_PHASE: Tps546Profile = {
  name: '12V two-phase stack',
  phase: 0xff,
  stackConfig: 0x0001,
  syncConfig: 0xd0,
  compensation: [0x12, 0x34, 0x42, 0x21, 0x04],
  frequencyKhz: COMMON.frequencyKhz,
  vin: { onV: 11, offV: 10.5, uvWarnV: 11, ovFaultV: 14.8, ovFaultResponse: COMMON.vinOvFaultResponse },
  vout: { scaleLoop: 0.25, minV: 1, maxV: 3, commandV: 1.2, ...COMMON.ratios },
  iout: { ocWarnA: 50, ocFaultA: 55, ...COMMON.iout },
  temperature: COMMON.temperature,
  timing: COMMON.timing,
  pinDetectOverride: COMMON.pinDetectOverride,
};
