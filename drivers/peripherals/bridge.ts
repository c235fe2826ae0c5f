/**
 * A USB bridge's control port (drivers/bridge/control-port.ts) behind the same seams as Linux
 * hardware: its GPIO pins as Gpio lines (the bitaxe-raw reset pin, the EmberOne's VDDIO enable)
 * and its I2C page as an I2cBus (the boards' temperature sensors).
 */
import type { BridgeControlPort } from '../bridge/control-port.js';
import { MAX_RESPONSE_DATA } from '../bridge/control-protocol.js';
import type { Gpio, Level } from './gpio.js';
import { blockPayload, checkAddress, checkBlockLength, checkByte, checkWord, type I2cBus } from './i2c.js';

export class BridgeGpio implements Gpio {
  private readonly port: BridgeControlPort;
  private readonly pin: number;
  private readonly activeLow: boolean;

  /** Drives `initial` (logical) at once, as an opened Linux line does. */
  static async open(
    port: BridgeControlPort,
    pin: number,
    options: { activeLow: boolean; initial: Level },
  ): Promise<BridgeGpio> {
    const line = new BridgeGpio(port, pin, options.activeLow);
    await line.write(options.initial);
    return line;
  }

  private constructor(port: BridgeControlPort, pin: number, activeLow: boolean) {
    this.port = port;
    this.pin = pin;
    this.activeLow = activeLow;
  }

  write(level: Level): Promise<void> {
    return this.port.gpioWrite(this.pin, this.physical(level));
  }

  async read(): Promise<Level> {
    return this.physical(await this.port.gpioRead(this.pin));
  }

  /** The port is shared by the board's lines and sensors; its owner closes it. */
  async close(): Promise<void> {}

  private physical(level: Level): Level {
    return this.activeLow ? (level === 1 ? 0 : 1) : level;
  }
}

/** SMBus operations as the bridge's raw I2C write and write-read requests (bytes as in i2c.ts). */
export class BridgeI2cBus implements I2cBus {
  readonly path: string;
  private readonly port: BridgeControlPort;

  constructor(port: BridgeControlPort) {
    this.port = port;
    this.path = `bridge:${port.path}`;
  }

  async readByte(address: number, register: number): Promise<number> {
    checkByte('register', register);
    const [value = 0] = await this.writeRead(address, Uint8Array.of(register), 1);
    return value;
  }

  async writeByte(address: number, register: number, value: number): Promise<void> {
    checkByte('register', register);
    checkByte('value', value);
    await this.write(address, Uint8Array.of(register, value));
  }

  async readBlock(address: number, register: number, length: number): Promise<Uint8Array> {
    checkByte('register', register);
    if (!Number.isInteger(length) || length < 1 || length > MAX_RESPONSE_DATA)
      throw new RangeError(`I2C read of ${length} bytes: the bridge returns 1..${MAX_RESPONSE_DATA}`);
    return this.writeRead(address, Uint8Array.of(register), length);
  }

  async sendByte(address: number, command: number): Promise<void> {
    checkByte('command', command);
    await this.write(address, Uint8Array.of(command));
  }

  async readWord(address: number, command: number): Promise<number> {
    checkByte('command', command);
    const [low = 0, high = 0] = await this.writeRead(address, Uint8Array.of(command), 2);
    return low | (high << 8);
  }

  async writeWord(address: number, command: number, value: number): Promise<void> {
    checkByte('command', command);
    checkWord('word', value);
    await this.write(address, Uint8Array.of(command, value & 0xff, value >> 8));
  }

  async readBlockData(address: number, command: number, length: number): Promise<Uint8Array> {
    checkByte('command', command);
    checkBlockLength(length);
    const raw = await this.writeRead(address, Uint8Array.of(command), length + 1);
    return blockPayload(address, command, raw, length);
  }

  async writeBlockData(address: number, command: number, data: Uint8Array): Promise<void> {
    checkByte('command', command);
    checkBlockLength(data.length);
    await this.write(address, Uint8Array.of(command, data.length, ...data));
  }

  async close(): Promise<void> {}

  private write(address: number, bytes: Uint8Array): Promise<void> {
    checkAddress(address);
    return this.port.i2cWrite(address, bytes);
  }

  private writeRead(address: number, bytes: Uint8Array, length: number): Promise<Uint8Array> {
    checkAddress(address);
    return this.port.i2cWriteRead(address, bytes, length);
  }
}
