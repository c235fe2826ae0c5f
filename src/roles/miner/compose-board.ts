/**
 * The hardware half of the miner's composition root (compose.ts calls it; so does `probe`): turns
 * a BoardDefinition into chains (architecture.md seams A and D) — a ByteLink (UartLink over
 * SimBinding or the hardware binding), the reset/stop functions behind the board's control lines
 * or its power sequencer, a Bm13xxChain on them — and into temperature readers. Simulated boards
 * get a FakeGpio whose reset edge calls SimChain.reset(); hardware gets OnoffGpio lines or a USB
 * bridge's pins (bm13xx.md §10.1).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type {
  BoardDefinition,
  ChainDefinition,
  ControlLine,
  PowerDefinition,
  SensorDefinition,
} from '../../../boards/types.js';
import { Bm13xxChain } from '../../../drivers/bm13xx/chain.js';
import type { ChainTiming } from '../../../drivers/bm13xx/chain-options.js';
import { BridgeControlPort } from '../../../drivers/bridge/control-port.js';
import type { FanController } from '../../../drivers/fans/fan.js';
import { BridgeGpio, BridgeI2cBus } from '../../../drivers/peripherals/bridge.js';
import {
  FakeGpio,
  type Gpio,
  OnoffGpio,
  pulseReset,
  SysfsGpio,
  sysfsGpioNumber,
} from '../../../drivers/peripherals/gpio.js';
import { type I2cBus, isLinuxI2cPath, LinuxI2cBus } from '../../../drivers/peripherals/i2c.js';
import { I2cTemperatureReader } from '../../../drivers/peripherals/i2c-sensors.js';
import { SysfsThermalReader, type ThermalReader } from '../../../drivers/peripherals/thermal.js';
import { fanFor, regulatorFor } from '../../../drivers/power/board-power.js';
import { PowerSequencer } from '../../../drivers/power/sequencer.js';
import { Tps546 } from '../../../drivers/power/tps546.js';
import { SimBinding } from '../../../drivers/sim/sim-binding.js';
import { bindingByName } from '../../../drivers/transport/bindings.js';
import { type ByteLink, UartLink } from '../../../drivers/transport/uart-link.js';
import type { Logger } from '../../log.js';
import type { Clock } from '../../time/clock.js';
import type { ChainIo, ChainSettings, OpenChain } from './parts.js';

interface ChainIoOptions {
  readonly board: BoardDefinition;
  readonly index: number;
  readonly log: Logger;
  /** Reset pulse lengths; ESP-Miner holds 100 ms and settles 100 ms (bm13xx.md §10.1). */
  readonly resetHoldMs?: number;
  readonly resetSettleMs?: number;
  /** Core voltage per chip (config `coreVoltage`); default the board's. Boards with `power` only. */
  readonly coreVoltageMv?: number;
}

/**
 * The simulator's PLL locks at once and its replies come without line delay worth waiting for, so
 * the ESP-Miner pacing (100 ms per 6.25 MHz step: ~8 s to 525 MHz) only slows demos and tests.
 */
export const SIM_TIMING: Partial<ChainTiming> = {
  enumerateIdleMs: 150,
  rampStepMs: 2,
  pllWriteGapMs: 0,
  perChipPauseMs: 0,
  readIdleMs: 60,
};

/**
 * Chain opener for the rig: the board's I/O and a Bm13xxChain on it. `timing` overrides the
 * chain pacing (tests); simulated boards otherwise use SIM_TIMING. `wrapLink` sees the link
 * before the driver does (the job-switch bench times bytes on the wire with it).
 */
export function boardChainOpener(o: {
  readonly board: BoardDefinition;
  readonly clock: Clock;
  readonly timing?: Partial<ChainTiming> | undefined;
  readonly wrapLink?: ((link: ByteLink, chain: number) => ByteLink) | undefined;
}): OpenChain {
  const timing = o.timing ?? (o.board.simulated ? SIM_TIMING : undefined);
  return async (index, settings) => {
    const io = await openChainIo({
      board: o.board,
      index,
      log: settings.log,
      ...(settings.coreVoltageMv === undefined ? {} : { coreVoltageMv: settings.coreVoltageMv }),
    });
    const link = o.wrapLink === undefined ? io.link : o.wrapLink(io.link, index);
    const chain = createChain(o.board, index, link, io, settings, () => o.clock.now(), timing);
    return { chain, io };
  };
}

/** A Bm13xxChain for chain `index` of `board` on the given link and control lines. */
export function createChain(
  board: BoardDefinition,
  index: number,
  link: ByteLink,
  io: Pick<ChainIo, 'reset' | 'stop'>,
  settings: ChainSettings,
  now?: () => number,
  timing?: Partial<ChainTiming>,
): Bm13xxChain {
  return new Bm13xxChain({
    index,
    model: board.chip,
    expectedChipCount: board.chains[index]?.chipCount ?? 0,
    link,
    reset: io.reset,
    stop: io.stop,
    frequencyMhz: settings.frequencyMhz,
    chipDifficulty: settings.chipDifficulty,
    workingBaud: board.baud.working,
    logger: settings.log,
    ...(now === undefined ? {} : { now }),
    ...(timing === undefined ? {} : { timing }),
  });
}

/** The path a simulated chain is served at: `sim:<board>:<chain>`. */
export function simChainPath(chain: ChainDefinition, index: number): string {
  return `${chain.uartPath}:${index}`;
}

export async function openChainIo(options: ChainIoOptions): Promise<ChainIo> {
  const { board, index, log } = options;
  const def = board.chains[index];
  if (def === undefined) throw new RangeError(`board ${board.id} has no chain ${index}`);
  const hold = options.resetHoldMs ?? 100;
  const settle = options.resetSettleMs ?? 100;
  if (board.simulated) {
    const path = simChainPath(def, index);
    const sim = SimBinding.createChain(path, {
      model: board.chip,
      chipCount: def.chipCount,
      // The board's speed is for the whole board; chains share it by chip count.
      hashrate: (board.sim.hashrate * def.chipCount) / totalChips(board),
      simTargetShift: board.sim.simTargetShift,
    });
    const gpio = new FakeGpio({
      activeLow: board.reset?.activeLow ?? true,
      // Asserting NRST puts every chip back in its power-on state, as on silicon.
      onEdge: (edge) => {
        if (edge.level === 1) sim.reset();
      },
    });
    const link = new UartLink({ binding: SimBinding, path, logger: log });
    return {
      link,
      sim,
      reset: () => pulseReset(gpio, (ms) => sleep(ms), hold, settle),
      stop: () => gpio.write(1),
      release: () => gpio.close(),
    };
  }
  const binding = await bindingByName('hw');
  const link = new UartLink({ binding, path: def.uartPath, logger: log });
  const reset = await openLine(board.reset, 1, log);
  // Power stays off until the first bring-up asserts it.
  const power = await openLine(board.powerEnable, 0, log);
  if (board.power !== undefined) {
    // boards/wiring: the chips' I/O supply where the board switches it (emberOne/00 VDDIO_EN).
    const io = await openLine(board.ioEnable, 0, log);
    // The board's regulator is ours: the sequencer runs up and down (drivers/power/sequencer.ts).
    const sequencer = boardSequencer({
      board,
      def: board.power,
      lines: {
        ...(reset === undefined ? {} : { reset }),
        ...(power === undefined ? {} : { powerEnable: power }),
        ...(io === undefined ? {} : { ioEnable: io }),
      },
      log,
      resetHoldMs: hold,
      resetSettleMs: settle,
    });
    const coreMv = options.coreVoltageMv ?? board.power.coreVoltageMv.default;
    return {
      link,
      sim: undefined,
      power: sequencer.regulator instanceof Tps546 ? sequencer.regulator : undefined,
      fan: boardFan(board.power, log),
      reset: () => sequencer.powerUp(coreMv),
      stop: () => sequencer.powerDown(),
      release: async () => {
        await sequencer
          .powerDown()
          .catch((err: unknown) => log.warn({ err }, 'power-down at release failed'));
        await reset?.close();
        await power?.close();
        await io?.close();
      },
    };
  }
  return {
    link,
    sim: undefined,
    reset: async () => {
      if (power !== undefined && (await power.read()) === 0) {
        await power.write(1);
        await sleep(settle);
      }
      if (reset === undefined) return;
      await pulseReset(reset, (ms) => sleep(ms), hold, settle);
    },
    stop: async () => {
      await reset?.write(1);
    },
    release: async () => {
      await power?.write(0);
      await reset?.close();
      await power?.close();
    },
  };
}

/** The board's fan controller on the bus it names, or undefined (none, or a bus of no known form). */
function boardFan(def: PowerDefinition, log: Logger): FanController | undefined {
  if (def.fan === undefined) return undefined;
  const bus = i2cBusFor(def.fan.bus, log);
  return bus === undefined ? undefined : fanFor(def.fan, bus);
}

/** The power sequencer of a board whose core regulator sv2miner drives, on the bus the board names. */
export function boardSequencer(o: {
  readonly board: BoardDefinition;
  readonly def: PowerDefinition;
  readonly lines: { readonly reset?: Gpio; readonly powerEnable?: Gpio; readonly ioEnable?: Gpio };
  readonly log: Logger;
  readonly resetHoldMs: number;
  readonly resetSettleMs: number;
  /** The bus the regulator sits on (default: /dev/i2c-N or a bridge's, as the board names it). */
  readonly openBus?: (path: string) => I2cBus | undefined;
  readonly wait?: (ms: number) => Promise<void>;
}): PowerSequencer {
  const { board, def, log } = o;
  const bus = (o.openBus ?? ((path) => i2cBusFor(path, log)))(def.regulator.bus);
  if (bus === undefined)
    throw new RangeError(
      `board ${board.id}: regulator bus "${def.regulator.bus}" is neither /dev/i2c-N nor bridge:<port>`,
    );
  return new PowerSequencer({
    regulator: regulatorFor(def.regulator, bus, board.voltageDomains),
    reset: o.lines.reset,
    powerEnable: o.lines.powerEnable,
    ioEnable: o.lines.ioEnable,
    ...(def.enableOrder === undefined ? {} : { enableOrder: def.enableOrder }),
    settleMs: def.settleMs,
    resetHoldMs: o.resetHoldMs,
    resetSettleMs: o.resetSettleMs,
    sleep: o.wait ?? ((ms) => sleep(ms)),
    onStep: (step) => log.info({ regulator: def.regulator.kind }, `power: ${step}`),
  });
}

function totalChips(board: BoardDefinition): number {
  return board.chains.reduce((n, c) => n + c.chipCount, 0);
}

/** A hardware control line, opened at `initial`: a Linux GPIO line or a USB bridge's pin. */
async function openLine(
  line: ControlLine | undefined,
  initial: 0 | 1,
  log: Logger,
): Promise<Gpio | undefined> {
  if (line === undefined) return undefined;
  switch (line.kind) {
    case 'gpiochip': {
      // boards/wiring: a fake device root's sysfs (run --dev-root) is driven file by file.
      if (line.sysfsRoot !== undefined) {
        const number = await sysfsGpioNumber(line.chip, line.line, line.sysfsRoot);
        return SysfsGpio.open(number, { root: line.sysfsRoot, activeLow: line.activeLow, initial });
      }
      const number = await sysfsGpioNumber(line.chip, line.line);
      return OnoffGpio.open(number, { activeLow: line.activeLow, initial });
    }
    case 'bridge':
      return BridgeGpio.open(bridgePort(line.controlPort, log), line.pin, {
        activeLow: line.activeLow,
        initial,
      });
    case 'sim':
      return new FakeGpio({ activeLow: line.activeLow, initial });
  }
}

// One control port per bridge, shared by its pins and its I2C sensors (requests are serialised
// per port) and kept for the life of the process: a pause or restart reopens lines, not ports.
const bridgePorts = new Map<string, BridgeControlPort>();

function bridgePort(path: string, log: Logger): BridgeControlPort {
  let port = bridgePorts.get(path);
  if (port === undefined) {
    port = new BridgeControlPort({
      path,
      link: async () => new UartLink({ binding: await bindingByName('hw'), path, logger: log }),
      logger: log,
    });
    bridgePorts.set(path, port);
  }
  return port;
}

/** Closes every bridge control port the process opened (at exit: an open tty keeps Node alive). */
export async function closeBridgePorts(): Promise<void> {
  const ports = [...bridgePorts.values()];
  bridgePorts.clear();
  await Promise.all(ports.map((p) => p.close().catch(() => {})));
}

/** The I2C bus a board names: `/dev/i2c-N` on Linux, or `bridge:<control port>`. */
function i2cBusFor(path: string, log: Logger): I2cBus | undefined {
  if (path.startsWith('bridge:')) return new BridgeI2cBus(bridgePort(path.slice('bridge:'.length), log));
  // boards/wiring: /dev/i2c-N, or the same under a fake device root (run --dev-root).
  if (isLinuxI2cPath(path)) return new LinuxI2cBus(path);
  return undefined;
}

/**
 * Readers for the board's sensors. The simulator reports its configured temperature with a small
 * drift, so throttling logic sees a live value. I2C sensors share one bus object per bus, on Linux
 * (/dev/i2c-N) or behind a USB bridge's control port; a bus of no known form is skipped with a
 * warning rather than read as failures (which would shut the rig down).
 */
export function thermalReaders(
  board: BoardDefinition,
  log: Logger,
  openBus: (path: string) => I2cBus | undefined = (path) => i2cBusFor(path, log),
): ThermalReader[] {
  const readers: ThermalReader[] = [];
  const buses = new Map<string, I2cBus | undefined>();
  const busFor = (path: string): I2cBus | undefined => {
    if (!buses.has(path)) buses.set(path, openBus(path));
    return buses.get(path);
  };
  for (const sensor of board.sensors) {
    const reader = readerFor(sensor, busFor, log);
    if (reader === undefined)
      log.warn({ sensor: sensor.label, kind: sensor.kind }, 'no driver for this sensor; not monitored');
    else readers.push(reader);
  }
  return readers;
}

function readerFor(
  sensor: SensorDefinition,
  busFor: (path: string) => I2cBus | undefined,
  log: Logger,
): ThermalReader | undefined {
  switch (sensor.kind) {
    case 'sim': {
      const startedAt = performance.now();
      return {
        label: sensor.label,
        read: async () => sensor.celsius + Math.sin((performance.now() - startedAt) / 30_000),
      };
    }
    case 'sysfs':
      return new SysfsThermalReader(sensor.label, sensor.path);
    case 'emc2101':
    case 'tmp1075':
    case 'tmp451': {
      const bus = busFor(sensor.bus);
      if (bus === undefined) return undefined;
      return new I2cTemperatureReader(bus, {
        kind: sensor.kind,
        label: sensor.label,
        address: sensor.address,
        ...(sensor.offsetC === undefined ? {} : { offsetC: sensor.offsetC }),
        ...(sensor.ideality === undefined ? {} : { ideality: sensor.ideality }),
        ...(sensor.beta === undefined ? {} : { beta: sensor.beta }),
        onError: (message) => log.warn({ sensor: sensor.label }, `temperature sensor unreadable: ${message}`),
      });
    }
  }
}
