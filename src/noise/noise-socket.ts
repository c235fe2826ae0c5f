/**
 * Noise over a node:net Socket (sv2.md §2.2, §2.3, §3.4): runs the unframed handshake as initiator
 * or responder, then carries encrypted SV2 frames. `send(frame)` takes a plain frame; decrypted
 * frames come out of an async iterator. Any failure (MAC, timeout, socket error, close mid-frame)
 * ends the connection with a NoiseError; `closed` resolves with it (never rejects). A frame begun
 * must be complete within `frameTimeoutMs` (a peer trickling a frame a byte at a time would hold
 * the connection forever), and our close destroys the socket after `closeTimeoutMs` if the peer
 * never closes its side (a half-open socket keeps the process alive after a clean stop).
 */
import type { Socket } from 'node:net';
import { NoiseError } from '../errors.js';
import { type Logger, silentLog } from '../log.js';
import type { Frame } from '../sv2/frame.js';
import { type Clock, systemClock, type TimerHandle } from '../time/clock.js';
import type { Certificate } from './certificate.js';
import {
  ACT1_SIZE,
  ACT2_SIZE,
  type InitiatorOptions,
  NoiseInitiator,
  NoiseResponder,
  type ResponderOptions,
} from './handshake.js';
import { SecureChannel } from './secure-channel.js';

const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;
/** After close(), a peer that has not closed its side by then is cut off. */
const DEFAULT_CLOSE_TIMEOUT_MS = 5_000;
/** Received frames held for a slow consumer before we stop reading the socket. */
const HIGH_WATER_FRAMES = 256;

export interface NoiseSocketOptions {
  readonly handshakeTimeoutMs?: number;
  readonly maxPayload?: number;
  readonly log?: Logger;
  /** A frame whose first byte arrived must be complete within this many ms. Default: no limit. */
  readonly frameTimeoutMs?: number;
  /** Our close destroys the socket after this many ms if the peer keeps its side open. Default 5 000. */
  readonly closeTimeoutMs?: number;
  /** Runs the frame and close timers (tests drive it by hand). Default the system clock. */
  readonly clock?: Clock;
}

type SocketLimits = Pick<NoiseSocketOptions, 'frameTimeoutMs' | 'closeTimeoutMs' | 'clock'>;

export interface HandshakeSummary {
  readonly role: 'initiator' | 'responder';
  readonly handshakeHash: Uint8Array;
  /** Initiator: certificate verified against the authority key. Responder: always false. */
  readonly authenticated: boolean;
  /** Initiator in insecure mode: warn on every connection. */
  readonly insecure: boolean;
  readonly certificate: Certificate | undefined;
  readonly serverStaticXonly: Uint8Array | undefined;
}

/** Reads exactly `n` handshake bytes; whatever follows is returned as `rest` for the channel. */
function readExactly(
  socket: Socket,
  n: number,
  timeoutMs: number,
  step: string,
): Promise<{ bytes: Uint8Array; rest: Uint8Array }> {
  return new Promise((resolve, reject) => {
    const parts: Uint8Array[] = [];
    let have = 0;
    const cleanup = (): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('error', onError);
      socket.off('close', onClose);
    };
    const onData = (chunk: Buffer): void => {
      parts.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      have += chunk.byteLength;
      if (have < n) return;
      // Pause before detaching so no byte is emitted while nobody listens.
      socket.pause();
      cleanup();
      const all = Buffer.concat(parts);
      resolve({ bytes: new Uint8Array(all.subarray(0, n)), rest: new Uint8Array(all.subarray(n)) });
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(
        new NoiseError(step, `socket error while waiting for ${n} bytes: ${err.message}`, { cause: err }),
      );
    };
    const onClose = (): void => {
      cleanup();
      reject(new NoiseError(step, `connection closed after ${have} of ${n} handshake bytes`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new NoiseError(step, `timed out after ${timeoutMs} ms with ${have} of ${n} handshake bytes`));
    }, timeoutMs);
    socket.on('data', onData);
    socket.once('error', onError);
    socket.once('close', onClose);
    socket.resume();
  });
}

/** Runs the initiator side over `socket`; on any failure the socket is destroyed and a NoiseError thrown. */
export async function connectNoise(
  socket: Socket,
  options: InitiatorOptions & NoiseSocketOptions,
): Promise<NoiseSocket> {
  const log = options.log ?? silentLog;
  try {
    const initiator = new NoiseInitiator(options);
    socket.write(initiator.writeAct1());
    const { bytes, rest } = await readExactly(
      socket,
      ACT2_SIZE,
      options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS,
      'act2',
    );
    const r = initiator.readAct2(bytes);
    if (r.insecure)
      log.warn('noise: pool certificate NOT verified (insecure mode); traffic is unauthenticated');
    else log.info({ validUntil: r.certificate.notValidAfter }, 'noise: handshake done, pool authenticated');
    const channel = new SecureChannel(r.send, r.recv, maxPayloadOption(options));
    return new NoiseSocket(socket, channel, rest, log, options, {
      role: 'initiator',
      handshakeHash: r.handshakeHash,
      authenticated: r.authenticated,
      insecure: r.insecure,
      certificate: r.certificate,
      serverStaticXonly: r.serverStaticXonly,
    });
  } catch (err) {
    socket.destroy();
    throw asNoiseError(err, 'act2');
  }
}

/** Runs the responder side (test pools and the loopback tests). */
export async function acceptNoise(
  socket: Socket,
  options: ResponderOptions & NoiseSocketOptions,
): Promise<NoiseSocket> {
  const log = options.log ?? silentLog;
  try {
    const responder = new NoiseResponder(options);
    const { bytes, rest } = await readExactly(
      socket,
      ACT1_SIZE,
      options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS,
      'act1',
    );
    const r = responder.readAct1(bytes);
    socket.write(r.act2);
    const channel = new SecureChannel(r.send, r.recv, maxPayloadOption(options));
    return new NoiseSocket(socket, channel, rest, log, options, {
      role: 'responder',
      handshakeHash: r.handshakeHash,
      authenticated: false,
      insecure: false,
      certificate: undefined,
      serverStaticXonly: undefined,
    });
  } catch (err) {
    socket.destroy();
    throw asNoiseError(err, 'act1');
  }
}

function maxPayloadOption(o: NoiseSocketOptions): { maxPayload?: number } {
  return o.maxPayload === undefined ? {} : { maxPayload: o.maxPayload };
}

function asNoiseError(err: unknown, step: string): NoiseError {
  if (err instanceof NoiseError) return err;
  return new NoiseError(step, err instanceof Error ? err.message : String(err), { cause: err });
}

/** One consumer at a time: iterate it from a single `for await` loop. */
export class NoiseSocket implements AsyncIterable<Frame> {
  readonly handshake: HandshakeSummary;
  /** Resolves once the connection is over: undefined for a clean close, else the failure. */
  readonly closed: Promise<NoiseError | undefined>;
  /** Resolves once the TCP socket itself is gone (after close(): when the peer closed too, or at the timeout). */
  readonly socketGone: Promise<void>;
  private readonly socket: Socket;
  private readonly channel: SecureChannel;
  private readonly log: Logger;
  private readonly frames: Frame[] = [];
  private waiter: (() => void) | undefined;
  private ended = false;
  private error: NoiseError | undefined;
  private resolveClosed: (e: NoiseError | undefined) => void = () => {};
  private readonly clock: Clock;
  private readonly frameTimeoutMs: number | undefined;
  private readonly closeTimeoutMs: number;
  private frameTimer: TimerHandle | undefined;

  constructor(
    socket: Socket,
    channel: SecureChannel,
    rest: Uint8Array,
    log: Logger,
    limits: SocketLimits,
    summary: HandshakeSummary,
  ) {
    this.socket = socket;
    this.channel = channel;
    this.log = log;
    this.handshake = summary;
    this.clock = limits.clock ?? systemClock;
    this.frameTimeoutMs = limits.frameTimeoutMs;
    this.closeTimeoutMs = limits.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS;
    this.closed = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
    this.socketGone = socket.destroyed
      ? Promise.resolve()
      : new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('data', (chunk: Buffer) =>
      this.onData(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)),
    );
    socket.on('error', (err) => this.finish(new NoiseError('socket', err.message, { cause: err })));
    socket.on('close', () => {
      if (this.channel.atFrameBoundary) this.finish(undefined);
      else this.finish(new NoiseError('frame', 'connection closed in the middle of a frame'));
    });
    if (rest.length > 0) this.onData(rest);
    socket.resume();
  }

  get isOpen(): boolean {
    return !this.ended;
  }

  /** Encrypts and writes one plain SV2 frame; returns socket.write's backpressure flag. */
  send(frame: Uint8Array): boolean {
    if (this.ended) throw new NoiseError('send', 'connection is closed');
    return this.socket.write(this.channel.encryptFrame(frame));
  }

  /** Ends the connection cleanly from our side. */
  close(): void {
    if (this.ended) return;
    this.socket.end();
    this.finish(undefined);
    if (this.socket.destroyed) return;
    const socket = this.socket;
    const timer = this.clock.setTimer(() => {
      if (socket.destroyed) return;
      this.log.warn(`noise: peer did not close its side within ${this.closeTimeoutMs} ms; socket destroyed`);
      socket.destroy();
    }, this.closeTimeoutMs);
    socket.once('close', () => this.clock.clearTimer(timer));
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Frame> {
    for (;;) {
      const frame = this.frames.shift();
      if (frame !== undefined) {
        if (this.frames.length < HIGH_WATER_FRAMES / 2 && !this.ended) this.socket.resume();
        yield frame;
        continue;
      }
      if (this.ended) {
        if (this.error !== undefined) throw this.error;
        return;
      }
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
      });
    }
  }

  private onData(chunk: Uint8Array): void {
    if (this.ended) return;
    const r = this.channel.push(chunk);
    for (const f of r.frames) this.frames.push(f);
    if (this.frames.length >= HIGH_WATER_FRAMES) this.socket.pause();
    this.wake();
    if (r.error !== undefined) this.finish(r.error);
    else this.watchFrame(r.frames.length > 0);
  }

  /** Times the frame in progress: its deadline starts with its first byte, not with any later one. */
  private watchFrame(completedSome: boolean): void {
    const limit = this.frameTimeoutMs;
    if (limit === undefined) return;
    if (completedSome || this.channel.atFrameBoundary) this.clearFrameTimer();
    if (this.channel.atFrameBoundary || this.frameTimer !== undefined) return;
    this.frameTimer = this.clock.setTimer(() => {
      this.frameTimer = undefined;
      this.finish(
        new NoiseError(
          'frame',
          `frame incomplete ${limit} ms after its first byte (${this.channel.buffered} bytes)`,
        ),
      );
    }, limit);
  }

  private clearFrameTimer(): void {
    if (this.frameTimer !== undefined) this.clock.clearTimer(this.frameTimer);
    this.frameTimer = undefined;
  }

  private finish(error: NoiseError | undefined): void {
    if (this.ended) return;
    this.ended = true;
    this.error = error;
    this.clearFrameTimer();
    if (error !== undefined) {
      this.log.warn({ step: error.step }, `noise: connection failed: ${error.message}`);
      this.socket.destroy();
    }
    this.channel.destroy();
    this.resolveClosed(error);
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }
}
