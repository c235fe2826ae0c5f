/**
 * The SMBus operations of the one I2cBus interface put the same bytes on the wire whichever
 * implementation carries them: the in-memory bus, and the USB bridge's control port over a real
 * pty to the simulated bridge firmware. A scripted device records each transaction and answers
 * reads from a table, so every byte is asserted.
 */
import { spawnSync } from 'node:child_process';
import { autoDetect } from '@serialport/bindings-cpp';
import { afterEach, describe, expect, it } from 'vitest';
import { BridgeControlPort } from '../../../drivers/bridge/control-port.js';
import { BridgeI2cBus } from '../../../drivers/peripherals/bridge.js';
import { FakeI2cBus, type I2cBus, type I2cDevice, LinuxI2cBus } from '../../../drivers/peripherals/i2c.js';
import { SimBridge } from '../../../drivers/sim/sim-bridge.js';
import { type PtyServer, servePty } from '../../../drivers/sim/sim-pty.js';
import { UartLink } from '../../../drivers/transport/uart-link.js';
import { bytesToHex } from '../../../src/bytes/hex.js';

/** Answers reads by command from `answers`; keeps each transaction as [write hex, read length]. */
class ScriptedDevice implements I2cDevice {
  readonly seen: [string, number][] = [];
  private readonly answers: Record<number, number[]>;
  constructor(answers: Record<number, number[]>) {
    this.answers = answers;
  }
  transfer(write: Uint8Array, readLength: number): Uint8Array {
    this.seen.push([bytesToHex(write), readLength]);
    const answer = this.answers[write[0] ?? -1] ?? [];
    return Uint8Array.from({ length: readLength }, (_, i) => answer[i] ?? 0);
  }
}

const ADDRESS = 0x24;

async function exercise(bus: I2cBus, device: ScriptedDevice): Promise<void> {
  await bus.sendByte(ADDRESS, 0x03);
  await bus.writeByte(ADDRESS, 0x01, 0x80);
  await bus.writeWord(ADDRESS, 0x21, 0x0266);
  expect(await bus.readWord(ADDRESS, 0x8b)).toBe(0x024c);
  expect(await bus.readByte(ADDRESS, 0x20)).toBe(0x97);
  expect(Array.from(await bus.readBlockData(ADDRESS, 0xad, 6))).toEqual([0x54, 0x49, 0x54, 0x6d, 0x24, 0x41]);
  await bus.writeBlockData(ADDRESS, 0xb1, Uint8Array.of(0x12, 0x34, 0x42, 0x21, 0x04));
  expect(device.seen).toEqual([
    ['03', 0],
    ['0180', 0],
    ['216602', 0], // word low byte first
    ['8b', 2],
    ['20', 1],
    ['ad', 7], // length byte + 6
    ['b1051234422104', 0], // command, length, data
  ]);
  // A block whose length byte disagrees is refused with what was asked and what came.
  await expect(bus.readBlockData(ADDRESS, 0x99, 3)).rejects.toThrow(
    'device 0x24 command 0x99: block length byte 2, expected 3',
  );
  // Values that cannot go on the wire never leave.
  await expect(bus.writeWord(ADDRESS, 0x21, 0x10000)).rejects.toThrow('expected an integer 0..65535');
  await expect(bus.writeByte(ADDRESS, 0x01, -1)).rejects.toThrow('expected an integer 0..255');
  await expect(bus.writeBlockData(ADDRESS, 0xb1, new Uint8Array(33))).rejects.toThrow('expected 1..32');
  await expect(bus.sendByte(0x80, 0x03)).rejects.toThrow('expected a 7-bit address');
  expect(device.seen).toHaveLength(8);
}

const answers = {
  139: [0x4c, 0x02],
  32: [0x97],
  173: [6, 0x54, 0x49, 0x54, 0x6d, 0x24, 0x41],
  153: [2, 0x54, 0x49, 0x00],
};

describe('SMBus operations on the in-memory bus', () => {
  it('send byte, write/read byte and word, block write/read with the length byte', async () => {
    const device = new ScriptedDevice(answers);
    const bus = new FakeI2cBus().attach(ADDRESS, device);
    await exercise(bus, device);
    expect(bus.transactions[2]).toEqual({
      address: ADDRESS,
      write: Uint8Array.of(0x21, 0x66, 0x02),
      read: new Uint8Array(0),
    });
  });

  it('a device that does not answer rejects each operation', async () => {
    const bus = new FakeI2cBus().attach(ADDRESS, new ScriptedDevice({}));
    bus.fail(ADDRESS);
    await expect(bus.readWord(ADDRESS, 0x8b)).rejects.toThrow('no answer from device 0x24');
    await expect(bus.sendByte(ADDRESS, 0x03)).rejects.toThrow('no answer from device 0x24');
  });
});

describe('LinuxI2cBus checks before it opens anything', () => {
  it('refuses out-of-bounds values and a block Linux cannot read', async () => {
    const bus = new LinuxI2cBus('/dev/i2c-99');
    await expect(bus.writeWord(ADDRESS, 0x21, 70000)).rejects.toThrow('expected an integer 0..65535');
    await expect(bus.readBlockData(ADDRESS, 0xad, 32)).rejects.toThrow('at most 31 on Linux');
    await expect(bus.sendByte(0x02, 0x03)).rejects.toThrow('expected a 7-bit address');
  });
});

const hasRelay =
  spawnSync('socat', ['-V'], { stdio: 'ignore' }).status === 0 ||
  spawnSync('python3', ['-c', 'import os; os.openpty()'], { stdio: 'ignore' }).status === 0;
if (!hasRelay) console.warn('\n!!! bridge SMBus test SKIPPED: neither socat nor python3 is installed !!!\n');

let server: PtyServer | undefined;
let port: BridgeControlPort | undefined;
afterEach(async () => {
  await port?.close();
  await server?.close();
  port = undefined;
  server = undefined;
});

describe.skipIf(!hasRelay)('SMBus operations through the USB bridge over a pty', () => {
  it('the same wire bytes reach the device behind the simulated bitaxe-raw firmware', async () => {
    const device = new ScriptedDevice(answers);
    const bridge = new SimBridge({ i2c: new FakeI2cBus('bridge-i2c').attach(ADDRESS, device) });
    server = await servePty(bridge);
    const path = server.path;
    port = new BridgeControlPort({ path, link: () => new UartLink({ binding: autoDetect(), path }) });
    await exercise(new BridgeI2cBus(port), device);
  });
});
