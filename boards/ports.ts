/**
 * A USB-bridged board on the ports a rig actually has (udev names, or the ptys of a simulated
 * board): every `bridge:<control>` bus, bridge control line and the data chain move to the given
 * paths. The definitions keep /dev/ttyACM0/1, which is only right when the bridge is the sole
 * CDC-ACM device.
 */
import type { BoardDefinition, ControlLine } from './types.js';

interface BridgePorts {
  readonly control?: string | undefined;
  readonly data?: string | undefined;
}

export function withPorts(board: BoardDefinition, ports: BridgePorts): BoardDefinition {
  const { control, data } = ports;
  if (control === undefined && data === undefined) return board;
  const lines = [board.reset, board.powerEnable, board.ioEnable].filter(
    (l): l is ControlLine => l !== undefined,
  );
  const bridgeLine = lines.find((l) => l.kind === 'bridge');
  if (bridgeLine === undefined || bridgeLine.kind !== 'bridge')
    throw new RangeError(`board ${board.id} has no USB bridge: control and data ports do not apply`);
  if (data !== undefined && board.chains.length !== 1)
    throw new RangeError(
      `board ${board.id} has ${board.chains.length} chains: one data port cannot name them`,
    );
  const oldControl = bridgeLine.controlPort;
  const newControl = control ?? oldControl;
  const bus = (path: string): string => (path === `bridge:${oldControl}` ? `bridge:${newControl}` : path);
  const line = (l: ControlLine | undefined): ControlLine | undefined =>
    l?.kind === 'bridge' && l.controlPort === oldControl ? { ...l, controlPort: newControl } : l;
  const power = board.power;
  return {
    ...board,
    chains: data === undefined ? board.chains : board.chains.map((c) => ({ ...c, uartPath: data })),
    reset: line(board.reset),
    powerEnable: line(board.powerEnable),
    ...(board.ioEnable === undefined ? {} : { ioEnable: line(board.ioEnable) }),
    sensors: board.sensors.map((s) => ('bus' in s ? { ...s, bus: bus(s.bus) } : s)),
    ...(power === undefined
      ? {}
      : {
          power: {
            ...power,
            regulator: { ...power.regulator, bus: bus(power.regulator.bus) },
            fan: power.fan === undefined ? undefined : { ...power.fan, bus: bus(power.fan.bus) },
          },
        }),
  };
}

/**
 * A Linux-hosted board under a fake device root (`run --dev-root DIR`, served by `sim-board
 * --dev-root DIR`): its UART and /dev/i2c-N paths move under DIR, its GPIO lines to
 * DIR/sys/class/gpio. Only for simulated hardware: the I2C buses there are the simulator's sockets.
 */
export function withDevRoot(board: BoardDefinition, root: string | undefined): BoardDefinition {
  if (root === undefined) return board;
  if (!root.startsWith('/')) throw new RangeError(`--dev-root ${root}: expected an absolute path`);
  const under = (path: string): string => (path.startsWith('/dev/') ? `${root}${path}` : path);
  const line = (l: ControlLine | undefined): ControlLine | undefined =>
    l?.kind === 'gpiochip' ? { ...l, sysfsRoot: `${root}/sys/class/gpio` } : l;
  const linux =
    board.chains.some((c) => c.uartPath.startsWith('/dev/')) &&
    [board.reset, board.powerEnable, board.ioEnable].every((l) => l === undefined || l.kind === 'gpiochip');
  if (board.simulated || !linux)
    throw new RangeError(`board ${board.id} is not wired to Linux devices: --dev-root does not apply`);
  const power = board.power;
  return {
    ...board,
    chains: board.chains.map((c) => ({ ...c, uartPath: under(c.uartPath) })),
    reset: line(board.reset),
    powerEnable: line(board.powerEnable),
    ...(board.ioEnable === undefined ? {} : { ioEnable: line(board.ioEnable) }),
    sensors: board.sensors.map((s) => ('bus' in s ? { ...s, bus: under(s.bus) } : s)),
    ...(power === undefined
      ? {}
      : {
          power: {
            ...power,
            regulator: { ...power.regulator, bus: under(power.regulator.bus) },
            fan: power.fan === undefined ? undefined : { ...power.fan, bus: under(power.fan.bus) },
          },
        }),
  };
}
