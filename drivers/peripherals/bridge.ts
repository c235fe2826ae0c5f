/**
 * A USB bridge's control port (drivers/bridge/control-port.ts) behind the same seams as Linux
 * hardware: its GPIO pins as Gpio lines (the bitaxe-raw reset pin, the EmberOne's VDDIO enable)
 * and its I2C page as an I2cBus (the boards' temperature sensors).
 */
import type { BridgeControlPort } from '../bridge/control-port.js';
import type { Gpio, Level } from './gpio.js';
import type { I2cBus } from './i2c.js';

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

export class BridgeI2cBus implements I2cBus {
  readonly path: string;
  private readonly port: BridgeControlPort;

  constructor(port: BridgeControlPort) {
    this.port = port;
    this.path = `bridge:${port.path}`;
  }

  async readByte(address: number, register: number): Promise<number> {
    const [value = 0] = await this.port.i2cWriteRead(address, Uint8Array.of(register), 1);
    return value;
  }

  writeByte(address: number, register: number, value: number): Promise<void> {
    return this.port.i2cWrite(address, Uint8Array.of(register, value));
  }

  readBlock(address: number, register: number, length: number): Promise<Uint8Array> {
    return this.port.i2cWriteRead(address, Uint8Array.of(register), length);
  }

  async close(): Promise<void> {}
}
