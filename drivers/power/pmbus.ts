/**
 * PMBus as the TPS546D24A speaks it: command codes, the LINEAR11 and ULINEAR16 number formats,
 * and STATUS_WORD with its sub-registers decoded into named faults. Encodings follow what
 * ESP-Miner writes to the same regulator (truncating, not rounding), so a board profile puts the
 * bytes on the wire that the boards ship with.
 */

export const PMBUS = {
  OPERATION: 0x01,
  ON_OFF_CONFIG: 0x02,
  CLEAR_FAULTS: 0x03,
  PHASE: 0x04,
  VOUT_MODE: 0x20,
  VOUT_COMMAND: 0x21,
  VOUT_MAX: 0x24,
  VOUT_MARGIN_HIGH: 0x25,
  VOUT_MARGIN_LOW: 0x26,
  VOUT_SCALE_LOOP: 0x29,
  VOUT_MIN: 0x2b,
  FREQUENCY_SWITCH: 0x33,
  VIN_ON: 0x35,
  VIN_OFF: 0x36,
  VOUT_OV_FAULT_LIMIT: 0x40,
  VOUT_OV_FAULT_RESPONSE: 0x41,
  VOUT_OV_WARN_LIMIT: 0x42,
  VOUT_UV_WARN_LIMIT: 0x43,
  VOUT_UV_FAULT_LIMIT: 0x44,
  VOUT_UV_FAULT_RESPONSE: 0x45,
  IOUT_OC_FAULT_LIMIT: 0x46,
  IOUT_OC_FAULT_RESPONSE: 0x47,
  IOUT_OC_WARN_LIMIT: 0x4a,
  OT_FAULT_LIMIT: 0x4f,
  OT_FAULT_RESPONSE: 0x50,
  OT_WARN_LIMIT: 0x51,
  VIN_OV_FAULT_LIMIT: 0x55,
  VIN_OV_FAULT_RESPONSE: 0x56,
  VIN_UV_WARN_LIMIT: 0x58,
  TON_DELAY: 0x60,
  TON_RISE: 0x61,
  TON_MAX_FAULT_LIMIT: 0x62,
  TON_MAX_FAULT_RESPONSE: 0x63,
  TOFF_DELAY: 0x64,
  TOFF_FALL: 0x65,
  STATUS_WORD: 0x79,
  STATUS_VOUT: 0x7a,
  STATUS_IOUT: 0x7b,
  STATUS_INPUT: 0x7c,
  STATUS_TEMPERATURE: 0x7d,
  STATUS_CML: 0x7e,
  STATUS_OTHER: 0x7f,
  STATUS_MFR_SPECIFIC: 0x80,
  READ_VIN: 0x88,
  READ_VOUT: 0x8b,
  READ_IOUT: 0x8c,
  READ_TEMPERATURE_1: 0x8d,
  IC_DEVICE_ID: 0xad,
  COMPENSATION_CONFIG: 0xb1,
  SYNC_CONFIG: 0xe4,
  STACK_CONFIG: 0xec,
  PIN_DETECT_OVERRIDE: 0xee,
} as const;

const MANTISSA_MAX = 1023;

/** A LINEAR11 word: 5-bit two's-complement exponent over an 11-bit two's-complement mantissa. */
export function decodeLinear11(word: number): number {
  const exponentBits = (word >> 11) & 0x1f;
  const mantissaBits = word & 0x7ff;
  const exponent = exponentBits & 0x10 ? exponentBits - 0x20 : exponentBits;
  const mantissa = mantissaBits & 0x400 ? mantissaBits - 0x800 : mantissaBits;
  return mantissa * 2 ** exponent;
}

function packLinear11(exponent: number, mantissa: number): number {
  return ((exponent & 0x1f) << 11) | (mantissa & 0x7ff);
}

function checkLinear11Input(what: string, value: number): void {
  if (!Number.isFinite(value) || value < 0)
    throw new RangeError(`PMBus ${what} ${value}: expected a finite value >= 0`);
}

/**
 * The finest LINEAR11 for a fractional quantity (volts, amps, the loop scale): the smallest
 * exponent whose truncated mantissa still fits 10 bits, as ESP-Miner encodes VIN, IOUT and
 * VOUT_SCALE_LOOP (4.8 V -> 0xEA66).
 */
export function encodeLinear11(value: number, what = 'value'): number {
  checkLinear11Input(what, value);
  if (value === 0) return 0;
  for (let exponent = -16; exponent <= 15; exponent++) {
    const mantissa = Math.trunc(value / 2 ** exponent);
    if (mantissa <= MANTISSA_MAX) {
      if (mantissa === 0) throw new RangeError(`PMBus ${what} ${value}: below LINEAR11 resolution`);
      return packLinear11(exponent, mantissa);
    }
  }
  throw new RangeError(`PMBus ${what} ${value}: beyond LINEAR11 range`);
}

/**
 * LINEAR11 for a whole quantity (kHz, °C, ms): exponent 0 up from, as ESP-Miner encodes the
 * switching frequency, temperatures and timings (650 kHz -> 0x028A, 145 °C -> 0x0091).
 */
export function encodeLinear11Integer(value: number, what = 'value'): number {
  checkLinear11Input(what, value);
  if (!Number.isInteger(value)) throw new RangeError(`PMBus ${what} ${value}: expected a whole number`);
  for (let exponent = 0; exponent <= 15; exponent++) {
    const mantissa = Math.trunc(value / 2 ** exponent);
    if (mantissa <= MANTISSA_MAX) return packLinear11(exponent, mantissa);
  }
  throw new RangeError(`PMBus ${what} ${value}: beyond LINEAR11 range`);
}

/** VOUT_MODE: bits 6..5 the format (00 = ULINEAR16), 4..0 the exponent; TPS546 bit 7 = relative limits. */
export interface VoutMode {
  readonly exponent: number;
  /** Limits and margins are multiples of VOUT_COMMAND, not volts (TPS546D24A's REL bit). */
  readonly relative: boolean;
}

export function decodeVoutMode(byte: number): VoutMode {
  if (((byte >> 5) & 0x03) !== 0)
    throw new Error(`VOUT_MODE 0x${byte.toString(16)}: not ULINEAR16 (mode bits ${(byte >> 5) & 0x03})`);
  const bits = byte & 0x1f;
  return { exponent: bits & 0x10 ? bits - 0x20 : bits, relative: (byte & 0x80) !== 0 };
}

/** A ULINEAR16 word for `value` at the VOUT_MODE exponent, truncated as ESP-Miner does. */
export function encodeUlinear16(value: number, mode: VoutMode, what = 'voltage'): number {
  if (!Number.isFinite(value) || value < 0)
    throw new RangeError(`PMBus ${what} ${value}: expected a finite value >= 0`);
  const word = Math.trunc(value / 2 ** mode.exponent);
  if (word > 0xffff) throw new RangeError(`PMBus ${what} ${value}: beyond ULINEAR16 range`);
  return word;
}

export function decodeUlinear16(word: number, mode: VoutMode): number {
  return (word & 0xffff) * 2 ** mode.exponent;
}

// STATUS_WORD bits (PMBus part II); the high byte says which sub-register to read.
const STATUS_WORD_BITS: readonly [number, string][] = [
  [0x8000, 'vout'],
  [0x4000, 'iout'],
  [0x2000, 'input'],
  [0x1000, 'mfr'],
  [0x0800, 'power_not_good'],
  [0x0200, 'other'],
  [0x0080, 'busy'],
  [0x0040, 'off'],
  [0x0020, 'vout_ov_fault'],
  [0x0010, 'iout_oc_fault'],
  [0x0008, 'vin_uv_fault'],
  [0x0004, 'temperature'],
  [0x0002, 'cml'],
  [0x0001, 'none_of_the_above'],
];

const STATUS_SUB_BITS = {
  vout: [
    [0x80, 'vout_ov_fault'],
    [0x40, 'vout_ov_warning'],
    [0x20, 'vout_uv_warning'],
    [0x10, 'vout_uv_fault'],
    [0x08, 'vout_min_max'],
    [0x04, 'ton_max_fault'],
  ],
  iout: [
    [0x80, 'iout_oc_fault'],
    [0x20, 'iout_oc_warning'],
  ],
  input: [
    [0x80, 'vin_ov_fault'],
    [0x20, 'vin_uv_warning'],
    [0x08, 'vin_low'],
  ],
  temperature: [
    [0x80, 'ot_fault'],
    [0x40, 'ot_warning'],
  ],
  cml: [
    [0x80, 'invalid_command'],
    [0x40, 'invalid_data'],
    [0x20, 'pec_failed'],
    [0x10, 'memory_fault'],
    [0x08, 'logic_fault'],
    [0x02, 'communication_fault'],
  ],
  other: [[0x01, 'first_to_alert']],
  mfr: [
    [0x80, 'power_on_reset_fault'],
    [0x40, 'self_check_pending'],
    [0x08, 'reset_vout'],
    [0x04, 'bcx_fault'],
    [0x02, 'sync_fault'],
  ],
} as const satisfies Record<string, readonly (readonly [number, string])[]>;

type StatusGroup = keyof typeof STATUS_SUB_BITS;

export const STATUS_SUB_COMMAND: Readonly<Record<StatusGroup, number>> = {
  vout: PMBUS.STATUS_VOUT,
  iout: PMBUS.STATUS_IOUT,
  input: PMBUS.STATUS_INPUT,
  temperature: PMBUS.STATUS_TEMPERATURE,
  cml: PMBUS.STATUS_CML,
  other: PMBUS.STATUS_OTHER,
  mfr: PMBUS.STATUS_MFR_SPECIFIC,
};

export function statusWordFlags(word: number): string[] {
  return STATUS_WORD_BITS.filter(([bit]) => (word & bit) !== 0).map(([, name]) => name);
}

export function statusByteFlags(group: StatusGroup, byte: number): string[] {
  return STATUS_SUB_BITS[group].filter(([bit]) => (byte & bit) !== 0).map(([, name]) => name);
}

/** Sub-registers STATUS_WORD points at (the TEMP and CML low bits have their own registers). */
export function statusGroupsToRead(word: number): StatusGroup[] {
  const groups: StatusGroup[] = [];
  if (word & 0x8000) groups.push('vout');
  if (word & 0x4000) groups.push('iout');
  if (word & 0x2000) groups.push('input');
  if (word & 0x1000) groups.push('mfr');
  if (word & 0x0200) groups.push('other');
  if (word & 0x0004) groups.push('temperature');
  if (word & 0x0002) groups.push('cml');
  return groups;
}

/**
 * The STATUS_WORD bits that mean the output is not safe to hash on: off, output over-voltage,
 * over-current, input under-voltage, temperature (ESP-Miner's power-fault set), plus a latched
 * fault in any sub-register.
 */
export const HARD_FAULT_BITS = 0x0040 | 0x0020 | 0x0010 | 0x0008 | 0x0004;
