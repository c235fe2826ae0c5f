/**
 * The USB-bridge control port (bitaxe-raw packets, bm13xx.md §10.2): the codec against the bytes
 * the protocol documents, then BridgeControlPort through the hardware serial binding over a real
 * pty to the simulated bridge firmware: GPIO, I2C sensors, errors, timeouts.
 */
import { spawnSync } from 'node:child_process';
import { autoDetect } from '@serialport/bindings-cpp';
import { afterEach, describe, expect, it } from 'vitest';
import { BridgeControlPort } from '../../../drivers/bridge/control-port.js';
import {
  decodeRequest,
  encodeRequest,
  encodeResponse,
  PAGE,
  ResponseReader,
} from '../../../drivers/bridge/control-protocol.js';
import { BridgeGpio, BridgeI2cBus } from '../../../drivers/peripherals/bridge.js';
import { FakeI2cBus } from '../../../drivers/peripherals/i2c.js';
import { I2cTemperatureReader } from '../../../drivers/peripherals/i2c-sensors.js';
import { SimBridge } from '../../../drivers/sim/sim-bridge.js';
import { type PtyServer, servePty } from '../../../drivers/sim/sim-pty.js';
import { UartLink } from '../../../drivers/transport/uart-link.js';
import { bytesToHex, hexToBytes } from '../../../src/bytes/hex.js';
import { TransportError } from '../../../src/errors.js';

describe('control packets', () => {
  it('a GPIO write is length(whole packet, LE) | id | bus 0 | page 6 | pin | level', () => {
    expect(bytesToHex(encodeRequest({ id: 0x42, page: PAGE.gpio, command: 0, data: Uint8Array.of(0) }))).toBe(
      '0700420006' + '0000',
    );
    expect(bytesToHex(encodeRequest({ id: 7, page: PAGE.gpio, command: 5, data: Uint8Array.of(1) }))).toBe(
      '07000700060501',
    );
    // I2C write-read of register 0x01 at 0x4C, one byte back.
    expect(
      bytesToHex(encodeRequest({ id: 1, page: PAGE.i2c, command: 0x40, data: Uint8Array.of(0x4c, 0x01, 1) })),
    ).toBe('090001000540' + '4c0101');
  });

  it('requests decode back to what was encoded, and wait for their last byte', () => {
    const bytes = encodeRequest({
      id: 9,
      page: PAGE.i2c,
      command: 0x20,
      data: Uint8Array.of(0x4c, 0x17, 0x24),
    });
    expect(decodeRequest(bytes.subarray(0, 5))).toBeUndefined();
    expect(decodeRequest(bytes)).toEqual({
      request: { id: 9, page: PAGE.i2c, command: 0x20, data: Uint8Array.of(0x4c, 0x17, 0x24) },
      size: 9,
    });
  });

  it('responses: length counts data only; FF code is an error; any chunking', () => {
    const stream = new Uint8Array([
      ...encodeResponse(0x42, Uint8Array.of(0x01)),
      ...hexToBytes('0200' + '43' + 'ff11'),
      ...encodeResponse(0x44, new Uint8Array(0)),
      ...encodeResponse(0x45, Uint8Array.of(0xff, 0xff, ...new TextEncoder().encode('bus stuck'))),
    ]);
    expect(bytesToHex(encodeResponse(0x42, Uint8Array.of(0x01)))).toBe('01004201');
    for (const step of [1, 2, 3, stream.length]) {
      const reader = new ResponseReader();
      const got = [];
      for (let i = 0; i < stream.length; i += step) got.push(...reader.push(stream.subarray(i, i + step)));
      expect(got).toEqual([
        { id: 0x42, kind: 'ok', data: Uint8Array.of(1) },
        { id: 0x43, kind: 'error', code: 0x11, message: 'invalid command' },
        { id: 0x44, kind: 'ok', data: new Uint8Array(0) },
        { id: 0x45, kind: 'error', code: 0xff, message: 'firmware error: bus stuck' },
      ]);
    }
  });

  it('an absurd length (a stream out of frame) is dropped and counted, not buffered', () => {
    const reader = new ResponseReader();
    expect(reader.push(hexToBytes('ffff01020304'))).toEqual([]);
    expect(reader.droppedBytes).toBe(6);
    expect(reader.push(encodeResponse(3, Uint8Array.of(9)))).toEqual([
      { id: 3, kind: 'ok', data: Uint8Array.of(9) },
    ]);
  });
});

const hasRelay =
  spawnSync('socat', ['-V'], { stdio: 'ignore' }).status === 0 ||
  spawnSync('python3', ['-c', 'import os; os.openpty()'], { stdio: 'ignore' }).status === 0;
if (!hasRelay) console.warn('\n!!! bridge pty test SKIPPED: neither socat nor python3 is installed !!!\n');

let server: PtyServer | undefined;
let port: BridgeControlPort | undefined;
afterEach(async () => {
  await port?.close();
  await server?.close();
  port = undefined;
  server = undefined;
});

async function bridgeOnPty(bridge: SimBridge, timeoutMs = 500): Promise<BridgeControlPort> {
  server = await servePty(bridge);
  const path = server.path;
  port = new BridgeControlPort({
    path,
    link: () => new UartLink({ binding: autoDetect(), path }),
    timeoutMs,
  });
  return port;
}

describe.skipIf(!hasRelay)(
  'BridgeControlPort over a pty to the simulated bridge (hardware serial binding)',
  () => {
    it('drives the active-low reset pin and reads it back; every request gets the next id', async () => {
      const edges: [number, number][] = [];
      const bridge = new SimBridge({ onPin: (pin, level) => edges.push([pin, level]) });
      const p = await bridgeOnPty(bridge);
      const reset = await BridgeGpio.open(p, 0, { activeLow: true, initial: 1 });
      expect(bridge.pin(0)).toBe(0); // asserted = held low
      expect(await reset.read()).toBe(1);
      await reset.write(0);
      expect(bridge.pin(0)).toBe(1);
      expect(await reset.read()).toBe(0);
      expect(edges).toEqual([
        [0, 0],
        [0, 1],
      ]);
      expect(bridge.requestIds).toEqual([0, 1, 2, 3]);
    });

    it('reads an EMC2101 behind the bridge (ideality written first) and a TMP1075 block', async () => {
      const sensors = new FakeI2cBus()
        .set(0x4c, 0x01, 0x38)
        .set(0x4c, 0x10, 0x60)
        .set(0x4a, 0x00, 0x21)
        .set(0x4a, 0x01, 0x80);
      const p = await bridgeOnPty(new SimBridge({ i2c: sensors }));
      const bus = new BridgeI2cBus(p);
      expect(bus.path).toBe(`bridge:${p.path}`);
      const asic = new I2cTemperatureReader(bus, {
        kind: 'emc2101',
        label: 'asic',
        address: 0x4c,
        ideality: 0x24,
        beta: 0,
      });
      const pcb = new I2cTemperatureReader(bus, { kind: 'tmp1075', label: 'pcb', address: 0x4a });
      expect(await Promise.all([asic.read(), pcb.read()])).toEqual([56.375, 33.5]);
      expect(sensors.writes).toEqual([
        { address: 0x4c, register: 0x17, value: 0x24 },
        { address: 0x4c, register: 0x18, value: 0x00 },
      ]);
    });

    it('a device that does not acknowledge, and a page the firmware does not know, reject with what the bridge said', async () => {
      const p = await bridgeOnPty(new SimBridge());
      await expect(p.i2cWriteRead(0x48, Uint8Array.of(0), 2)).rejects.toThrow(
        'control request page 0x5 command 0x40: bridge says firmware error: no ack from 0x48',
      );
      await expect(p.request(PAGE.adc, 0x50, new Uint8Array(0))).rejects.toThrow(
        'control request page 0x7 command 0x50: bridge says invalid command',
      );
      // The port keeps working after errors.
      await p.gpioWrite(3, 1);
      expect(await p.gpioRead(3)).toBe(1);
    });

    it('a bridge that stops answering times out each request with TransportError, and the port recovers', async () => {
      const bridge = new SimBridge();
      // The bridge answers through another process (the pty relay): a timeout that a loaded
      // machine cannot overrun on the requests that must succeed.
      const p = await bridgeOnPty(bridge, 2_000);
      await p.gpioWrite(0, 1);
      bridge.silent = true;
      const err = await p.gpioRead(0).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TransportError);
      expect((err as Error).message).toMatch(
        /control request page 0x6 command 0x0: no answer within 2000 ms$/,
      );
      bridge.silent = false;
      expect(await p.gpioRead(0)).toBe(1);
    });

    it('a control port that does not exist fails with its path', async () => {
      const path = '/dev/ttyACM-sv2miner-missing';
      port = new BridgeControlPort({ path, link: () => new UartLink({ binding: autoDetect(), path }) });
      await expect(port.gpioWrite(0, 1)).rejects.toThrow(
        new RegExp(`^${path}: cannot open the bridge control port \\(.*No such file or directory.*\\)$`),
      );
    });
  },
);
