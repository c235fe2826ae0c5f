/**
 * The i2c-dev seam for a fake device root. A real /dev/i2c-N is driven with ioctl(I2C_SLAVE) and
 * ioctl(I2C_SMBUS / I2C_RDWR), which Node reaches only through a native addon (i2c-bus); a test
 * or `sim-board` cannot serve that. Under a fake root (`run --dev-root DIR`) the simulator puts a
 * Unix socket at DIR/dev/i2c-N instead, and this client speaks to it one raw transaction at a time
 * (what the kernel's SMBus emulation puts on the wire for each call). LinuxI2cBus keeps its own
 * checks and its SMBus composition above this seam; only the ioctl layer is swapped.
 *
 * Frame, host -> device: address, write length, read length, write bytes. Device -> host: status
 * (0 done, 1 no acknowledge, 2 bus error, 3 bad request), then read-length bytes when done.
 */
import { createConnection, type Socket } from 'node:net';

/** Both lengths fit a byte; 64 covers every SMBus transaction (block: command, count, 32 data). */
export const I2C_DEV_SOCKET_MAX_TRANSFER = 64;
export const I2C_DEV_STATUS = { done: 0, nack: 1, busError: 2, badRequest: 3 } as const;

const TIMEOUT_MS = 500;
const hex = (n: number): string => `0x${n.toString(16).padStart(2, '0')}`;

export class I2cDevSocket {
  readonly path: string;
  private socket: Socket | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly timeoutMs: number;

  constructor(path: string, options: { timeoutMs?: number } = {}) {
    this.path = path;
    this.timeoutMs = options.timeoutMs ?? TIMEOUT_MS;
  }

  /** One transaction; rejects on a NACK, a bus error, a timeout or a closed socket, naming the bus. */
  transfer(address: number, write: Uint8Array, readLength: number): Promise<Uint8Array> {
    if (write.length > I2C_DEV_SOCKET_MAX_TRANSFER || readLength > I2C_DEV_SOCKET_MAX_TRANSFER)
      return Promise.reject(
        new RangeError(`${this.path}: transfer of ${write.length}+${readLength} bytes: at most 64 each way`),
      );
    const run = this.queue.then(() => this.exchange(address, write, readLength));
    this.queue = run.catch(() => {});
    return run;
  }

  async close(): Promise<void> {
    await this.queue;
    this.socket?.destroy();
    this.socket = undefined;
  }

  private async connected(): Promise<Socket> {
    if (this.socket !== undefined && !this.socket.destroyed) return this.socket;
    const socket = createConnection(this.path);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', (err) => reject(new Error(`${this.path}: cannot open (${err.message})`)));
    });
    // A later error surfaces as the pending transfer's close; nothing else listens.
    socket.on('error', () => {});
    // Like an open /dev/i2c-N descriptor, an idle bus does not keep the process alive (the
    // buses are not closed at exit); a transfer in flight has its timeout timer, which does.
    socket.unref();
    this.socket = socket;
    return socket;
  }

  private async exchange(address: number, write: Uint8Array, readLength: number): Promise<Uint8Array> {
    const socket = await this.connected();
    const want = 1 + readLength;
    return new Promise<Uint8Array>((resolve, reject) => {
      let got = Buffer.alloc(0);
      const finish = (error: Error | undefined, value?: Uint8Array): void => {
        clearTimeout(timer);
        socket.off('data', onData);
        socket.off('close', onClose);
        if (error === undefined && value !== undefined) resolve(value);
        else {
          // The stream is out of step after a timeout or a short answer: start clean next time.
          socket.destroy();
          reject(error);
        }
      };
      const onData = (chunk: Buffer): void => {
        got = Buffer.concat([got, chunk]);
        if (got[0] !== undefined && got[0] !== I2C_DEV_STATUS.done) {
          const status = got[0];
          finish(
            new Error(
              status === I2C_DEV_STATUS.nack
                ? `${this.path}: device ${hex(address)} did not acknowledge (EREMOTEIO)`
                : status === I2C_DEV_STATUS.busError
                  ? `${this.path}: bus error talking to ${hex(address)} (ETIMEDOUT)`
                  : `${this.path}: request refused by the adapter (EINVAL)`,
            ),
          );
          return;
        }
        if (got.length > want) finish(new Error(`${this.path}: ${got.length - want} bytes more than asked`));
        else if (got.length === want) finish(undefined, Uint8Array.from(got.subarray(1)));
      };
      const onClose = (): void => finish(new Error(`${this.path}: closed during a transfer`));
      const timer = setTimeout(
        () => finish(new Error(`${this.path}: no answer within ${this.timeoutMs} ms (ETIMEDOUT)`)),
        this.timeoutMs,
      );
      socket.on('data', onData);
      socket.once('close', onClose);
      socket.write(Uint8Array.of(address, write.length, readLength, ...write));
    });
  }
}
