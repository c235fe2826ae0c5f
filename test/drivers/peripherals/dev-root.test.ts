/**
 * The fake-device-root seams under the Pi-native boards: LinuxI2cBus on ROOT/dev/i2c-N runs its
 * SMBus calls as the raw transactions Linux's SMBus emulation makes, over the simulator's socket
 * (exact bytes per call, NACK, stuck bus, a device that never answers); SysfsGpio drives a
 * kernel-like fake /sys/class/gpio (export, active_low, direction, value, unexport); withDevRoot
 * moves a board's Linux paths under the root.
 */

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { withDevRoot } from '../../../boards/ports.js';
import { rpiTps546Bm1370 } from '../../../boards/rpi-tps546.js';
import { bitaxeGammaUsb } from '../../../boards/usb-bridge.js';
import { SysfsGpio, sysfsGpioNumber } from '../../../drivers/peripherals/gpio.js';
import { FakeI2cBus, LinuxI2cBus, RegisterMapDevice } from '../../../drivers/peripherals/i2c.js';
import { I2cDevSocket } from '../../../drivers/peripherals/i2c-dev-socket.js';
import { serveI2cDev } from '../../../drivers/sim/sim-i2c-dev.js';
import { serveSysfsGpio } from '../../../drivers/sim/sim-sysfs-gpio.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tempRoot(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sv2miner-devroot-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const wire = (bus: FakeI2cBus): string[] =>
  bus.transactions.map((t) => {
    const w = Buffer.from(t.write).toString('hex');
    return t.read.length === 0 ? w : `${w}>${Buffer.from(t.read).toString('hex')}`;
  });

describe('LinuxI2cBus under a fake device root', () => {
  it('each SMBus call is the transaction Linux would put on the wire', async () => {
    const root = tempRoot();
    const model = new FakeI2cBus('sim').attach(0x24, new RegisterMapDevice());
    (model.device(0x24) as RegisterMapDevice).registers.set(0x8b, 0x34).set(0x8c, 0x12);
    (model.device(0x24) as RegisterMapDevice).registers
      .set(0xad, 3)
      .set(0xae, 0x54)
      .set(0xaf, 0x49)
      .set(0xb0, 0x54);
    // The bus path as withDevRoot makes it: ROOT/dev/i2c-1, the simulator's socket.
    mkdirSync(join(root, 'dev'));
    const served = join(root, 'dev', 'i2c-1');
    const server = await serveI2cDev(served, model);
    cleanups.push(() => server.close());
    const bus = new LinuxI2cBus(served);
    cleanups.push(() => bus.close());
    await bus.writeByte(0x24, 0x01, 0x80);
    expect(await bus.readByte(0x24, 0x01)).toBe(0x80);
    expect(await bus.readWord(0x24, 0x8b)).toBe(0x1234);
    await bus.writeWord(0x24, 0x21, 0x0266);
    await bus.sendByte(0x24, 0x03);
    expect(Buffer.from(await bus.readBlockData(0x24, 0xad, 3)).toString('hex')).toBe('544954');
    await bus.writeBlockData(0x24, 0xd0, Uint8Array.of(0xaa, 0xbb));
    expect(wire(model)).toEqual(['0180', '01>80', '8b>3412', '216602', '03', 'ad>03544954', 'd002aabb']);
  });

  it('a NACK, a stuck bus and a silent device are errors naming the bus; nothing else is sent', async () => {
    const root = tempRoot();
    const model = new FakeI2cBus('sim').set(0x4c, 0x00, 0x2a);
    const path = join(root, 'i2c-3');
    const server = await serveI2cDev(path, model);
    cleanups.push(() => server.close());
    const socket = new I2cDevSocket(path);
    cleanups.push(() => socket.close());
    await expect(socket.transfer(0x48, Uint8Array.of(0xf8), 1)).rejects.toThrow(
      `${path}: device 0x48 did not acknowledge (EREMOTEIO)`,
    );
    model.stuck = true;
    await expect(socket.transfer(0x4c, Uint8Array.of(0x00), 1)).rejects.toThrow(
      `${path}: bus error talking to 0x4c (ETIMEDOUT)`,
    );
    model.stuck = false;
    expect(await socket.transfer(0x4c, Uint8Array.of(0x00), 1)).toEqual(Uint8Array.of(0x2a));
    await expect(socket.transfer(0x4c, new Uint8Array(65), 0)).rejects.toThrow('at most 64 each way');

    const silentPath = join(root, 'silent');
    const silent = createServer((s) => s.on('data', () => {}));
    await new Promise<void>((r) => silent.listen(silentPath, r));
    cleanups.push(() => new Promise<void>((r) => silent.close(() => r())));
    const deaf = new I2cDevSocket(silentPath, { timeoutMs: 50 });
    cleanups.push(() => deaf.close());
    await expect(deaf.transfer(0x24, Uint8Array.of(0x01), 1)).rejects.toThrow(
      `${silentPath}: no answer within 50 ms (ETIMEDOUT)`,
    );
    await expect(new I2cDevSocket(join(root, 'absent')).transfer(0x24, Uint8Array.of(1), 1)).rejects.toThrow(
      'cannot open',
    );
  });

  it('refuses a path that is not an i2c-dev node', () => {
    expect(() => new LinuxI2cBus('/tmp/root/dev/ttyS0')).toThrow(
      'expected /dev/i2c-<n> or <dev root>/dev/i2c-<n>',
    );
  });
});

describe('SysfsGpio on a fake /sys/class/gpio', () => {
  it('exports, sets active_low and a glitch-free initial level, writes logical values, unexports', async () => {
    const root = join(tempRoot(), 'sys', 'class', 'gpio');
    const levels: string[] = [];
    const sysfs = serveSysfsGpio(root, [{ name: 'gpiochip0', base: 512, lines: 54 }], (n, e) =>
      levels.push(`${n}:${e}`),
    );
    cleanups.push(() => sysfs.close());
    const number = await sysfsGpioNumber('gpiochip0', 17, root);
    expect(number).toBe(529);
    // NRST, active low, opened asserted: electrically low from the first moment.
    const line = await SysfsGpio.open(number, { root, activeLow: true, initial: 1 });
    expect(readFileSync(join(root, 'gpio529', 'active_low'), 'utf8')).toBe('1');
    expect(readFileSync(join(root, 'gpio529', 'direction'), 'utf8')).toBe('low');
    const settled = async (want: string) => {
      for (let i = 0; i < 200 && levels.at(-1) !== want; i++) await new Promise((r) => setTimeout(r, 5));
    };
    await settled('529:0');
    await line.write(0); // released: electrically high
    await settled('529:1');
    expect(await line.read()).toBe(0);
    await line.write(1);
    await settled('529:0');
    expect(levels).toEqual(['529:0', '529:1', '529:0']);
    await line.close();
    expect(readFileSync(join(root, 'unexport'), 'utf8')).toBe('529');
  });

  it('a line whose gpioN/ never appears after export is a clear error after bounded waits', async () => {
    const root = tempRoot();
    writeFileSync(join(root, 'export'), '');
    const waits: number[] = [];
    await expect(
      SysfsGpio.open(600, {
        root,
        activeLow: true,
        initial: 1,
        sleep: async (ms) => {
          waits.push(ms);
        },
      }),
    ).rejects.toThrow(
      `exported, but ${join(root, 'gpio600', 'direction')} did not become writable within 1275 ms`,
    );
    expect(waits).toEqual([5, 10, 20, 40, 80, 160, 320, 640]);
    expect(readFileSync(join(root, 'export'), 'utf8')).toBe('600');
  });
});

describe('withDevRoot', () => {
  it('moves a Linux board’s UART, I2C buses and GPIO lines under the root; refuses a USB board', () => {
    const board = withDevRoot(rpiTps546Bm1370, '/tmp/r');
    expect(board.chains[0]?.uartPath).toBe('/tmp/r/dev/serial0');
    expect(board.power?.regulator.bus).toBe('/tmp/r/dev/i2c-1');
    expect(board.power?.fan?.bus).toBe('/tmp/r/dev/i2c-1');
    expect(board.sensors[0]).toMatchObject({ bus: '/tmp/r/dev/i2c-1' });
    expect(board.reset).toMatchObject({ kind: 'gpiochip', line: 17, sysfsRoot: '/tmp/r/sys/class/gpio' });
    expect(withDevRoot(rpiTps546Bm1370, undefined)).toBe(rpiTps546Bm1370);
    expect(() => withDevRoot(bitaxeGammaUsb, '/tmp/r')).toThrow(
      'board bitaxe-gamma-usb is not wired to Linux devices: --dev-root does not apply',
    );
    expect(() => withDevRoot(rpiTps546Bm1370, 'relative')).toThrow('expected an absolute path');
  });
});
