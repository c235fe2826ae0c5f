/**
 * An I2C bus in memory for tests and simulated boards: each address hosts a device model that
 * sees raw transactions (the bytes the host wrote, how many it reads back), exactly what a bus
 * analyser sees, so the SMBus operations, the USB bridge's write/write-read pages and a Linux
 * adapter all meet the same model. A device can be made not to answer (NACK), and every
 * transaction is kept in order for tests and traces.
 */
import { blockPayload, checkAddress, checkBlockLength, checkByte, checkWord, type I2cBus } from './i2c.js';

export interface I2cDevice {
  /** One transaction: `write` (usually a command or register first), then `readLength` bytes back. */
  transfer(write: Uint8Array, readLength: number): Uint8Array;
}

interface I2cTransaction {
  readonly address: number;
  readonly write: Uint8Array;
  readonly read: Uint8Array;
}

/**
 * A device that is a flat register map with an auto-incrementing pointer (EMC2101, TMP1075,
 * TMP451): the first written byte sets the pointer, later bytes are written from there, a read
 * returns bytes from the pointer on.
 */
export class RegisterMapDevice implements I2cDevice {
  readonly registers = new Map<number, number>();
  /** Each register write, in order: [register, value]. */
  readonly writes: [number, number][] = [];

  transfer(write: Uint8Array, readLength: number): Uint8Array {
    const pointer = write[0] ?? 0;
    for (let i = 1; i < write.length; i++) {
      const register = (pointer + i - 1) & 0xff;
      this.registers.set(register, write[i] ?? 0);
      this.writes.push([register, write[i] ?? 0]);
    }
    return Uint8Array.from({ length: readLength }, (_, i) => this.registers.get((pointer + i) & 0xff) ?? 0);
  }
}

export class FakeI2cBus implements I2cBus {
  readonly path: string;
  /** Register-map writes as { address, register, value }, in order (register-map devices only). */
  readonly writes: { address: number; register: number; value: number }[] = [];
  /** Every transaction any device answered, in order. */
  readonly transactions: I2cTransaction[] = [];
  /** Sees each answered transaction (the simulated board's I2C trace). */
  onTransaction: ((t: I2cTransaction) => void) | undefined;
  /** A held-low SDA line: every transaction fails, whoever it is for. */
  stuck = false;
  private readonly devices = new Map<number, I2cDevice>();
  private readonly failing = new Set<number>();

  constructor(path = '/dev/i2c-fake') {
    this.path = path;
  }

  /** Sets one register of a register-map device at `address`, creating it if absent. */
  set(address: number, register: number, value: number): this {
    let device = this.devices.get(address);
    if (device === undefined) {
      device = new RegisterMapDevice();
      this.devices.set(address, device);
    }
    if (!(device instanceof RegisterMapDevice))
      throw new Error(`device 0x${address.toString(16)} is not a register map`);
    device.registers.set(register, value & 0xff);
    return this;
  }

  attach(address: number, device: I2cDevice): this {
    checkAddress(address);
    this.devices.set(address, device);
    return this;
  }

  device(address: number): I2cDevice | undefined {
    return this.devices.get(address);
  }

  /** From now on the device does not answer (or answers again with `false`). */
  fail(address: number, failing = true): void {
    if (failing) this.failing.add(address);
    else this.failing.delete(address);
  }

  /** One raw transaction; throws as a NACK does when nothing answers at `address`. */
  transfer(address: number, write: Uint8Array, readLength: number): Uint8Array {
    checkAddress(address);
    if (this.stuck) throw new Error(`${this.path}: bus stuck (SDA held low)`);
    const device = this.devices.get(address);
    if (device === undefined || this.failing.has(address))
      throw new Error(`no answer from device 0x${address.toString(16)}`);
    const read = device.transfer(write, readLength);
    if (device instanceof RegisterMapDevice && write.length > 1)
      for (let i = 1; i < write.length; i++)
        this.writes.push({ address, register: ((write[0] ?? 0) + i - 1) & 0xff, value: write[i] ?? 0 });
    const t = { address, write: Uint8Array.from(write), read: Uint8Array.from(read) };
    this.transactions.push(t);
    this.onTransaction?.(t);
    return read;
  }

  async readByte(address: number, register: number): Promise<number> {
    checkByte('register', register);
    return this.transfer(address, Uint8Array.of(register), 1)[0] ?? 0;
  }

  async writeByte(address: number, register: number, value: number): Promise<void> {
    checkByte('register', register);
    checkByte('value', value);
    this.transfer(address, Uint8Array.of(register, value), 0);
  }

  async readBlock(address: number, register: number, length: number): Promise<Uint8Array> {
    checkByte('register', register);
    return this.transfer(address, Uint8Array.of(register), length);
  }

  async sendByte(address: number, command: number): Promise<void> {
    checkByte('command', command);
    this.transfer(address, Uint8Array.of(command), 0);
  }

  async readWord(address: number, command: number): Promise<number> {
    checkByte('command', command);
    const [low = 0, high = 0] = this.transfer(address, Uint8Array.of(command), 2);
    return low | (high << 8);
  }

  async writeWord(address: number, command: number, value: number): Promise<void> {
    checkByte('command', command);
    checkWord('word', value);
    this.transfer(address, Uint8Array.of(command, value & 0xff, value >> 8), 0);
  }

  async readBlockData(address: number, command: number, length: number): Promise<Uint8Array> {
    checkByte('command', command);
    checkBlockLength(length);
    return blockPayload(address, command, this.transfer(address, Uint8Array.of(command), length + 1), length);
  }

  async writeBlockData(address: number, command: number, data: Uint8Array): Promise<void> {
    checkByte('command', command);
    checkBlockLength(data.length);
    this.transfer(address, Uint8Array.of(command, data.length, ...data), 0);
  }

  async close(): Promise<void> {}
}
