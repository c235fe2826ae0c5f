/**
 * The TPS546D24A buck regulator that makes the core voltage on TPS546 boards (Bitaxe Gamma,
 * Supra 402+, Hex, SupraHex, GammaTurbo; bm13xx.md §10.1), over any I2cBus. `configure` checks
 * the device id and writes a board profile with the output off; `setCoreVoltage` sets the
 * output per chip (times the board's series voltage domains) and switches it on; `status`
 * decodes STATUS_WORD and the sub-registers it points at; `telemetry` reads VIN, VOUT, IOUT and
 * the regulator temperature.
 */
import type { I2cBus } from '../peripherals/i2c.js';
import {
  decodeLinear11,
  decodeUlinear16,
  decodeVoutMode,
  encodeLinear11,
  encodeLinear11Integer,
  encodeUlinear16,
  HARD_FAULT_BITS,
  PMBUS,
  STATUS_SUB_COMMAND,
  statusByteFlags,
  statusGroupsToRead,
  statusWordFlags,
  type VoutMode,
} from './pmbus.js';
import type { Tps546Profile } from './tps546-profiles.js';

const TPS546_ADDRESS = 0x24;

/** IC_DEVICE_ID of the parts the boards carry: "TI" "Tm" 0x24 then 'A' or 'b'. */
const TPS546_DEVICE_IDS: readonly (readonly number[])[] = [
  [0x54, 0x49, 0x54, 0x6d, 0x24, 0x41],
  [0x54, 0x49, 0x54, 0x6d, 0x24, 0x62],
];

const OPERATION_OFF = 0x00;
const OPERATION_ON = 0x80;
/** Power-up before configuration: OPERATION command and CONTROL pin, active high, immediate off. */
const ON_OFF_CONFIG_PROBE = 0x1f;
/** Running: the OPERATION command alone switches the output (CONTROL pin ignored). */
const ON_OFF_CONFIG_RUN = 0x1b;

const ID_ATTEMPTS = 6;
const ID_RETRY_MS = 3;

interface Tps546Options {
  readonly address?: number;
  readonly profile: Tps546Profile;
  /** Chips in series on the core rail: the output is core voltage times this. */
  readonly voltageDomains: number;
  /** Waits between device-id attempts; tests pass an instant one. */
  readonly sleep?: (ms: number) => Promise<void>;
}

interface RegulatorStatus {
  readonly word: number;
  /** STATUS_WORD's named bits, then each sub-register's, e.g. ['off', 'iout', 'iout_oc_fault']. */
  readonly flags: readonly string[];
  /** True when the output must be treated as unsafe (off, OV, OC, UV, temperature, a latched output fault). */
  readonly fault: boolean;
}

interface RegulatorTelemetry {
  readonly vinV: number;
  readonly voutV: number;
  /** VOUT per voltage domain, i.e. what each chip sees. */
  readonly coreMv: number;
  readonly ioutA: number;
  readonly temperatureC: number;
}

const sleepMs = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const hex = (bytes: Iterable<number>): string =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');

export class Tps546 {
  readonly address: number;
  readonly profile: Tps546Profile;
  readonly voltageDomains: number;
  private readonly bus: I2cBus;
  private readonly sleep: (ms: number) => Promise<void>;
  private mode: VoutMode | undefined;

  constructor(bus: I2cBus, options: Tps546Options) {
    if (!Number.isInteger(options.voltageDomains) || options.voltageDomains < 1)
      throw new RangeError(`TPS546 voltage domains ${options.voltageDomains}: expected a whole number >= 1`);
    this.bus = bus;
    this.address = options.address ?? TPS546_ADDRESS;
    this.profile = options.profile;
    this.voltageDomains = options.voltageDomains;
    this.sleep = options.sleep ?? sleepMs;
  }

  /** The core voltage range (mV per chip) the profile's VOUT_MIN..VOUT_MAX allows. */
  coreRangeMv(): { min: number; max: number } {
    const { minV, maxV } = this.profile.vout;
    return {
      min: Math.ceil((minV * 1000) / this.voltageDomains),
      max: Math.floor((maxV * 1000) / this.voltageDomains),
    };
  }

  /** Checks the part, turns the output off and writes the whole profile. */
  async configure(): Promise<void> {
    await this.checkDeviceId();
    await this.bus.writeByte(this.address, PMBUS.OPERATION, OPERATION_OFF);
    await this.bus.writeByte(this.address, PMBUS.ON_OFF_CONFIG, ON_OFF_CONFIG_PROBE);
    this.mode = decodeVoutMode(await this.bus.readByte(this.address, PMBUS.VOUT_MODE));
    await this.writeProfile(this.mode);
    await this.clearFaults();
  }

  /** Sets VOUT to `coreMv` x domains with limits that follow it, and switches the output on. */
  async setCoreVoltage(coreMv: number): Promise<void> {
    const mode = this.requireMode();
    const volts = (coreMv / 1000) * this.voltageDomains;
    const { minV, maxV } = this.profile.vout;
    if (!Number.isFinite(volts) || volts < minV || volts > maxV) {
      const range = this.coreRangeMv();
      throw new RangeError(`core voltage ${coreMv} mV: this board allows ${range.min}..${range.max} mV`);
    }
    await this.bus.writeWord(this.address, PMBUS.VOUT_COMMAND, encodeUlinear16(volts, mode, 'VOUT_COMMAND'));
    await this.writeOutputLimits(mode, volts);
    await this.bus.writeByte(this.address, PMBUS.OPERATION, OPERATION_ON);
    const operation = await this.bus.readByte(this.address, PMBUS.OPERATION);
    if (operation !== OPERATION_ON)
      throw new Error(
        `TPS546 at 0x${this.address.toString(16)}: OPERATION reads 0x${operation.toString(16)} after switching on`,
      );
  }

  async off(): Promise<void> {
    await this.bus.writeByte(this.address, PMBUS.OPERATION, OPERATION_OFF);
  }

  async clearFaults(): Promise<void> {
    await this.bus.sendByte(this.address, PMBUS.CLEAR_FAULTS);
  }

  async status(): Promise<RegulatorStatus> {
    const word = await this.bus.readWord(this.address, PMBUS.STATUS_WORD);
    const flags = statusWordFlags(word);
    let latched = false;
    for (const group of statusGroupsToRead(word)) {
      const byte = await this.bus.readByte(this.address, STATUS_SUB_COMMAND[group]);
      const named = statusByteFlags(group, byte);
      // CML faults are about the bus and the part's memory, not the output: logged, not a stop.
      if (group !== 'cml' && named.some((f) => f.endsWith('_fault'))) latched = true;
      flags.push(...named);
    }
    // STATUS_WORD repeats the OV and OC fault bits of STATUS_VOUT and STATUS_IOUT: name each once.
    return { word, flags: [...new Set(flags)], fault: (word & HARD_FAULT_BITS) !== 0 || latched };
  }

  async telemetry(): Promise<RegulatorTelemetry> {
    const mode = this.mode ?? decodeVoutMode(await this.bus.readByte(this.address, PMBUS.VOUT_MODE));
    const vinV = decodeLinear11(await this.bus.readWord(this.address, PMBUS.READ_VIN));
    const voutV = decodeUlinear16(await this.bus.readWord(this.address, PMBUS.READ_VOUT), mode);
    const ioutA = decodeLinear11(await this.bus.readWord(this.address, PMBUS.READ_IOUT));
    const temperatureC = decodeLinear11(await this.bus.readWord(this.address, PMBUS.READ_TEMPERATURE_1));
    return { vinV, voutV, coreMv: Math.round((voutV * 1000) / this.voltageDomains), ioutA, temperatureC };
  }

  /** READ_TEMPERATURE_1 alone: the overheat check reads it twice a second, the rest of the telemetry every 5 s. */
  async temperatureC(): Promise<number> {
    return decodeLinear11(await this.bus.readWord(this.address, PMBUS.READ_TEMPERATURE_1));
  }

  private async checkDeviceId(): Promise<void> {
    let last = 'no answer';
    for (let attempt = 1; attempt <= ID_ATTEMPTS; attempt++) {
      try {
        const id = await this.bus.readBlockData(this.address, PMBUS.IC_DEVICE_ID, 6);
        if (TPS546_DEVICE_IDS.some((known) => known.every((b, i) => id[i] === b))) return;
        last = `device id ${hex(id)}`;
      } catch (err) {
        last = err instanceof Error ? err.message : String(err);
      }
      // The regulator answers PMBus about 8 ms after its input comes up; a few short waits cover it.
      if (attempt < ID_ATTEMPTS) await this.sleep(ID_RETRY_MS * attempt);
    }
    throw new Error(
      `no TPS546D24A at 0x${this.address.toString(16)} on ${this.bus.path} after ${ID_ATTEMPTS} attempts (${last})`,
    );
  }

  private async writeProfile(mode: VoutMode): Promise<void> {
    const { bus, address: a, profile: p } = this;
    await bus.writeByte(a, PMBUS.ON_OFF_CONFIG, ON_OFF_CONFIG_RUN);
    await bus.writeWord(a, PMBUS.STACK_CONFIG, p.stackConfig);
    await bus.writeByte(a, PMBUS.SYNC_CONFIG, p.syncConfig);
    await bus.writeByte(a, PMBUS.PHASE, p.phase);
    await bus.writeWord(a, PMBUS.FREQUENCY_SWITCH, encodeLinear11Integer(p.frequencyKhz, 'FREQUENCY_SWITCH'));
    if (p.compensation !== undefined)
      await bus.writeBlockData(a, PMBUS.COMPENSATION_CONFIG, Uint8Array.from(p.compensation));
    if (p.vin.uvWarnV > 0)
      await bus.writeWord(a, PMBUS.VIN_UV_WARN_LIMIT, encodeLinear11(p.vin.uvWarnV, 'VIN_UV_WARN_LIMIT'));
    await bus.writeWord(a, PMBUS.VIN_ON, encodeLinear11(p.vin.onV, 'VIN_ON'));
    await bus.writeWord(a, PMBUS.VIN_OFF, encodeLinear11(p.vin.offV, 'VIN_OFF'));
    await bus.writeWord(a, PMBUS.VIN_OV_FAULT_LIMIT, encodeLinear11(p.vin.ovFaultV, 'VIN_OV_FAULT_LIMIT'));
    await bus.writeByte(a, PMBUS.VIN_OV_FAULT_RESPONSE, p.vin.ovFaultResponse);
    await bus.writeWord(a, PMBUS.VOUT_SCALE_LOOP, encodeLinear11(p.vout.scaleLoop, 'VOUT_SCALE_LOOP'));
    await bus.writeWord(a, PMBUS.VOUT_COMMAND, encodeUlinear16(p.vout.commandV, mode, 'VOUT_COMMAND'));
    await bus.writeWord(a, PMBUS.VOUT_MAX, encodeUlinear16(p.vout.maxV, mode, 'VOUT_MAX'));
    await bus.writeWord(a, PMBUS.VOUT_MIN, encodeUlinear16(p.vout.minV, mode, 'VOUT_MIN'));
    await this.writeOutputLimits(mode, p.vout.commandV);
    await bus.writeWord(a, PMBUS.IOUT_OC_WARN_LIMIT, encodeLinear11(p.iout.ocWarnA, 'IOUT_OC_WARN_LIMIT'));
    await bus.writeWord(a, PMBUS.IOUT_OC_FAULT_LIMIT, encodeLinear11(p.iout.ocFaultA, 'IOUT_OC_FAULT_LIMIT'));
    await bus.writeByte(a, PMBUS.IOUT_OC_FAULT_RESPONSE, p.iout.ocFaultResponse);
    await bus.writeWord(
      a,
      PMBUS.OT_WARN_LIMIT,
      encodeLinear11Integer(p.temperature.otWarnC, 'OT_WARN_LIMIT'),
    );
    await bus.writeWord(
      a,
      PMBUS.OT_FAULT_LIMIT,
      encodeLinear11Integer(p.temperature.otFaultC, 'OT_FAULT_LIMIT'),
    );
    await bus.writeByte(a, PMBUS.OT_FAULT_RESPONSE, p.temperature.otFaultResponse);
    const t = p.timing;
    await bus.writeWord(a, PMBUS.TON_DELAY, encodeLinear11Integer(t.tonDelayMs, 'TON_DELAY'));
    await bus.writeWord(a, PMBUS.TON_RISE, encodeLinear11Integer(t.tonRiseMs, 'TON_RISE'));
    await bus.writeWord(
      a,
      PMBUS.TON_MAX_FAULT_LIMIT,
      encodeLinear11Integer(t.tonMaxFaultLimitMs, 'TON_MAX_FAULT_LIMIT'),
    );
    await bus.writeByte(a, PMBUS.TON_MAX_FAULT_RESPONSE, t.tonMaxFaultResponse);
    await bus.writeWord(a, PMBUS.TOFF_DELAY, encodeLinear11Integer(t.toffDelayMs, 'TOFF_DELAY'));
    await bus.writeWord(a, PMBUS.TOFF_FALL, encodeLinear11Integer(t.toffFallMs, 'TOFF_FALL'));
    await bus.writeWord(a, PMBUS.PIN_DETECT_OVERRIDE, p.pinDetectOverride);
  }

  /** OV/UV limits and margins around `volts`: ratios when the part takes them relative, else volts. */
  private async writeOutputLimits(mode: VoutMode, volts: number): Promise<void> {
    const v = this.profile.vout;
    const scale = mode.relative ? 1 : volts;
    const limits: [number, number, string][] = [
      [PMBUS.VOUT_OV_FAULT_LIMIT, v.ovFault, 'VOUT_OV_FAULT_LIMIT'],
      [PMBUS.VOUT_OV_WARN_LIMIT, v.ovWarn, 'VOUT_OV_WARN_LIMIT'],
      [PMBUS.VOUT_MARGIN_HIGH, v.marginHigh, 'VOUT_MARGIN_HIGH'],
      [PMBUS.VOUT_MARGIN_LOW, v.marginLow, 'VOUT_MARGIN_LOW'],
      [PMBUS.VOUT_UV_WARN_LIMIT, v.uvWarn, 'VOUT_UV_WARN_LIMIT'],
      [PMBUS.VOUT_UV_FAULT_LIMIT, v.uvFault, 'VOUT_UV_FAULT_LIMIT'],
    ];
    for (const [command, ratio, what] of limits)
      await this.bus.writeWord(this.address, command, encodeUlinear16(ratio * scale, mode, what));
  }

  private requireMode(): VoutMode {
    if (this.mode === undefined) throw new Error('TPS546: configure() before setting a voltage');
    return this.mode;
  }
}
