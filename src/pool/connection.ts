/**
 * One transport connection to a pool (architecture.md seam E): TCP from an injected socket factory,
 * the Noise NX handshake (src/noise), then decoded SV2 messages out and encoded frames in (sv2.md
 * §2, §3). Bad input surfaces as thrown errors from `messages()` (DecodeError, NoiseError, PoolError
 * for a flood); the session turns them into "drop this connection, fail over".
 */
import { createConnection, type Socket } from 'node:net';
import { PoolError } from '../errors.js';
import { type Logger, silentLog } from '../log.js';
import { connectNoise, type NoiseSocket } from '../noise/noise-socket.js';
import { decodeFrame, encodeMessage } from '../sv2/codec.js';
import type { AnyMessage, MessageFields, MessageName } from '../sv2/messages/registry.js';
import type { Clock } from '../work/clock.js';

/** A frame begun must be complete within this long: far beyond a 1 MiB frame on any real link. */
export const DEFAULT_FRAME_TIMEOUT_MS = 30_000;

export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

/** Opens a connected TCP socket (tests wrap write() or return sockets to scripted peers). */
export type SocketFactory = (endpoint: Endpoint, timeoutMs: number) => Promise<Socket>;

export const tcpSocketFactory: SocketFactory = (endpoint, timeoutMs) =>
  new Promise((resolve, reject) => {
    const socket = createConnection({ host: endpoint.host, port: endpoint.port });
    socket.setNoDelay(true);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`TCP connect to ${endpoint.host}:${endpoint.port} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.off('error', onError);
      resolve(socket);
    });
    const onError = (err: Error): void => {
      clearTimeout(timer);
      reject(err);
    };
    socket.once('error', onError);
  });

export interface ConnectionOptions {
  readonly pool: string;
  readonly endpoint: Endpoint;
  readonly authorityKey: Uint8Array | undefined;
  readonly insecure: boolean;
  readonly socketFactory?: SocketFactory;
  readonly connectTimeoutMs?: number;
  readonly handshakeTimeoutMs?: number;
  /** Largest payload accepted from the pool (absurd lengths drop the connection). Default 1 MiB. */
  readonly maxPayload?: number;
  /** More messages than this within one second is a flood: drop the connection. Default 5000. */
  readonly maxMessagesPerSecond?: number;
  /** Unix seconds for the certificate check (tests). */
  readonly unixNow?: () => number;
  /** Clock skew allowed around the certificate's validity window, seconds. Default 60. */
  readonly certificateLeewaySec?: number;
  readonly log?: Logger;
  /** Called when TCP is up and the handshake starts. */
  readonly onHandshake?: () => void;
  /** Default DEFAULT_FRAME_TIMEOUT_MS. */
  readonly frameTimeoutMs?: number;
  /** Our close destroys the socket after this long if the pool keeps its side open. */
  readonly closeTimeoutMs?: number;
  /** Runs the frame and close timers. */
  readonly clock?: Clock;
}

export type Incoming =
  | { readonly kind: 'message'; readonly message: AnyMessage }
  | { readonly kind: 'unknown'; readonly extensionType: number; readonly msgType: number };

export async function openConnection(o: ConnectionOptions): Promise<PoolConnection> {
  const factory = o.socketFactory ?? tcpSocketFactory;
  const socket = await factory(o.endpoint, o.connectTimeoutMs ?? 10_000);
  o.onHandshake?.();
  const started = performance.now();
  const noise = await connectNoise(socket, {
    authorityKey: o.authorityKey,
    insecure: o.insecure,
    ...(o.handshakeTimeoutMs === undefined ? {} : { handshakeTimeoutMs: o.handshakeTimeoutMs }),
    maxPayload: o.maxPayload ?? 1 << 20,
    ...(o.unixNow === undefined ? {} : { now: o.unixNow }),
    ...(o.certificateLeewaySec === undefined ? {} : { leewaySec: o.certificateLeewaySec }),
    log: o.log ?? silentLog,
    frameTimeoutMs: o.frameTimeoutMs ?? DEFAULT_FRAME_TIMEOUT_MS,
    ...(o.closeTimeoutMs === undefined ? {} : { closeTimeoutMs: o.closeTimeoutMs }),
    ...(o.clock === undefined ? {} : { clock: o.clock }),
  });
  return new PoolConnection(o.pool, noise, performance.now() - started, o.maxMessagesPerSecond ?? 5000);
}

export class PoolConnection {
  readonly pool: string;
  /** Wall time of the Noise handshake, ms. */
  readonly handshakeMs: number;
  private readonly noise: NoiseSocket;
  private readonly maxPerSecond: number;

  constructor(pool: string, noise: NoiseSocket, handshakeMs: number, maxPerSecond: number) {
    this.pool = pool;
    this.noise = noise;
    this.handshakeMs = handshakeMs;
    this.maxPerSecond = maxPerSecond;
  }

  get isOpen(): boolean {
    return this.noise.isOpen;
  }

  get closed(): Promise<unknown> {
    return this.noise.closed;
  }

  /** Resolves once the TCP socket is gone (bounded by the close timeout after close()). */
  get socketGone(): Promise<void> {
    return this.noise.socketGone;
  }

  /** Encodes, encrypts and writes one message. */
  send<N extends MessageName>(name: N, fields: MessageFields<N>): void {
    this.noise.send(encodeMessage(name, fields));
  }

  close(): void {
    this.noise.close();
  }

  /** Decoded messages until the pool closes; throws on malformed frames, Noise failures and floods. */
  async *messages(): AsyncGenerator<Incoming> {
    let windowStart = performance.now();
    let inWindow = 0;
    for await (const frame of this.noise) {
      const t = performance.now();
      if (t - windowStart >= 1000) {
        windowStart = t;
        inWindow = 0;
      }
      if (++inWindow > this.maxPerSecond)
        throw new PoolError(this.pool, `flood: more than ${this.maxPerSecond} messages in one second`);
      const r = decodeFrame(frame);
      if (r.kind === 'unknown')
        yield { kind: 'unknown', extensionType: r.header.extensionType, msgType: r.header.msgType };
      else yield { kind: 'message', message: r.message };
    }
  }
}
