/**
 * A simulated board's I2C bus served where a fake device root's /dev/i2c-N would be: a Unix socket
 * speaking the raw-transaction frames of drivers/peripherals/i2c-dev-socket.ts, each run on the
 * FakeI2cBus that holds the board's device models. A NACK, a stuck bus or a malformed frame is
 * answered with its status; a client that sends more than a frame's worth without completing one
 * is dropped.
 */
import { rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import type { FakeI2cBus } from '../peripherals/i2c.js';
import { I2C_DEV_SOCKET_MAX_TRANSFER, I2C_DEV_STATUS } from '../peripherals/i2c-dev-socket.js';

const MAX_CLIENTS = 8;
const HEADER = 3;

export interface I2cDevServer {
  readonly path: string;
  close(): Promise<void>;
}

export async function serveI2cDev(path: string, bus: FakeI2cBus): Promise<I2cDevServer> {
  rmSync(path, { force: true });
  const clients = new Set<Socket>();
  const server: Server = createServer((socket) => {
    if (clients.size >= MAX_CLIENTS) {
      socket.destroy();
      return;
    }
    clients.add(socket);
    socket.on('close', () => clients.delete(socket));
    socket.on('error', () => {});
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      for (;;) {
        if (pending.length < HEADER) break;
        const [address = 0, writeLength = 0, readLength = 0] = pending;
        if (writeLength > I2C_DEV_SOCKET_MAX_TRANSFER || readLength > I2C_DEV_SOCKET_MAX_TRANSFER) {
          socket.end(Uint8Array.of(I2C_DEV_STATUS.badRequest));
          return;
        }
        if (pending.length < HEADER + writeLength) break;
        const write = Uint8Array.from(pending.subarray(HEADER, HEADER + writeLength));
        pending = pending.subarray(HEADER + writeLength);
        socket.write(answer(bus, address, write, readLength));
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  return {
    path,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of clients) c.destroy();
        server.close(() => {
          rmSync(path, { force: true });
          resolve();
        });
      }),
  };
}

function answer(bus: FakeI2cBus, address: number, write: Uint8Array, readLength: number): Uint8Array {
  if (address < 0x03 || address > 0x77) return Uint8Array.of(I2C_DEV_STATUS.badRequest);
  if (bus.stuck) return Uint8Array.of(I2C_DEV_STATUS.busError);
  try {
    return Uint8Array.of(I2C_DEV_STATUS.done, ...bus.transfer(address, write, readLength));
  } catch {
    return Uint8Array.of(I2C_DEV_STATUS.nack);
  }
}
