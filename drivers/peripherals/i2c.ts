/**
 * Register access on an I2C/SMBus bus, behind one interface so sensor drivers run the same on
 * a Linux /dev/i2c-N bus (i2c-bus, a native binding loaded only when a real bus is opened), on a
 * USB bridge's I2C page (bridge.ts) and on a fake that holds device registers for tests.
 */

export interface I2cBus {
  /** The bus as the board names it (`/dev/i2c-1`), for log lines. */
  readonly path: string;
  readByte(address: number, register: number): Promise<number>;
  writeByte(address: number, register: number, value: number): Promise<void>;
  /** `length` bytes starting at `register` in one transfer (multi-byte registers stay coherent). */
  readBlock(address: number, register: number, length: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** What i2c-bus's promisified bus offers that we use. */
interface NativeBus {
  readByte(address: number, command: number): Promise<number>;
  writeByte(address: number, command: number, byte: number): Promise<void>;
  readI2cBlock(
    address: number,
    command: number,
    length: number,
    buffer: Buffer,
  ): Promise<{ bytesRead: number; buffer: Buffer }>;
  close(): Promise<void>;
}

/** The bus number of a Linux I2C device path (`/dev/i2c-1` -> 1). */
export function linuxI2cBusNumber(path: string): number {
  const match = /^\/dev\/i2c-(\d+)$/.exec(path);
  if (match === null) throw new RangeError(`I2C bus path: expected /dev/i2c-<n>, got "${path}"`);
  return Number(match[1]);
}

/** A Linux i2c-dev bus through i2c-bus, loaded on first use (simulated rigs never load the binding). */
export class LinuxI2cBus implements I2cBus {
  readonly path: string;
  private readonly busNumber: number;
  private opening: Promise<NativeBus> | undefined;

  constructor(path: string) {
    this.path = path;
    this.busNumber = linuxI2cBusNumber(path);
  }

  async readByte(address: number, register: number): Promise<number> {
    return (await this.bus()).readByte(address, register);
  }

  async writeByte(address: number, register: number, value: number): Promise<void> {
    await (await this.bus()).writeByte(address, register, value);
  }

  async readBlock(address: number, register: number, length: number): Promise<Uint8Array> {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await (await this.bus()).readI2cBlock(address, register, length, buffer);
    if (bytesRead !== length)
      throw new Error(`device 0x${address.toString(16)} gave ${bytesRead} of ${length} bytes`);
    return new Uint8Array(buffer);
  }

  async close(): Promise<void> {
    const opening = this.opening;
    this.opening = undefined;
    if (opening !== undefined) await (await opening.catch(() => undefined))?.close();
  }

  private bus(): Promise<NativeBus> {
    // i2c-bus opens the device file lazily and its errors name it (ENOENT, EACCES, EREMOTEIO for a
    // NACK); a failed load is retried next time.
    this.opening ??= import('i2c-bus')
      .then((m) => m.openPromisified(this.busNumber) as Promise<NativeBus>)
      .catch((err: unknown) => {
        this.opening = undefined;
        throw err;
      });
    return this.opening;
  }
}

/**
 * Devices as register maps (address -> register -> byte) for tests; a device can be made to fail
 * (NACK) to exercise the error paths. Writes are recorded in order.
 */
export class FakeI2cBus implements I2cBus {
  readonly path: string;
  readonly writes: { address: number; register: number; value: number }[] = [];
  private readonly devices = new Map<number, Map<number, number>>();
  private readonly failing = new Set<number>();

  constructor(path = '/dev/i2c-fake') {
    this.path = path;
  }

  set(address: number, register: number, value: number): this {
    let regs = this.devices.get(address);
    if (regs === undefined) {
      regs = new Map();
      this.devices.set(address, regs);
    }
    regs.set(register, value & 0xff);
    return this;
  }

  /** From now on the device does not answer (or answers again with `false`). */
  fail(address: number, failing = true): void {
    if (failing) this.failing.add(address);
    else this.failing.delete(address);
  }

  async readByte(address: number, register: number): Promise<number> {
    return this.regs(address).get(register) ?? 0;
  }

  async writeByte(address: number, register: number, value: number): Promise<void> {
    this.regs(address);
    this.writes.push({ address, register, value });
    this.set(address, register, value);
  }

  async readBlock(address: number, register: number, length: number): Promise<Uint8Array> {
    const regs = this.regs(address);
    return Uint8Array.from({ length }, (_, i) => regs.get(register + i) ?? 0);
  }

  async close(): Promise<void> {}

  private regs(address: number): Map<number, number> {
    const regs = this.devices.get(address);
    if (regs === undefined || this.failing.has(address))
      throw new Error(`no answer from device 0x${address.toString(16)}`);
    return regs;
  }
}
