/**
 * A USB-bridged board simulated whole (bitaxe-raw Gamma, emberOne/00): the bridge firmware's
 * control port (GPIO + I2C pages) with the board's devices at register level behind it
 * (sim-board-devices.ts), and the chip chain on the data port. A bridge pin write drives the
 * line it carries: reset, power enable, I/O enable.
 */
import type { BoardDefinition, ControlLine } from '../../boards/types.js';
import type { FakeI2cBus } from '../peripherals/i2c.js';
import type { Emc2101Model, Emc2103Model, Emc2302Model } from './i2c/fan-models.js';
import type { Ds4432uModel } from './i2c/power-models.js';
import type { Tps546Model } from './i2c/tps546-model.js';
import { type BoardLineRole, createSimBoardDevices } from './sim-board-devices.js';
import { SimBridge } from './sim-bridge.js';
import type { SimChain, SimChainOptions } from './sim-chain.js';

interface SimUsbBoardOptions {
  readonly board: BoardDefinition;
  readonly chain: SimChainOptions;
  /** Receives one JSON line per I2C transaction: {"t_ms","addr","write","read"}. */
  readonly trace?: (line: string) => void;
  readonly now?: () => number;
}

interface SimUsbBoard {
  readonly chain: SimChain;
  readonly bridge: SimBridge;
  readonly i2c: FakeI2cBus;
  readonly regulator: Tps546Model | undefined;
  /** The DAC of a DS4432U board (emberOne/00), whose buck the power-enable pin switches. */
  readonly dac: Ds4432uModel | undefined;
  readonly fan: Emc2101Model | Emc2302Model | Emc2103Model | undefined;
}

export function createSimUsbBoard(options: SimUsbBoardOptions): SimUsbBoard {
  const { board } = options;
  const devices = createSimBoardDevices({ ...options, busName: 'bridge-i2c' });
  const lines: [BoardLineRole, ControlLine | undefined][] = [
    ['reset', board.reset],
    ['powerEnable', board.powerEnable],
    ['ioEnable', board.ioEnable],
  ];
  const bridge = new SimBridge({
    i2c: devices.i2c,
    onPin: (pin, level) => {
      for (const [role, line] of lines)
        if (line?.kind === 'bridge' && line.pin === pin)
          devices.setLine(role, line.activeLow ? level === 0 : level === 1);
    },
  });
  const { chain, i2c, regulator, dac, fan } = devices;
  return { chain, bridge, i2c, regulator, dac, fan };
}
