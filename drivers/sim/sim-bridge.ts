/**
 * A simulated USB bridge control port (bitaxe-raw, bm13xx.md §10.2): it parses request packets as
 * the firmware does and answers them, so BridgeControlPort runs its real bytes in tests. GPIO
 * pins hold levels (a hook sees every write: wire the reset pin to SimChain.reset()); the I2C page
 * runs transfers on a FakeI2cBus holding the board's sensors. An unknown page answers
 * `FF 11` (invalid command), a device that does not acknowledge `FF FF <message>`.
 */
import { concatBytes } from '@noble/hashes/utils.js';
import { decodeRequest, encodeResponse, I2C_COMMAND, PAGE } from '../bridge/control-protocol.js';
import { FakeI2cBus } from '../peripherals/i2c.js';

interface SimBridgeOptions {
  /** The sensors behind the I2C page; default an empty bus. */
  readonly i2c?: FakeI2cBus;
  /** Called for every GPIO write with the pin and its new physical level. */
  readonly onPin?: (pin: number, level: 0 | 1) => void;
  /** Answer nothing at all (a hung firmware), to exercise timeouts. */
  readonly silent?: boolean;
}

export class SimBridge {
  readonly i2c: FakeI2cBus;
  silent: boolean;
  private readonly onPin: ((pin: number, level: 0 | 1) => void) | undefined;
  private readonly pins = new Map<number, 0 | 1>();
  private readonly listeners = new Set<(bytes: Uint8Array) => void>();
  private pending = new Uint8Array(0);
  /** Sees every GPIO write after the board's own hook (tests record the power-up order). */
  onPinWrite: ((pin: number, level: 0 | 1) => void) | undefined;
  /** Every request id seen, in order (tests check the host's numbering). */
  readonly requestIds: number[] = [];

  constructor(options: SimBridgeOptions = {}) {
    this.i2c = options.i2c ?? new FakeI2cBus('bridge-i2c');
    this.onPin = options.onPin;
    this.silent = options.silent ?? false;
  }

  pin(pin: number): 0 | 1 | undefined {
    return this.pins.get(pin);
  }

  onData(listener: (bytes: Uint8Array) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  write(bytes: Uint8Array): void {
    const joined = concatBytes(this.pending, bytes);
    let at = 0;
    for (;;) {
      let parsed: ReturnType<typeof decodeRequest>;
      try {
        parsed = decodeRequest(joined.subarray(at));
      } catch {
        at = joined.length; // a length below the header: drop the stream, as a firmware would resync
        break;
      }
      if (parsed === undefined) break;
      at += parsed.size;
      this.requestIds.push(parsed.request.id);
      void this.answer(parsed.request.id, parsed.request.page, parsed.request.command, parsed.request.data);
    }
    this.pending = joined.slice(at);
  }

  close(): void {
    this.listeners.clear();
  }

  private async answer(id: number, page: number, command: number, data: Uint8Array): Promise<void> {
    const reply = await this.execute(page, command, data);
    if (this.silent) return;
    const bytes = encodeResponse(id, reply);
    for (const l of this.listeners) l(bytes);
  }

  private async execute(page: number, command: number, data: Uint8Array): Promise<Uint8Array> {
    if (page === PAGE.gpio) {
      const level = data[0];
      if (level === undefined) return Uint8Array.of(this.pins.get(command) ?? 0);
      const value: 0 | 1 = level === 0 ? 0 : 1;
      this.pins.set(command, value);
      this.onPin?.(command, value);
      this.onPinWrite?.(command, value);
      return Uint8Array.of(value);
    }
    if (page === PAGE.i2c) {
      const address = data[0] ?? 0;
      try {
        if (command === I2C_COMMAND.write) return this.i2c.transfer(address, data.subarray(1), 0);
        if (command === I2C_COMMAND.read && data.length === 2)
          return this.i2c.transfer(address, new Uint8Array(0), data[1] ?? 0);
        if (command === I2C_COMMAND.writeRead && data.length >= 3)
          return this.i2c.transfer(address, data.subarray(1, data.length - 1), data[data.length - 1] ?? 0);
      } catch {
        return Uint8Array.of(
          0xff,
          0xff,
          ...new TextEncoder().encode(`no ack from 0x${address.toString(16)}`),
        );
      }
    }
    return Uint8Array.of(0xff, 0x11);
  }
}
