/**
 * TPS546D24A: the number formats against the words ESP-Miner writes for the same values, the
 * whole Gamma profile as bytes on the wire (ESP-Miner's TPS546.c order and encodings; values from
 * vcore.c and TPS546.h), the voltage per series domains, status decoding, telemetry, and the
 * simulated regulator's fault injection.
 */
import { describe, expect, it } from 'vitest';
import { FakeI2cBus } from '../../../drivers/peripherals/i2c.js';
import {
  decodeLinear11,
  decodeUlinear16,
  decodeVoutMode,
  encodeLinear11,
  encodeLinear11Integer,
  encodeUlinear16,
} from '../../../drivers/power/pmbus.js';
import { Tps546 } from '../../../drivers/power/tps546.js';
import {
  TPS546_5V_SINGLE,
  TPS546_12V_THREE_DOMAINS,
  TPS546_12V_TWO_PHASE,
} from '../../../drivers/power/tps546-profiles.js';
import { TPS546_FAULTS, type Tps546Fault, Tps546Model } from '../../../drivers/sim/i2c/tps546-model.js';
import { bytesToHex } from '../../../src/bytes/hex.js';

const instant = async (): Promise<void> => {};

function board(model = new Tps546Model(), profile = TPS546_5V_SINGLE, voltageDomains = 1) {
  const bus = new FakeI2cBus('/dev/i2c-sim').attach(0x24, model);
  const regulator = new Tps546(bus, { profile, voltageDomains, sleep: instant });
  const wire = (): string[] =>
    bus.transactions.map((t) => bytesToHex(t.write) + (t.read.length > 0 ? `>${bytesToHex(t.read)}` : ''));
  return { bus, model, regulator, wire };
}

describe('PMBus number formats (ESP-Miner float_2_slinear11 / int_2_slinear11 / float_2_ulinear16)', () => {
  it('LINEAR11 at the finest exponent for volts, amps and the loop scale', () => {
    expect(encodeLinear11(4.8)).toBe(0xca66);
    expect(encodeLinear11(4.5)).toBe(0xca40);
    expect(encodeLinear11(6.5)).toBe(0xcb40);
    expect(encodeLinear11(0.25)).toBe(0xaa00);
    expect(encodeLinear11(0.125)).toBe(0xa200);
    expect(encodeLinear11(25)).toBe(0xdb20);
    expect(encodeLinear11(30)).toBe(0xdbc0);
    expect(encodeLinear11(14.8)).toBe(0xd3b3);
    expect(encodeLinear11(55)).toBe(0xe370);
    expect(encodeLinear11(0)).toBe(0);
    expect(() => encodeLinear11(-1)).toThrow('expected a finite value >= 0');
  });

  it('LINEAR11 with exponent 0 up for kHz, °C and ms', () => {
    expect(encodeLinear11Integer(650)).toBe(0x028a);
    expect(encodeLinear11Integer(145)).toBe(0x0091);
    expect(encodeLinear11Integer(3)).toBe(0x0003);
    expect(encodeLinear11Integer(2000)).toBe(0x0be8); // 1000 x 2^1
    expect(() => encodeLinear11Integer(1.5)).toThrow('expected a whole number');
  });

  it('LINEAR11 decodes signed exponent and mantissa', () => {
    expect(decodeLinear11(0xca66)).toBeCloseTo(4.796875, 9);
    expect(decodeLinear11(0xdb20)).toBe(25);
    expect(decodeLinear11(0x0091)).toBe(145);
    expect(decodeLinear11(0x07ff)).toBe(-1); // mantissa -1, exponent 0
  });

  it('ULINEAR16 at the VOUT_MODE exponent; 0x97 is relative with exponent -9', () => {
    const mode = decodeVoutMode(0x97);
    expect(mode).toEqual({ exponent: -9, relative: true });
    expect(decodeVoutMode(0x17)).toEqual({ exponent: -9, relative: false });
    expect(encodeUlinear16(1.2, mode)).toBe(0x0266);
    expect(encodeUlinear16(1.15, mode)).toBe(0x024c);
    expect(encodeUlinear16(3.6, mode)).toBe(0x0733);
    expect(encodeUlinear16(1.16, mode)).toBe(0x0251);
    expect(decodeUlinear16(0x0266, mode)).toBeCloseTo(1.19921875, 9);
    expect(() => decodeVoutMode(0x40)).toThrow('not ULINEAR16');
    expect(() => encodeUlinear16(200, mode)).toThrow('beyond ULINEAR16 range');
  });
});

describe('TPS546 on the Gamma profile (5 V, single phase, one domain)', () => {
  it('configure: id check, output off, then every register of the profile in ESP-Miner order', async () => {
    const { regulator, wire } = board();
    await regulator.configure();
    expect(wire()).toEqual([
      'ad>065449546d2441', // IC_DEVICE_ID block: length 6 + "TITm" 0x24 'A'
      '0100', // OPERATION off
      '021f', // ON_OFF_CONFIG: command and pin while probing
      '20>97', // VOUT_MODE
      '021b', // ON_OFF_CONFIG: OPERATION command only
      'ec0000', // STACK_CONFIG one module
      'e410', // SYNC_CONFIG off
      '0400', // PHASE single
      '338a02', // FREQUENCY_SWITCH 650 kHz
      '3566ca', // VIN_ON 4.8 V (no VIN_UV_WARN on 5 V boards)
      '3640ca', // VIN_OFF 4.5 V
      '5540cb', // VIN_OV_FAULT_LIMIT 6.5 V
      '56b7', // VIN_OV_FAULT_RESPONSE
      '2900aa', // VOUT_SCALE_LOOP 0.25
      '216602', // VOUT_COMMAND 1.2 V
      '240004', // VOUT_MAX 2 V
      '2b0002', // VOUT_MIN 1 V
      '408002', // VOUT_OV_FAULT_LIMIT 1.25 x
      '425102', // VOUT_OV_WARN_LIMIT 1.16 x
      '253302', // VOUT_MARGIN_HIGH 1.1 x
      '26cc01', // VOUT_MARGIN_LOW 0.9 x
      '43cc01', // VOUT_UV_WARN_LIMIT 0.9 x
      '448001', // VOUT_UV_FAULT_LIMIT 0.75 x
      '4a20db', // IOUT_OC_WARN_LIMIT 25 A
      '46c0db', // IOUT_OC_FAULT_LIMIT 30 A
      '47c0', // IOUT_OC_FAULT_RESPONSE latch off
      '516900', // OT_WARN_LIMIT 105 °C
      '4f9100', // OT_FAULT_LIMIT 145 °C
      '50ff', // OT_FAULT_RESPONSE
      '600000', // TON_DELAY 0
      '610300', // TON_RISE 3 ms
      '620000', // TON_MAX_FAULT_LIMIT 0
      '633b', // TON_MAX_FAULT_RESPONSE
      '640000', // TOFF_DELAY
      '650000', // TOFF_FALL
      'eeffff', // PIN_DETECT_OVERRIDE
      '03', // CLEAR_FAULTS
    ]);
  });

  it('setCoreVoltage 1150 mV: VOUT_COMMAND, the limits, OPERATION on, read back; the output comes up', async () => {
    const outputs: [boolean, number][] = [];
    const { regulator, wire, bus } = board(new Tps546Model({ onOutput: (on, v) => outputs.push([on, v]) }));
    await regulator.configure();
    const before = bus.transactions.length;
    await regulator.setCoreVoltage(1150);
    expect(wire().slice(before)).toEqual([
      '214c02',
      '408002',
      '425102',
      '253302',
      '26cc01',
      '43cc01',
      '448001',
      '0180',
      '01>80',
    ]);
    expect(outputs).toEqual([[true, 588 / 512]]);
    const t = await regulator.telemetry();
    expect(t).toMatchObject({ vinV: 5, voutV: 588 / 512, coreMv: 1148, temperatureC: 40 });
    await regulator.off();
    expect(outputs.at(-1)).toEqual([false, 0]);
  });

  it('a voltage outside VOUT_MIN..VOUT_MAX is refused and nothing is written', async () => {
    const { regulator, bus } = board();
    await regulator.configure();
    const before = bus.transactions.length;
    await expect(regulator.setCoreVoltage(2100)).rejects.toThrow(
      'core voltage 2100 mV: this board allows 1000..2000 mV',
    );
    await expect(regulator.setCoreVoltage(900)).rejects.toThrow('this board allows 1000..2000 mV');
    expect(bus.transactions.length).toBe(before);
  });

  it('a wrong part or no answer is retried with growing waits, then refused with what was seen', async () => {
    const waits: number[] = [];
    const bus = new FakeI2cBus('/dev/i2c-1').attach(
      0x24,
      new Tps546Model({ deviceId: [0x54, 0x49, 0x54, 0x6b, 0x24, 0x41] }),
    );
    const regulator = new Tps546(bus, {
      profile: TPS546_5V_SINGLE,
      voltageDomains: 1,
      sleep: async (ms) => {
        waits.push(ms);
      },
    });
    await expect(regulator.configure()).rejects.toThrow(
      'no TPS546D24A at 0x24 on /dev/i2c-1 after 6 attempts (device id 54 49 54 6b 24 41)',
    );
    expect(waits).toEqual([3, 6, 9, 12, 15]);
    // Nothing but id reads went out: the output was never touched.
    expect(bus.transactions.every((t) => t.write[0] === 0xad)).toBe(true);
    bus.fail(0x24);
    await expect(regulator.configure()).rejects.toThrow('(no answer from device 0x24)');
  });
});

describe('TPS546 per board family', () => {
  it('Hex/SupraHex: three series domains, 1200 mV per chip is VOUT 3.6 V; VIN_UV_WARN written', async () => {
    const { regulator, wire, model } = board(new Tps546Model({ vinV: 12 }), TPS546_12V_THREE_DOMAINS, 3);
    expect(regulator.coreRangeMv()).toEqual({ min: 834, max: 1500 });
    await regulator.configure();
    expect(wire()).toContain('58c0d2'); // VIN_UV_WARN_LIMIT 11 V
    expect(wire()).toContain('35e0d2'); // VIN_ON 11.5 V
    expect(wire()).toContain('2900a2'); // VOUT_SCALE_LOOP 0.125
    await regulator.setCoreVoltage(1200);
    expect(wire()).toContain('213307'); // VOUT_COMMAND 3.6 V
    expect(model.voutV).toBeCloseTo(1843 / 512, 9);
    expect((await regulator.telemetry()).coreMv).toBe(1200);
  });

  it('GammaTurbo: two-phase stack, sync auto-detect, the compensation block with its length byte', async () => {
    const { regulator, wire } = board(new Tps546Model({ vinV: 12 }), TPS546_12V_TWO_PHASE, 1);
    await regulator.configure();
    const w = wire();
    expect(w.slice(5, 10)).toEqual(['ec0100', 'e4d0', '04ff', '338a02', 'b1051234422104']);
    expect(w).toContain('4a20e3'); // IOUT_OC_WARN 50 A
    expect(w).toContain('4670e3'); // IOUT_OC_FAULT 55 A
  });
});

describe('TPS546 status decoding against injected faults', () => {
  it('a running output reads no fault', async () => {
    const { regulator } = board();
    await regulator.configure();
    await regulator.setCoreVoltage(1150);
    expect(await regulator.status()).toEqual({ word: 0, flags: [], fault: false });
  });

  it('before switching on: off and power-not-good, which is a fault for hashing', async () => {
    const { regulator } = board();
    await regulator.configure();
    expect(await regulator.status()).toEqual({ word: 0x0840, flags: ['power_not_good', 'off'], fault: true });
  });

  const expectations: Record<Tps546Fault, { flags: string[]; fault: boolean; outputOff: boolean }> = {
    vout_ov_fault: {
      flags: ['vout', 'power_not_good', 'off', 'vout_ov_fault'],
      fault: true,
      outputOff: true,
    },
    vout_ov_warning: { flags: ['vout', 'vout_ov_warning'], fault: false, outputOff: false },
    vout_uv_warning: { flags: ['vout', 'vout_uv_warning'], fault: false, outputOff: false },
    vout_uv_fault: {
      flags: ['vout', 'power_not_good', 'off', 'vout_uv_fault'],
      fault: true,
      outputOff: true,
    },
    ton_max_fault: {
      flags: ['vout', 'power_not_good', 'off', 'ton_max_fault'],
      fault: true,
      outputOff: true,
    },
    iout_oc_fault: {
      flags: ['iout', 'power_not_good', 'off', 'iout_oc_fault'],
      fault: true,
      outputOff: true,
    },
    iout_oc_warning: { flags: ['iout', 'iout_oc_warning'], fault: false, outputOff: false },
    vin_ov_fault: { flags: ['input', 'power_not_good', 'off', 'vin_ov_fault'], fault: true, outputOff: true },
    vin_uv_warning: { flags: ['input', 'vin_uv_warning'], fault: false, outputOff: false },
    ot_fault: { flags: ['power_not_good', 'off', 'temperature', 'ot_fault'], fault: true, outputOff: true },
    ot_warning: { flags: ['temperature', 'ot_warning'], fault: true, outputOff: false },
    memory_fault: { flags: ['cml', 'memory_fault'], fault: false, outputOff: false },
    power_on_reset_fault: {
      flags: ['mfr', 'power_not_good', 'off', 'power_on_reset_fault'],
      fault: true,
      outputOff: true,
    },
  };

  for (const fault of Object.keys(TPS546_FAULTS) as Tps546Fault[]) {
    it(`${fault}: named, classified, and cleared by CLEAR_FAULTS`, async () => {
      const { regulator, model } = board();
      await regulator.configure();
      await regulator.setCoreVoltage(1150);
      model.inject(fault);
      const status = await regulator.status();
      expect(status.flags).toEqual(expectations[fault].flags);
      expect(status.fault).toBe(expectations[fault].fault);
      expect(model.on).toBe(!expectations[fault].outputOff);
      await regulator.clearFaults();
      expect((await regulator.status()).flags).toEqual([]);
    });
  }

  it('a command the part does not know latches invalid_command in STATUS_CML, which does not stop hashing', async () => {
    const { regulator, bus } = board();
    await regulator.configure();
    await regulator.setCoreVoltage(1150);
    await bus.writeWord(0x24, 0xd0, 0x1234);
    expect(await regulator.status()).toEqual({
      word: 0x0002,
      flags: ['cml', 'invalid_command'],
      fault: false,
    });
  });
});
