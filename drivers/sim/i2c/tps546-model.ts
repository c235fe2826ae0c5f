/**
 * A TPS546D24A at register level for simulated boards: PMBus byte, word and block commands as
 * the part sizes them, VOUT_MODE 0x97 (ULINEAR16, exponent -9, limits relative to VOUT_COMMAND),
 * an output that is on only when OPERATION says so, the input is above VIN_ON and no fault is
 * latched, and telemetry that follows. Faults are injected by name and latch the output off
 * as the configured responses would, until CLEAR_FAULTS; `onOutput` tells the board (the
 * simulated chips) when the core rail comes and goes.
 */
import type { I2cDevice } from '../../peripherals/fake-i2c.js';
import {
  decodeLinear11,
  decodeUlinear16,
  decodeVoutMode,
  encodeLinear11,
  encodeUlinear16,
  PMBUS,
} from '../../power/pmbus.js';

const BYTE_COMMANDS = new Set<number>([
  PMBUS.OPERATION,
  PMBUS.ON_OFF_CONFIG,
  PMBUS.PHASE,
  PMBUS.VOUT_MODE,
  PMBUS.SYNC_CONFIG,
  PMBUS.VOUT_OV_FAULT_RESPONSE,
  PMBUS.VOUT_UV_FAULT_RESPONSE,
  PMBUS.IOUT_OC_FAULT_RESPONSE,
  PMBUS.OT_FAULT_RESPONSE,
  PMBUS.VIN_OV_FAULT_RESPONSE,
  PMBUS.TON_MAX_FAULT_RESPONSE,
  PMBUS.STATUS_VOUT,
  PMBUS.STATUS_IOUT,
  PMBUS.STATUS_INPUT,
  PMBUS.STATUS_TEMPERATURE,
  PMBUS.STATUS_CML,
  PMBUS.STATUS_OTHER,
  PMBUS.STATUS_MFR_SPECIFIC,
]);
const WORD_COMMANDS = new Set<number>([
  PMBUS.VOUT_COMMAND,
  PMBUS.VOUT_MAX,
  PMBUS.VOUT_MARGIN_HIGH,
  PMBUS.VOUT_MARGIN_LOW,
  PMBUS.VOUT_SCALE_LOOP,
  PMBUS.VOUT_MIN,
  PMBUS.FREQUENCY_SWITCH,
  PMBUS.VIN_ON,
  PMBUS.VIN_OFF,
  PMBUS.VOUT_OV_FAULT_LIMIT,
  PMBUS.VOUT_OV_WARN_LIMIT,
  PMBUS.VOUT_UV_WARN_LIMIT,
  PMBUS.VOUT_UV_FAULT_LIMIT,
  PMBUS.IOUT_OC_FAULT_LIMIT,
  PMBUS.IOUT_OC_WARN_LIMIT,
  PMBUS.OT_FAULT_LIMIT,
  PMBUS.OT_WARN_LIMIT,
  PMBUS.VIN_OV_FAULT_LIMIT,
  PMBUS.VIN_UV_WARN_LIMIT,
  PMBUS.TON_DELAY,
  PMBUS.TON_RISE,
  PMBUS.TON_MAX_FAULT_LIMIT,
  PMBUS.TOFF_DELAY,
  PMBUS.TOFF_FALL,
  PMBUS.STACK_CONFIG,
  PMBUS.PIN_DETECT_OVERRIDE,
  PMBUS.STATUS_WORD,
  PMBUS.READ_VIN,
  PMBUS.READ_VOUT,
  PMBUS.READ_IOUT,
  PMBUS.READ_TEMPERATURE_1,
]);
const READ_ONLY = new Set<number>([
  PMBUS.VOUT_MODE,
  PMBUS.STATUS_WORD,
  PMBUS.READ_VIN,
  PMBUS.READ_VOUT,
  PMBUS.READ_IOUT,
  PMBUS.READ_TEMPERATURE_1,
  PMBUS.IC_DEVICE_ID,
]);

/** Each injectable fault: the sub-register and bit it latches, and whether it cuts the output. */
export const TPS546_FAULTS = {
  vout_ov_fault: { register: PMBUS.STATUS_VOUT, bit: 0x80, cuts: true },
  vout_ov_warning: { register: PMBUS.STATUS_VOUT, bit: 0x40, cuts: false },
  vout_uv_warning: { register: PMBUS.STATUS_VOUT, bit: 0x20, cuts: false },
  vout_uv_fault: { register: PMBUS.STATUS_VOUT, bit: 0x10, cuts: true },
  ton_max_fault: { register: PMBUS.STATUS_VOUT, bit: 0x04, cuts: true },
  iout_oc_fault: { register: PMBUS.STATUS_IOUT, bit: 0x80, cuts: true },
  iout_oc_warning: { register: PMBUS.STATUS_IOUT, bit: 0x20, cuts: false },
  vin_ov_fault: { register: PMBUS.STATUS_INPUT, bit: 0x80, cuts: true },
  vin_uv_warning: { register: PMBUS.STATUS_INPUT, bit: 0x20, cuts: false },
  ot_fault: { register: PMBUS.STATUS_TEMPERATURE, bit: 0x80, cuts: true },
  ot_warning: { register: PMBUS.STATUS_TEMPERATURE, bit: 0x40, cuts: false },
  memory_fault: { register: PMBUS.STATUS_CML, bit: 0x10, cuts: false },
  power_on_reset_fault: { register: PMBUS.STATUS_MFR_SPECIFIC, bit: 0x80, cuts: true },
} as const;
export type Tps546Fault = keyof typeof TPS546_FAULTS;

interface Tps546ModelOptions {
  readonly vinV?: number;
  readonly deviceId?: readonly number[];
  /** Amps drawn at a core rail of `volts` (the simulated chips' load). */
  readonly load?: (volts: number) => number;
  readonly onOutput?: (on: boolean, volts: number) => void;
}

export class Tps546Model implements I2cDevice {
  vinV: number;
  temperatureC = 40;
  /** Absurd-reading injection: READ_* answer these raw words instead of the truth. */
  readonly readOverride = new Map<number, number>();
  private readonly bytes = new Map<number, number>([
    [PMBUS.VOUT_MODE, 0x97],
    [PMBUS.OPERATION, 0x00],
  ]);
  private readonly words = new Map<number, number>();
  private compensation = Uint8Array.of(0, 0, 0, 0, 0);
  private readonly deviceId: readonly number[];
  private readonly load: (volts: number) => number;
  private readonly onOutput: ((on: boolean, volts: number) => void) | undefined;
  private outputOn = false;

  constructor(options: Tps546ModelOptions = {}) {
    this.vinV = options.vinV ?? 5;
    this.deviceId = options.deviceId ?? [0x54, 0x49, 0x54, 0x6d, 0x24, 0x41];
    this.load = options.load ?? (() => 0);
    this.onOutput = options.onOutput;
    // Power-on defaults: VIN_ON 4.25 V is below the 5 V input, VOUT_COMMAND 1.0 V.
    this.words.set(PMBUS.VIN_ON, encodeLinear11(4.25));
    this.words.set(PMBUS.VOUT_COMMAND, 512);
  }

  /** The output voltage now (0 when off). */
  get voutV(): number {
    return this.outputOn ? decodeUlinear16(this.words.get(PMBUS.VOUT_COMMAND) ?? 0, this.mode()) : 0;
  }

  get on(): boolean {
    return this.outputOn;
  }

  inject(fault: Tps546Fault): void {
    const f = TPS546_FAULTS[fault];
    this.bytes.set(f.register, (this.bytes.get(f.register) ?? 0) | f.bit);
    this.update();
  }

  transfer(write: Uint8Array, readLength: number): Uint8Array {
    const command = write[0];
    if (command === undefined) return new Uint8Array(readLength);
    if (write.length > 1 || command === PMBUS.CLEAR_FAULTS) this.write(command, write.subarray(1));
    const out = this.read(command);
    return Uint8Array.from({ length: readLength }, (_, i) => out[i] ?? 0xff);
  }

  private write(command: number, data: Uint8Array): void {
    if (command === PMBUS.CLEAR_FAULTS && data.length === 0) {
      for (const f of Object.values(TPS546_FAULTS)) this.bytes.set(f.register, 0);
      this.bytes.set(PMBUS.STATUS_CML, 0);
    } else if (READ_ONLY.has(command)) this.invalid(0x40);
    else if (BYTE_COMMANDS.has(command) && data.length === 1) this.bytes.set(command, data[0] ?? 0);
    else if (WORD_COMMANDS.has(command) && data.length === 2)
      this.words.set(command, (data[0] ?? 0) | ((data[1] ?? 0) << 8));
    else if (command === PMBUS.COMPENSATION_CONFIG && data.length === 6 && data[0] === 5)
      this.compensation = data.slice(1);
    else this.invalid(BYTE_COMMANDS.has(command) || WORD_COMMANDS.has(command) ? 0x40 : 0x80);
    this.update();
  }

  private read(command: number): Uint8Array {
    if (command === PMBUS.IC_DEVICE_ID) return Uint8Array.of(this.deviceId.length, ...this.deviceId);
    if (command === PMBUS.COMPENSATION_CONFIG) return Uint8Array.of(5, ...this.compensation);
    if (BYTE_COMMANDS.has(command)) return Uint8Array.of(this.bytes.get(command) ?? 0);
    if (WORD_COMMANDS.has(command)) {
      const word = this.readOverride.get(command) ?? this.wordValue(command);
      return Uint8Array.of(word & 0xff, word >> 8);
    }
    return new Uint8Array(0);
  }

  private wordValue(command: number): number {
    switch (command) {
      case PMBUS.STATUS_WORD:
        return this.statusWord();
      case PMBUS.READ_VIN:
        return encodeLinear11(this.vinV);
      case PMBUS.READ_VOUT:
        return encodeUlinear16(this.voutV, this.mode());
      case PMBUS.READ_IOUT:
        return this.outputOn ? encodeLinear11(Math.max(0, this.load(this.voutV))) : 0;
      case PMBUS.READ_TEMPERATURE_1:
        return encodeLinear11(Math.max(0, Math.round(this.temperatureC)));
      default:
        return this.words.get(command) ?? 0;
    }
  }

  private statusWord(): number {
    const b = (r: number): number => this.bytes.get(r) ?? 0;
    let word = 0;
    if (b(PMBUS.STATUS_VOUT)) word |= 0x8000;
    if (b(PMBUS.STATUS_IOUT)) word |= 0x4000;
    if (b(PMBUS.STATUS_INPUT)) word |= 0x2000;
    if (b(PMBUS.STATUS_MFR_SPECIFIC)) word |= 0x1000;
    if (!this.outputOn) word |= 0x0800 | 0x0040;
    if (b(PMBUS.STATUS_VOUT) & 0x80) word |= 0x0020;
    if (b(PMBUS.STATUS_IOUT) & 0x80) word |= 0x0010;
    if (this.vinV < this.vinOnV()) word |= 0x0008;
    if (b(PMBUS.STATUS_TEMPERATURE)) word |= 0x0004;
    if (b(PMBUS.STATUS_CML)) word |= 0x0002;
    return word;
  }

  private invalid(bit: number): void {
    this.bytes.set(PMBUS.STATUS_CML, (this.bytes.get(PMBUS.STATUS_CML) ?? 0) | bit);
  }

  private vinOnV(): number {
    return decodeLinear11(this.words.get(PMBUS.VIN_ON) ?? 0);
  }

  private mode() {
    return decodeVoutMode(this.bytes.get(PMBUS.VOUT_MODE) ?? 0x97);
  }

  private update(): void {
    const latched = Object.values(TPS546_FAULTS).some(
      (f) => f.cuts && ((this.bytes.get(f.register) ?? 0) & f.bit) !== 0,
    );
    const on = this.bytes.get(PMBUS.OPERATION) === 0x80 && this.vinV >= this.vinOnV() && !latched;
    if (on === this.outputOn) return;
    this.outputOn = on;
    this.onOutput?.(on, this.voutV);
  }
}
