/**
 * The power-up and power-down order on the simulated Bitaxe Gamma: the board definition's TPS546
 * (register-level model on the in-memory bus) drives the simulated chain's core rail and the
 * reset line drives its NRST, so the order is read off what the devices saw, and the chip only
 * answers once the rail is up and reset released.
 */
import { describe, expect, it } from 'vitest';
import { bitaxeGammaUsb } from '../../../boards/usb-bridge.js';
import { readRegister } from '../../../drivers/bm13xx/commands.js';
import { FakeGpio } from '../../../drivers/peripherals/gpio.js';
import { FakeI2cBus } from '../../../drivers/peripherals/i2c.js';
import { allowedCoreMv, regulatorFor } from '../../../drivers/power/board-power.js';
import { PowerSequencer } from '../../../drivers/power/sequencer.js';
import { Tps546Model } from '../../../drivers/sim/i2c/tps546-model.js';
import { SimChain } from '../../../drivers/sim/sim-chain.js';
import { silentLog } from '../../../src/log.js';
import { boardSequencer } from '../../../src/roles/miner/compose-board.js';

const maybePower = bitaxeGammaUsb.power;
if (maybePower === undefined) throw new Error('bitaxe-gamma-usb has no power section');
const power = maybePower;

function gamma() {
  const events: string[] = [];
  const chain = new SimChain({ model: 'BM1370', chipCount: 1, hashrate: 1000 });
  const model = new Tps546Model({
    onOutput: (on, volts) => {
      events.push(on ? `rail up ${volts.toFixed(3)} V` : 'rail down');
      chain.setPowered(on);
    },
  });
  const bus = new FakeI2cBus('bridge:/dev/ttyACM0').attach(0x24, model);
  const reset = new FakeGpio({
    activeLow: true,
    initial: 1,
    onEdge: (edge) => {
      events.push(edge.level === 1 ? 'NRST asserted' : 'NRST released');
      if (edge.level === 1) chain.reset();
    },
  });
  const sleeps: number[] = [];
  const sequencer = new PowerSequencer({
    regulator: regulatorFor(power.regulator, bus, bitaxeGammaUsb.voltageDomains, async () => {}),
    reset,
    powerEnable: undefined,
    settleMs: power.settleMs,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    onStep: (step) => events.push(`step: ${step}`),
  });
  chain.setPowered(false);
  return { events, chain, model, bus, reset, sequencer, sleeps };
}

/** Whether the chain answers a chip-id read now (its reply counter moves as the reply leaves). */
function answers(chain: SimChain): boolean {
  const before = chain.stats().replies;
  chain.write(readRegister('all', 0x00));
  return chain.stats().replies > before;
}

describe('power sequencing (bitaxe-gamma-usb on the simulated board)', () => {
  it('the board allows 1000..1250 mV (its range inside the TPS546 profile s 1.0..2.0 V)', () => {
    expect(allowedCoreMv(power, bitaxeGammaUsb.voltageDomains)).toEqual({ min: 1000, max: 1250 });
  });

  it('up: reset held, regulator configured, core on, settle, then reset released; the chip answers only then', async () => {
    const { events, chain, sequencer, sleeps } = gamma();
    expect(answers(chain)).toBe(false);
    await sequencer.powerUp(1150);
    expect(events).toEqual([
      'step: reset held',
      'step: regulator configured',
      'rail up 1.148 V',
      'step: core at 1150 mV',
      'step: rail settled',
      'NRST released',
      'step: reset released',
    ]);
    expect(sleeps).toEqual([500, 100, 100]);
    expect(answers(chain)).toBe(true);
  });

  it('down: chips held in reset before the rail goes; then nothing answers', async () => {
    const { events, chain, sequencer } = gamma();
    await sequencer.powerUp(1150);
    events.length = 0;
    await sequencer.powerDown();
    expect(events).toEqual(['NRST asserted', 'step: reset held', 'rail down', 'step: regulator off']);
    expect(answers(chain)).toBe(false);
  });

  it('a voltage the board refuses leaves the chips in reset and the rail off, and nothing was set', async () => {
    const { events, chain, sequencer, bus } = gamma();
    await expect(sequencer.powerUp(2500)).rejects.toThrow(
      'core voltage 2500 mV: this board allows 1000..2000 mV',
    );
    expect(events.filter((e) => e.startsWith('rail') || e.startsWith('NRST'))).toEqual([]);
    expect(bus.transactions.some((t) => t.write[0] === 0x01 && t.write[1] === 0x80)).toBe(false);
    expect(answers(chain)).toBe(false);
  });

  it('a regulator that latches off (over-current) takes the chip with it', async () => {
    const { chain, model, sequencer } = gamma();
    await sequencer.powerUp(1150);
    expect(answers(chain)).toBe(true);
    model.inject('iout_oc_fault');
    expect(answers(chain)).toBe(false);
  });
});

describe('the daemon builds the sequencer from the board definition (src/roles/miner/compose-board.ts)', () => {
  it('bitaxe-gamma-usb: regulator at 0x24 on the board s bus, default core voltage, steps logged', async () => {
    const model = new Tps546Model();
    const bus = new FakeI2cBus('bridge:/dev/ttyACM0').attach(0x24, model);
    const opened: string[] = [];
    const reset = new FakeGpio({ activeLow: true, initial: 1 });
    const waits: number[] = [];
    const sequencer = boardSequencer({
      board: bitaxeGammaUsb,
      def: power,
      lines: { reset },
      log: silentLog,
      resetHoldMs: 100,
      resetSettleMs: 100,
      openBus: (path) => {
        opened.push(path);
        return bus;
      },
      wait: async (ms) => {
        waits.push(ms);
      },
    });
    await sequencer.powerUp(power.coreVoltageMv.default);
    expect(opened).toEqual(['bridge:/dev/ttyACM0']);
    expect(waits).toEqual([500, 100, 100]);
    expect(model.on).toBe(true);
    expect(model.voutV).toBeCloseTo(588 / 512, 9);
    expect(await reset.read()).toBe(0);
    await sequencer.powerDown();
    expect(model.on).toBe(false);
    expect(await reset.read()).toBe(1);
  });

  it('a regulator bus of no known form is refused with the board and the path', () => {
    expect(() =>
      boardSequencer({
        board: bitaxeGammaUsb,
        def: { ...power, regulator: { ...power.regulator, bus: 'usb:3' } as typeof power.regulator },
        lines: {},
        log: silentLog,
        resetHoldMs: 0,
        resetSettleMs: 0,
      }),
    ).toThrow('board bitaxe-gamma-usb: regulator bus "usb:3" is neither /dev/i2c-N nor bridge:<port>');
  });
});
