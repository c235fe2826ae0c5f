/**
 * UartLink: the byte seam (architecture.md "Seams" A). A SerialPortStream over an injected
 * BindingInterface, so the same driver code runs on @serialport/bindings-cpp (hardware), the
 * simulator's binding and @serialport/binding-mock. The only module that touches the serialport
 * library: it imports SerialPortStream from '@serialport/stream' (the class serialport's SerialPort
 * extends) because the 'serialport' entry point loads native bindings on import even when unused.
 */
import type { BindingInterface } from '@serialport/bindings-interface';
import { SerialPortStream } from '@serialport/stream';
import { TransportError } from '../../src/errors.js';
import { type Logger, silentLog } from '../../src/log.js';
import { isPseudoTerminal } from './pseudo-terminal.js';

/** What a chain needs from a serial line: bytes out (drained), bytes in, baud changes. */
export interface ByteLink {
  readonly path: string;
  /** Current host baud, undefined while closed. */
  readonly baud: number | undefined;
  open(baud: number): Promise<void>;
  /** Resolves once the bytes have left the host (drain), so timing-sensitive steps can follow. */
  write(bytes: Uint8Array): Promise<void>;
  /** Drain pending output, then reconfigure the host UART (§6: tell the chips first). */
  setBaud(baud: number): Promise<void>;
  /** Discard received-but-unread bytes (stale RX after a baud change or reset). */
  flushInput(): Promise<void>;
  /** Listen for received bytes; returns the unsubscribe function. */
  onBytes(listener: (bytes: Uint8Array) => void): () => void;
  close(): Promise<void>;
}

interface UartLinkOptions {
  readonly binding: BindingInterface;
  readonly path: string;
  readonly logger?: Logger;
}

export class UartLink implements ByteLink {
  readonly path: string;
  private readonly binding: BindingInterface;
  private readonly log: Logger;
  private port: SerialPortStream | undefined;
  private currentBaud: number | undefined;
  /**
   * A pty: the hardware binding's baud change and flush both tcflush(TCIOFLUSH), and on a pty that
   * also empties bytes we wrote (and drained) that the far end has not read yet. A pty has no line
   * rate, so both are skipped there.
   */
  private pseudoTerminal = false;
  private readonly listeners = new Set<(bytes: Uint8Array) => void>();

  constructor(options: UartLinkOptions) {
    this.binding = options.binding;
    this.path = options.path;
    this.log = options.logger ?? silentLog;
  }

  get baud(): number | undefined {
    return this.currentBaud;
  }

  async open(baud: number): Promise<void> {
    if (this.port?.isOpen) {
      await this.setBaud(baud);
      return;
    }
    this.pseudoTerminal = await isPseudoTerminal(this.path);
    const port = new SerialPortStream({
      binding: this.binding,
      path: this.path,
      baudRate: baud,
      autoOpen: false,
    });
    // Stream errors become log lines; the failing call rejects on its own callback.
    port.on('error', (err: Error) => this.log.warn({ err, path: this.path }, 'serial port error'));
    port.on('data', (chunk: Buffer) => {
      if (this.log.isLevelEnabled('trace')) this.log.trace({ dir: 'rx', hex: chunk.toString('hex') });
      for (const l of this.listeners) l(chunk);
    });
    await this.call(`open at ${baud} baud`, (cb) => port.open(cb));
    this.port = port;
    this.currentBaud = baud;
  }

  async write(bytes: Uint8Array): Promise<void> {
    const port = this.requirePort('write');
    if (this.log.isLevelEnabled('trace'))
      this.log.trace({ dir: 'tx', hex: Buffer.from(bytes).toString('hex') });
    port.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    await this.call('drain', (cb) => port.drain(cb));
  }

  async setBaud(baud: number): Promise<void> {
    const port = this.requirePort('set baud');
    await this.call('drain', (cb) => port.drain(cb));
    if (!this.pseudoTerminal)
      await this.call(`switch to ${baud} baud`, (cb) => port.update({ baudRate: baud }, cb));
    this.currentBaud = baud;
  }

  async flushInput(): Promise<void> {
    const port = this.requirePort('flush');
    // No input-only flush in the binding: on a pty the reply parsers' resync has to do.
    if (this.pseudoTerminal) return;
    await this.call('flush', (cb) => port.flush(cb));
  }

  onBytes(listener: (bytes: Uint8Array) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    const port = this.port;
    this.port = undefined;
    this.currentBaud = undefined;
    if (port?.isOpen) await this.call('close', (cb) => port.close(cb));
  }

  private requirePort(what: string): SerialPortStream {
    if (this.port?.isOpen !== true) throw new TransportError(this.path, `cannot ${what}: port is not open`);
    return this.port;
  }

  private call(what: string, fn: (cb: (err: Error | null | undefined) => void) => void): Promise<void> {
    return new Promise((resolve, reject) => {
      fn((err) => {
        if (err)
          reject(
            new TransportError(
              this.path,
              `${what} failed at ${this.currentBaud ?? '?'} baud: ${err.message}`,
              { cause: err },
            ),
          );
        else resolve();
      });
    });
  }
}
