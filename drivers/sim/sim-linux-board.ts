/**
 * A Linux-hosted board simulated whole under a fake device root (for `run --dev-root ROOT`): the
 * board's devices at register level (sim-board-devices.ts) with each /dev/i2c-N it names served as
 * a socket at ROOT/dev/i2c-N (sim-i2c-dev.ts), its GPIO lines in a fake ROOT/sys/class/gpio
 * (sim-sysfs-gpio.ts) whose edges drive the chain's reset and supplies, and its UART on a pty
 * linked at ROOT/dev/<name> (sim-pty.ts).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BoardDefinition, ControlLine } from '../../boards/types.js';
import { type BoardLineRole, createSimBoardDevices, type SimBoardDevices } from './sim-board-devices.js';
import type { SimChainOptions } from './sim-chain.js';
import { type I2cDevServer, serveI2cDev } from './sim-i2c-dev.js';
import { type PtyRelay, type PtyServer, servePty } from './sim-pty.js';
import { type SysfsGpioServer, serveSysfsGpio } from './sim-sysfs-gpio.js';

/** Raspberry Pi kernels since 6.6 put gpiochip0 (54 lines on a Pi 4) at sysfs base 512. */
const GPIOCHIP_BASE = 512;
const GPIOCHIP_LINES = 54;

interface SimLinuxBoardOptions {
  readonly board: BoardDefinition;
  readonly root: string;
  readonly chain: SimChainOptions;
  readonly trace?: (line: string) => void;
  readonly relay?: PtyRelay | 'auto';
  /** Sees every line change after the devices do (tests record the power-up order). */
  readonly onLine?: (role: BoardLineRole, asserted: boolean) => void;
}

export interface SimLinuxBoard extends SimBoardDevices {
  readonly root: string;
  /** The pty the chain is served on, linked at ROOT/dev/<uart name>. */
  readonly uart: PtyServer;
  readonly gpio: SysfsGpioServer;
  close(): Promise<void>;
}

export async function serveSimLinuxBoard(options: SimLinuxBoardOptions): Promise<SimLinuxBoard> {
  const { board, root } = options;
  const uartPath = board.chains[0]?.uartPath;
  if (board.chains.length !== 1 || uartPath === undefined || !uartPath.startsWith('/dev/'))
    throw new RangeError(`board ${board.id}: a fake device root serves one chain on a /dev UART`);
  const devices = createSimBoardDevices({ ...options, busName: `${root}/dev/i2c` });
  mkdirSync(join(root, 'dev'), { recursive: true });

  const lines: [BoardLineRole, ControlLine | undefined][] = [
    ['reset', board.reset],
    ['powerEnable', board.powerEnable],
    ['ioEnable', board.ioEnable],
  ];
  const chipNames = new Set(lines.flatMap(([, l]) => (l?.kind === 'gpiochip' ? [l.chip] : [])));
  const chips = [...chipNames].map((name, i) => ({
    name,
    base: GPIOCHIP_BASE + i * GPIOCHIP_LINES,
    lines: GPIOCHIP_LINES,
  }));
  const gpio = serveSysfsGpio(join(root, 'sys', 'class', 'gpio'), chips, (n, electrical) => {
    for (const [role, line] of lines) {
      if (line?.kind !== 'gpiochip') continue;
      const base = chips.find((c) => c.name === line.chip)?.base ?? 0;
      if (base + line.line !== n) continue;
      const asserted = line.activeLow ? electrical === 0 : electrical === 1;
      devices.setLine(role, asserted);
      options.onLine?.(role, asserted);
    }
  });

  const buses = new Set<string>();
  for (const sensor of board.sensors) if ('bus' in sensor) buses.add(sensor.bus);
  if (board.power !== undefined) {
    buses.add(board.power.regulator.bus);
    if (board.power.fan !== undefined) buses.add(board.power.fan.bus);
  }
  const i2cServers: I2cDevServer[] = [];
  let uart: PtyServer | undefined;
  try {
    // One bus model serves every /dev/i2c-N the board names (boards have one).
    for (const bus of buses)
      if (/^\/dev\/i2c-\d+$/.test(bus)) i2cServers.push(await serveI2cDev(`${root}${bus}`, devices.i2c));
    uart = await servePty(devices.chain, {
      link: `${root}${uartPath}`,
      ...(options.relay === undefined ? {} : { relay: options.relay }),
    });
  } catch (error) {
    gpio.close();
    await Promise.all(i2cServers.map((s) => s.close()));
    devices.chain.close();
    throw error;
  }
  const served = uart;
  return {
    ...devices,
    root,
    uart: served,
    gpio,
    close: async () => {
      gpio.close();
      await Promise.all(i2cServers.map((s) => s.close()));
      await served.close();
    },
  };
}
