/**
 * Register access on an I2C/SMBus bus, behind one interface so device drivers run the same on a
 * Linux /dev/i2c-N bus (i2c-bus, a native binding loaded only when a real bus is opened; under a
 * fake device root, a simulator's socket in its place: i2c-dev-socket.ts), on a
 * USB bridge's I2C page (bridge.ts) and on a fake that hosts device models for tests
 * (fake-i2c.ts). Every operation is one SMBus transaction; what it puts on the wire is written
 * next to it, because the bridge and the fake build those bytes themselves.
 */

/** The SMBus limit on a block transfer's data (its length byte counts 1..32). */
const SMBUS_BLOCK_MAX = 32;

export interface I2cBus {
  /** The bus as the board names it (`/dev/i2c-1`), for log lines. */
  readonly path: string;
  /** Wire: write `register`, read 1 byte. */
  readByte(address: number, register: number): Promise<number>;
  /** Wire: write `register value`. */
  writeByte(address: number, register: number, value: number): Promise<void>;
  /** `length` bytes starting at `register` in one transfer (multi-byte registers stay coherent). */
  readBlock(address: number, register: number, length: number): Promise<Uint8Array>;
  /** SMBus send byte, a command with no data (PMBus CLEAR_FAULTS). Wire: write `command`. */
  sendByte(address: number, command: number): Promise<void>;
  /** SMBus read word. Wire: write `command`, read `low high`. */
  readWord(address: number, command: number): Promise<number>;
  /** SMBus write word. Wire: write `command low high`. */
  writeWord(address: number, command: number, value: number): Promise<void>;
  /**
   * SMBus block read of exactly `length` data bytes. Wire: write `command`, read `length data…`;
   * a device whose length byte says otherwise is an error (a fixed-length read is all a USB
   * bridge and Linux's I2C block read can do).
   */
  readBlockData(address: number, command: number, length: number): Promise<Uint8Array>;
  /** SMBus block write. Wire: write `command length data…`. */
  writeBlockData(address: number, command: number, data: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

const hex = (n: number): string => `0x${n.toString(16).padStart(2, '0')}`;

/** A 7-bit address outside the reserved ranges (0x00-0x02, 0x78-0x7F). */
export function checkAddress(address: number): void {
  if (!Number.isInteger(address) || address < 0x03 || address > 0x77)
    throw new RangeError(`I2C address ${address}: expected a 7-bit address 0x03..0x77`);
}

export function checkByte(what: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xff)
    throw new RangeError(`I2C ${what} ${value}: expected an integer 0..255`);
}

export function checkWord(what: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff)
    throw new RangeError(`I2C ${what} ${value}: expected an integer 0..65535`);
}

export function checkBlockLength(length: number): void {
  if (!Number.isInteger(length) || length < 1 || length > SMBUS_BLOCK_MAX)
    throw new RangeError(`SMBus block of ${length} bytes: expected 1..${SMBUS_BLOCK_MAX}`);
}

/** The data of an SMBus block read whose raw bytes are `length byte` + data. */
export function blockPayload(address: number, command: number, raw: Uint8Array, length: number): Uint8Array {
  const count = raw[0];
  if (count !== length)
    throw new Error(
      `device ${hex(address)} command ${hex(command)}: block length byte ${count ?? 'missing'}, expected ${length}`,
    );
  return raw.slice(1, 1 + length);
}

/** What i2c-bus's promisified bus offers that we use: the ioctl layer under LinuxI2cBus. */
interface NativeBus {
  readByte(address: number, command: number): Promise<number>;
  writeByte(address: number, command: number, byte: number): Promise<void>;
  readWord(address: number, command: number): Promise<number>;
  writeWord(address: number, command: number, word: number): Promise<void>;
  sendByte(address: number, byte: number): Promise<void>;
  readI2cBlock(
    address: number,
    command: number,
    length: number,
    buffer: Buffer,
  ): Promise<{ bytesRead: number; buffer: Buffer }>;
  writeI2cBlock(
    address: number,
    command: number,
    length: number,
    buffer: Buffer,
  ): Promise<{ bytesWritten: number; buffer: Buffer }>;
  close(): Promise<void>;
}

/** The bus number of a Linux I2C device path (`/dev/i2c-1` -> 1). */
export function linuxI2cBusNumber(path: string): number {
  const match = /^\/dev\/i2c-(\d+)$/.exec(path);
  if (match === null) throw new RangeError(`I2C bus path: expected /dev/i2c-<n>, got "${path}"`);
  return Number(match[1]);
}

/** `/dev/i2c-N` (the kernel's) or `<root>/dev/i2c-N` (a fake device root's: a simulator's socket). */
export function isLinuxI2cPath(path: string): boolean {
  return /^(\/.+)?\/dev\/i2c-\d+$/.test(path);
}

/**
 * A Linux i2c-dev bus through i2c-bus, loaded on first use (simulated rigs never load the binding).
 * A path under a fake device root (`/tmp/root/dev/i2c-1`) is a simulator's socket instead
 * (i2c-dev-socket.ts): the same checks and SMBus composition run above it.
 */
export class LinuxI2cBus implements I2cBus {
  readonly path: string;
  private readonly busNumber: number | undefined;
  private opening: Promise<NativeBus> | undefined;

  constructor(path: string) {
    if (!isLinuxI2cPath(path))
      throw new RangeError(`I2C bus path: expected /dev/i2c-<n> or <dev root>/dev/i2c-<n>, got "${path}"`);
    this.path = path;
    this.busNumber = /^\/dev\/i2c-\d+$/.test(path) ? linuxI2cBusNumber(path) : undefined;
  }

  async readByte(address: number, register: number): Promise<number> {
    checkAddress(address);
    checkByte('register', register);
    return (await this.bus()).readByte(address, register);
  }

  async writeByte(address: number, register: number, value: number): Promise<void> {
    checkAddress(address);
    checkByte('register', register);
    checkByte('value', value);
    await (await this.bus()).writeByte(address, register, value);
  }

  async readBlock(address: number, register: number, length: number): Promise<Uint8Array> {
    checkAddress(address);
    checkByte('register', register);
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await (await this.bus()).readI2cBlock(address, register, length, buffer);
    if (bytesRead !== length) throw new Error(`device ${hex(address)} gave ${bytesRead} of ${length} bytes`);
    return new Uint8Array(buffer);
  }

  async sendByte(address: number, command: number): Promise<void> {
    checkAddress(address);
    checkByte('command', command);
    await (await this.bus()).sendByte(address, command);
  }

  async readWord(address: number, command: number): Promise<number> {
    checkAddress(address);
    checkByte('command', command);
    return (await this.bus()).readWord(address, command);
  }

  async writeWord(address: number, command: number, value: number): Promise<void> {
    checkAddress(address);
    checkByte('command', command);
    checkWord('word', value);
    await (await this.bus()).writeWord(address, command, value);
  }

  async readBlockData(address: number, command: number, length: number): Promise<Uint8Array> {
    checkBlockLength(length);
    if (length + 1 > SMBUS_BLOCK_MAX)
      throw new RangeError(`SMBus block of ${length} bytes: at most ${SMBUS_BLOCK_MAX - 1} on Linux`);
    // Linux's SMBus block read needs I2C_FUNC_SMBUS_READ_BLOCK_DATA, which many adapters lack;
    // an I2C block read of length+1 gets the same bytes on every adapter.
    return blockPayload(address, command, await this.readBlock(address, command, length + 1), length);
  }

  async writeBlockData(address: number, command: number, data: Uint8Array): Promise<void> {
    checkAddress(address);
    checkByte('command', command);
    checkBlockLength(data.length);
    const buffer = Buffer.from([data.length, ...data]);
    await (await this.bus()).writeI2cBlock(address, command, buffer.length, buffer);
  }

  async close(): Promise<void> {
    const opening = this.opening;
    this.opening = undefined;
    if (opening !== undefined) await (await opening.catch(() => undefined))?.close();
  }

  private bus(): Promise<NativeBus> {
    const busNumber = this.busNumber;
    if (busNumber === undefined) {
      this.opening ??= import('./i2c-dev-socket.js').then((m) =>
        socketNativeBus(new m.I2cDevSocket(this.path)),
      );
      return this.opening;
    }
    // i2c-bus opens the device file lazily and its errors name it (ENOENT, EACCES, EREMOTEIO for a
    // NACK); a failed load is retried next time.
    this.opening ??= import('i2c-bus')
      .then((m) => m.openPromisified(busNumber) as Promise<NativeBus>)
      .catch((err: unknown) => {
        this.opening = undefined;
        throw err;
      });
    return this.opening;
  }
}

/**
 * The i2c-bus calls as the raw transactions Linux's SMBus emulation makes of them (i2c-core-smbus:
 * byte data = write command, read 1; word data little-endian; I2C block = write command, read n),
 * over a fake root's socket.
 */
function socketNativeBus(socket: {
  transfer(address: number, write: Uint8Array, readLength: number): Promise<Uint8Array>;
  close(): Promise<void>;
}): NativeBus {
  return {
    readByte: async (address, command) => (await socket.transfer(address, Uint8Array.of(command), 1))[0] ?? 0,
    writeByte: async (address, command, byte) => {
      await socket.transfer(address, Uint8Array.of(command, byte), 0);
    },
    readWord: async (address, command) => {
      const [low = 0, high = 0] = await socket.transfer(address, Uint8Array.of(command), 2);
      return low | (high << 8);
    },
    writeWord: async (address, command, word) => {
      await socket.transfer(address, Uint8Array.of(command, word & 0xff, word >> 8), 0);
    },
    sendByte: async (address, byte) => {
      await socket.transfer(address, Uint8Array.of(byte), 0);
    },
    readI2cBlock: async (address, command, length, buffer) => {
      const read = await socket.transfer(address, Uint8Array.of(command), length);
      buffer.set(read);
      return { bytesRead: read.length, buffer };
    },
    writeI2cBlock: async (address, command, length, buffer) => {
      await socket.transfer(address, Uint8Array.of(command, ...buffer.subarray(0, length)), 0);
      return { bytesWritten: length, buffer };
    },
    close: () => socket.close(),
  };
}

export { FakeI2cBus, type I2cDevice, RegisterMapDevice } from './fake-i2c.js';
