/**
 * One USB bridge's control port (bm13xx.md §10.2) as request/response calls: GPIO pins, I2C
 * transfers. Requests go one at a time (the firmware answers in order and the traffic is a few
 * packets a second), each with the next id; a response for another id (one that arrived after its
 * request timed out) is dropped. A request that gets no answer in time rejects with TransportError
 * and the input is flushed so the next one starts clean.
 */
import { TransportError } from '../../src/errors.js';
import { type Logger, silentLog } from '../../src/log.js';
import type { ByteLink } from '../transport/uart-link.js';
import {
  type ControlResponse,
  encodeRequest,
  I2C_COMMAND,
  PAGE,
  type Page,
  ResponseReader,
} from './control-protocol.js';

/** CDC-ACM ignores the line rate; bitaxe-raw's ports are opened at 115200 (§10.2). */
const CONTROL_BAUD = 115_200;

interface BridgeControlOptions {
  /** The control port's device path (`/dev/ttyACM0`), for messages. */
  readonly path: string;
  /** The link, made on first use (the daemon loads the native serial binding only then). */
  readonly link: () => ByteLink | Promise<ByteLink>;
  readonly timeoutMs?: number;
  readonly logger?: Logger;
}

interface Pending {
  readonly id: number;
  resolve(response: ControlResponse): void;
}

export class BridgeControlPort {
  readonly path: string;
  private readonly makeLink: () => ByteLink | Promise<ByteLink>;
  private link: ByteLink | undefined;
  private readonly timeoutMs: number;
  private readonly log: Logger;
  private readonly reader = new ResponseReader();
  private nextId = 0;
  private pending: Pending | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private opened: Promise<void> | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor(options: BridgeControlOptions) {
    this.path = options.path;
    this.makeLink = options.link;
    this.timeoutMs = options.timeoutMs ?? 500;
    this.log = options.logger ?? silentLog;
  }

  async gpioWrite(pin: number, level: 0 | 1): Promise<void> {
    await this.request(PAGE.gpio, pin, Uint8Array.of(level));
  }

  async gpioRead(pin: number): Promise<0 | 1> {
    const data = await this.request(PAGE.gpio, pin, new Uint8Array(0));
    return data[0] === 0 ? 0 : 1;
  }

  async i2cWrite(address: number, bytes: Uint8Array): Promise<void> {
    await this.request(PAGE.i2c, I2C_COMMAND.write, Uint8Array.of(address, ...bytes));
  }

  /** Write `bytes` (usually a register number), then read `length` bytes, in one transaction. */
  async i2cWriteRead(address: number, bytes: Uint8Array, length: number): Promise<Uint8Array> {
    const data = await this.request(
      PAGE.i2c,
      I2C_COMMAND.writeRead,
      Uint8Array.of(address, ...bytes, length),
    );
    if (data.length !== length)
      throw new TransportError(
        this.path,
        `I2C 0x${address.toString(16)}: asked ${length} bytes, got ${data.length}`,
      );
    return data;
  }

  async close(): Promise<void> {
    await this.queue.catch(() => {});
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    const link = this.link;
    this.link = undefined;
    if (this.opened !== undefined) {
      this.opened = undefined;
      await link?.close();
    }
  }

  /** Sends one request after the ones before it and resolves with its response data. */
  request(page: Page, command: number, data: Uint8Array): Promise<Uint8Array> {
    const run = this.queue.then(
      () => this.exchange(page, command, data),
      () => this.exchange(page, command, data),
    );
    this.queue = run.catch(() => {});
    return run;
  }

  private async exchange(page: Page, command: number, data: Uint8Array): Promise<Uint8Array> {
    const link = await this.open();
    const id = this.nextId;
    this.nextId = (id + 1) & 0xff;
    const what = `control request page 0x${page.toString(16)} command 0x${command.toString(16)}`;
    const response = await new Promise<ControlResponse | undefined>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending = undefined;
        resolve(undefined);
      }, this.timeoutMs);
      this.pending = {
        id,
        resolve: (r) => {
          clearTimeout(timer);
          this.pending = undefined;
          resolve(r);
        },
      };
      link.write(encodeRequest({ id, page, command, data })).catch((err: unknown) => {
        clearTimeout(timer);
        this.pending = undefined;
        reject(new TransportError(this.path, `${what}: write failed`, { cause: err }));
      });
    });
    if (response === undefined) {
      this.reader.clear();
      await link.flushInput().catch(() => {});
      throw new TransportError(this.path, `${what}: no answer within ${this.timeoutMs} ms`);
    }
    if (response.kind === 'error')
      throw new TransportError(this.path, `${what}: bridge says ${response.message}`);
    return response.data;
  }

  private async open(): Promise<ByteLink> {
    this.opened ??= (async () => {
      this.link ??= await this.makeLink();
      const link = this.link;
      this.unsubscribe ??= link.onBytes((bytes) => this.onBytes(bytes));
      await link.open(CONTROL_BAUD);
      await link.flushInput();
    })().catch((err: unknown) => {
      this.opened = undefined;
      const why = err instanceof Error ? err.message : String(err);
      throw new TransportError(this.path, `cannot open the bridge control port (${why})`, { cause: err });
    });
    await this.opened;
    if (this.link === undefined) throw new TransportError(this.path, 'control port closed');
    return this.link;
  }

  private onBytes(bytes: Uint8Array): void {
    const dropped = this.reader.droppedBytes;
    for (const r of this.reader.push(bytes)) {
      if (this.pending !== undefined && r.id === this.pending.id) this.pending.resolve(r);
      else
        this.log.debug(
          { id: r.id, port: this.path },
          'control response for no waiting request (late); dropped',
        );
    }
    if (this.reader.droppedBytes !== dropped)
      this.log.warn(
        { port: this.path, bytes: this.reader.droppedBytes - dropped },
        'control port stream out of frame; dropped',
      );
  }
}
