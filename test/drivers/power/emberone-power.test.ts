/**
 * The emberOne/00 string supply: a DS4432U+ at 0x48 trimming an LM25119 that feeds twelve BM1362
 * in series (network from the board's schematic values as skot/emberone-miner uses them), and the
 * board's power-up order: VDDIO_EN, DAC trimmed, 100 ms, PWR_EN, settle, reset released.
 */
import { describe, expect, it } from 'vitest';
import { emberOne00 } from '../../../boards/usb-bridge.js';
import { FakeGpio } from '../../../drivers/peripherals/gpio.js';
import { FakeI2cBus } from '../../../drivers/peripherals/i2c.js';
import { allowedCoreMv, regulatorFor } from '../../../drivers/power/board-power.js';
import { ds4432uCode, ds4432uRangeMv, EMBERONE_LM25119 } from '../../../drivers/power/ds4432u.js';
import { PowerSequencer } from '../../../drivers/power/sequencer.js';
import { Ds4432uModel } from '../../../drivers/sim/i2c/power-models.js';
import { createSimUsbBoard } from '../../../drivers/sim/sim-usb-board.js';
import { coreVoltageExpectation } from '../../../src/config/core-voltage.js';

const maybePower = emberOne00.power;
if (maybePower === undefined) throw new Error('emberone00 has no power section');
const power = maybePower;

describe('DS4432U on the emberOne/00 LM25119 network', () => {
  it('reaches 2876..4324 mV for the string (emberone-miner: 2.875..4.324 V), 3.6 V untrimmed', () => {
    expect(ds4432uRangeMv(EMBERONE_LM25119)).toEqual({ min: 2876, max: 4324 });
    expect(EMBERONE_LM25119.nominalV).toBeCloseTo(3.6, 12);
    // Above nominal: source current, no sink bit. Below: bit 7 set.
    expect(ds4432uCode(3840, EMBERONE_LM25119)).toBe(0x2b);
    expect(ds4432uCode(3000, EMBERONE_LM25119)).toBe(0xea);
    expect(ds4432uCode(4400, EMBERONE_LM25119)).toBeUndefined();
  });

  it('per chip: twelve series domains, 240..360 mV allowed; the regulator writes 12 x the core voltage', async () => {
    expect(allowedCoreMv(power, emberOne00.voltageDomains)).toEqual({ min: 240, max: 360 });
    const model = new Ds4432uModel(EMBERONE_LM25119);
    const bus = new FakeI2cBus('bridge:/dev/ttyACM0').attach(0x48, model);
    const regulator = regulatorFor(power.regulator, bus, emberOne00.voltageDomains);
    await regulator.setCoreVoltage(320);
    expect(bus.transactions.map((t) => Buffer.from(t.write).toString('hex'))).toEqual(['f82b']);
    // Within one DAC step (IFS x RA / 127 = 5.7 mV) of 3.84 V.
    expect(Math.abs(model.voutV - 3.84)).toBeLessThan((EMBERONE_LM25119.ifs * EMBERONE_LM25119.ra) / 127);
    await expect(regulator.setCoreVoltage(400)).rejects.toThrow(
      'core voltage 4800 mV: the DS4432U on the emberone-lm25119 network reaches 2876..4324 mV',
    );
    expect(bus.transactions).toHaveLength(1);
  });
});

describe('emberOne/00 coreVoltage (config and AxeOS PATCH)', () => {
  it('a Bitaxe-style 1150 mV is refused for the string; 240..360 mV per chip is taken', () => {
    expect(coreVoltageExpectation(emberOne00, 1150)).toBe(
      'whole millivolts from 240 to 360 for board emberone00',
    );
    expect(coreVoltageExpectation(emberOne00, 239)).toBe(
      'whole millivolts from 240 to 360 for board emberone00',
    );
    expect(coreVoltageExpectation(emberOne00, 240)).toBeUndefined();
    expect(coreVoltageExpectation(emberOne00, 360)).toBeUndefined();
  });
});

describe('emberOne/00 power order', () => {
  it('up: reset held, VDDIO_EN, DAC, 100 ms, PWR_EN, settle, reset released; down in reverse', async () => {
    const events: string[] = [];
    const line = (name: string, activeLow: boolean, initial: 0 | 1) =>
      new FakeGpio({
        activeLow,
        initial,
        onEdge: (edge) => events.push(`${name}=${edge.level}`),
      });
    const bus = new FakeI2cBus('bridge:/dev/ttyACM0').attach(0x48, new Ds4432uModel(EMBERONE_LM25119));
    bus.onTransaction = (t) => events.push(`dac ${Buffer.from(t.write).toString('hex')}`);
    const sequencer = new PowerSequencer({
      regulator: regulatorFor(power.regulator, bus, emberOne00.voltageDomains),
      reset: line('reset', true, 1),
      powerEnable: line('pwr_en', false, 0),
      ioEnable: line('vddio_en', false, 0),
      enableOrder: power.enableOrder ?? 'before-regulator',
      settleMs: power.settleMs,
      sleep: async (ms) => {
        events.push(`wait ${ms}`);
      },
    });
    await sequencer.powerUp(power.coreVoltageMv.default);
    expect(events).toEqual([
      'vddio_en=1',
      'wait 5',
      'dac f801', // 300 mV x 12 = 3.6 V: the untrimmed nominal, one step up
      'wait 100',
      'pwr_en=1',
      'wait 20',
      'wait 500',
      'wait 100',
      'reset=0',
      'wait 100',
    ]);
    events.length = 0;
    await sequencer.powerDown();
    expect(events).toEqual(['reset=1', 'dac f800', 'pwr_en=0', 'vddio_en=0']);
  });
});

describe('the simulated emberOne/00', () => {
  it('its chips are powered only with both PWR_EN (bridge pin 1) and VDDIO_EN (pin 2) high', async () => {
    const sim = createSimUsbBoard({ board: emberOne00, chain: { model: 'BM1362', chipCount: 12 } });
    // bitaxe-raw GPIO page 0x06, command = pin, data = level (bm13xx.md §10.2); one request each.
    const pin = (n: number, level: 0 | 1, id: number) =>
      sim.bridge.write(Uint8Array.of(7, 0, id, 0, 0x06, n, level));
    expect(sim.chain.isPowered).toBe(false);
    pin(1, 1, 1);
    await new Promise((r) => setImmediate(r));
    expect(sim.chain.isPowered).toBe(false);
    pin(2, 1, 2);
    await new Promise((r) => setImmediate(r));
    expect(sim.chain.isPowered).toBe(true);
    pin(1, 0, 3);
    await new Promise((r) => setImmediate(r));
    expect(sim.chain.isPowered).toBe(false);
    sim.chain.close();
  });
});
