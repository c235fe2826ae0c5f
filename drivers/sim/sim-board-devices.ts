/**
 * A board's devices simulated at register level, whatever carries them to the host (a USB
 * bridge's control port, or a Linux /dev/i2c-N and sysfs GPIO under a fake root): the chip chain,
 * the I2C bus with the core regulator (TPS546, or a DS4432U trimming a buck), the fan controller
 * and the sensors, and the board's control lines by function. Their state drives the chips: no
 * core rail, no enabled buck or no I/O supply -> the chain is silent; reset held -> nothing heard
 * or hashed. The diode warms with the chips' power and cools with the fan. Every I2C transaction
 * can be traced as one JSON line.
 */
import type { BoardDefinition } from '../../boards/types.js';
import { bytesToHex } from '../../src/bytes/hex.js';
import { FakeI2cBus, RegisterMapDevice } from '../peripherals/i2c.js';
import { BITAXE_TPS40305, EMBERONE_LM25119 } from '../power/ds4432u.js';
import { Emc2101Model, Emc2103Model, Emc2302Model } from './i2c/fan-models.js';
import { Ds4432uModel } from './i2c/power-models.js';
import { Tps546Model } from './i2c/tps546-model.js';
import { SimChain, type SimChainOptions } from './sim-chain.js';

export interface SimBoardDevicesOptions {
  readonly board: BoardDefinition;
  readonly chain: SimChainOptions;
  /** Receives one JSON line per I2C transaction: {"t_ms","addr","write","read"}. */
  readonly trace?: (line: string) => void;
  readonly now?: () => number;
  /** The bus's name in errors and logs. */
  readonly busName?: string;
}

/** The board's control lines by function. */
export type BoardLineRole = 'reset' | 'powerEnable' | 'ioEnable';

export interface SimBoardDevices {
  readonly chain: SimChain;
  readonly i2c: FakeI2cBus;
  readonly regulator: Tps546Model | undefined;
  /** The DAC of a DS4432U board (emberOne/00), whose buck the power-enable line switches. */
  readonly dac: Ds4432uModel | undefined;
  readonly fan: Emc2101Model | Emc2302Model | Emc2103Model | undefined;
  /** A control line changed to `asserted` (logical: the polarity is the carrier's business). */
  setLine(role: BoardLineRole, asserted: boolean): void;
}

export function createSimBoardDevices(options: SimBoardDevicesOptions): SimBoardDevices {
  const { board } = options;
  const now = options.now ?? (() => performance.now());
  const start = now();
  const chain = new SimChain(options.chain);
  chain.setHostBaud('follow');
  const i2c = new FakeI2cBus(options.busName ?? 'sim-i2c');
  if (options.trace !== undefined) {
    const trace = options.trace;
    i2c.onTransaction = (t) =>
      trace(
        JSON.stringify({
          t_ms: Math.round(now() - start),
          addr: t.address,
          write: bytesToHex(t.write),
          read: bytesToHex(t.read),
        }),
      );
  }
  // The chips answer only with every supply the board switches on: the TPS546's output, the
  // buck's enable line, the I/O enable line.
  const supplies = new Map<string, boolean>();
  const setSupply = (name: string, on: boolean): void => {
    supplies.set(name, on);
    chain.setPowered([...supplies.values()].every(Boolean));
  };
  let regulator: Tps546Model | undefined;
  let dac: Ds4432uModel | undefined;
  const power = board.power;
  if (power?.regulator.kind === 'ds4432u') {
    dac = new Ds4432uModel(
      power.regulator.network === 'emberone-lm25119' ? EMBERONE_LM25119 : BITAXE_TPS40305,
    );
    i2c.attach(power.regulator.address, dac);
  }
  if (power !== undefined && board.powerEnable !== undefined) setSupply('enable', false);
  if (power !== undefined && board.ioEnable !== undefined) setSupply('io', false);
  if (power?.regulator.kind === 'tps546') {
    const twelveVolt = power.regulator.profile !== '5v-single';
    regulator = new Tps546Model({
      vinV: twelveVolt ? 12 : 5,
      // About 15 A per chip at a 1.15 V core (a Gamma draws ~18 W).
      load: (volts) => (volts > 0 ? 15 * (volts / board.voltageDomains / 1.15) * chipCount(board) : 0),
      onOutput: (on) => setSupply('regulator', on),
    });
    i2c.attach(power.regulator.address, regulator);
    setSupply('regulator', false);
  }
  let fan: Emc2101Model | Emc2302Model | Emc2103Model | undefined;
  if (power?.fan !== undefined) {
    const kind = power.fan.kind;
    fan =
      kind === 'emc2101' ? new Emc2101Model() : kind === 'emc2302' ? new Emc2302Model() : new Emc2103Model();
    i2c.attach(power.fan.address, fan);
  }
  for (const sensor of board.sensors) {
    if (sensor.kind === 'sim' || sensor.kind === 'sysfs' || i2c.device(sensor.address) !== undefined)
      continue;
    // A board sensor with no model of its own reads a steady 40 °C in its register layout.
    const map = new RegisterMapDevice();
    if (sensor.kind === 'tmp1075') map.registers.set(0x00, 40).set(0x01, 0);
    else if (sensor.kind === 'tmp451') map.registers.set(0x01, 40 + 7).set(0x10, 0);
    else map.registers.set(0x01, 40).set(0x10, 0);
    i2c.attach(sensor.address, map);
  }
  if (fan instanceof Emc2101Model) {
    // Chip power warms the diode; the fan takes up to two thirds of the rise away.
    fan.thermal = (duty) => {
      const watts = (regulator?.voutV ?? 0) * (regulator === undefined ? 0 : 15 * chipCount(board));
      return 30 + (watts * 1.6) / (1 + 2 * duty);
    };
  }
  const setLine = (role: BoardLineRole, asserted: boolean): void => {
    if (role === 'reset') chain.setResetHeld(asserted);
    else if (power !== undefined) setSupply(role === 'powerEnable' ? 'enable' : 'io', asserted);
  };
  return { chain, i2c, regulator, dac, fan, setLine };
}

function chipCount(board: BoardDefinition): number {
  return board.chains.reduce((n, c) => n + c.chipCount, 0);
}
