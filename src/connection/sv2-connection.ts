/**
 * The one SV2 connection every role uses, client or server (architecture.md seam E): a Noise
 * socket (src/noise) carrying SV2 frames, decoded into messages on the way in and encoded on the
 * way out (sv2.md §2, §3), with a flood bound. `openConnection` dials and runs the initiator;
 * `acceptConnection` runs the responder on an accepted socket. Bad input surfaces as thrown errors
 * from `messages()` (DecodeError, NoiseError, PoolError for a flood); the owner drops the peer.
 */
import type { Socket } from 'node:net';
import { PoolError } from '../errors.js';
import { type Logger, silentLog } from '../log.js';
import type { ResponderOptions } from '../noise/handshake.js';
import {
  acceptNoise,
  connectNoise,
  type HandshakeSummary,
  type NoiseSocket,
  type NoiseSocketOptions,
} from '../noise/noise-socket.js';
import { decodeFrame, encodeMessage } from '../sv2/codec.js';
import type { AnyMessage, MessageFields, MessageName } from '../sv2/messages/registry.js';
import type { Clock } from '../time/clock.js';
import { type Endpoint, type SocketFactory, tcpSocketFactory } from './dial.js';

/** A frame begun must be complete within this long: far beyond a 1 MiB frame on any real link. */
const DEFAULT_FRAME_TIMEOUT_MS = 30_000;
/** More messages than this within one second is a flood: the connection is dropped. */
export const DEFAULT_MAX_MESSAGES_PER_SECOND = 5_000;

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

type Incoming =
  | { readonly kind: 'message'; readonly message: AnyMessage }
  | { readonly kind: 'unknown'; readonly extensionType: number; readonly msgType: number };

/** Dials `o.endpoint` and runs the Noise initiator against the pool's authority key. */
export async function openConnection(o: ConnectionOptions): Promise<Sv2Connection> {
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
  return new Sv2Connection(
    o.pool,
    noise,
    performance.now() - started,
    o.maxMessagesPerSecond ?? DEFAULT_MAX_MESSAGES_PER_SECOND,
  );
}

/** Runs the Noise responder on an accepted socket; `peer` names it in errors and logs. */
export async function acceptConnection(
  peer: string,
  socket: Socket,
  o: ResponderOptions & NoiseSocketOptions & { readonly maxMessagesPerSecond?: number },
): Promise<Sv2Connection> {
  const started = performance.now();
  const noise = await acceptNoise(socket, o);
  return new Sv2Connection(
    peer,
    noise,
    performance.now() - started,
    o.maxMessagesPerSecond ?? DEFAULT_MAX_MESSAGES_PER_SECOND,
  );
}

export class Sv2Connection {
  /** The peer as logs and errors name it: a pool's URL, or a client's address. */
  readonly peer: string;
  /** Wall time of the Noise handshake, ms. */
  readonly handshakeMs: number;
  private readonly noise: NoiseSocket;
  private readonly maxPerSecond: number;

  constructor(peer: string, noise: NoiseSocket, handshakeMs: number, maxPerSecond: number) {
    this.peer = peer;
    this.noise = noise;
    this.handshakeMs = handshakeMs;
    this.maxPerSecond = maxPerSecond;
  }

  get isOpen(): boolean {
    return this.noise.isOpen;
  }

  /** What the Noise handshake established (certificate, authentication). */
  get handshake(): HandshakeSummary {
    return this.noise.handshake;
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

  /** Encrypts and writes one plain SV2 frame already encoded. */
  sendFrame(frame: Uint8Array): void {
    this.noise.send(frame);
  }

  close(): void {
    this.noise.close();
  }

  /** Decoded messages until the peer closes; throws on malformed frames, Noise failures and floods. */
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
        throw new PoolError(this.peer, `flood: more than ${this.maxPerSecond} messages in one second`);
      const r = decodeFrame(frame);
      if (r.kind === 'unknown')
        yield { kind: 'unknown', extensionType: r.header.extensionType, msgType: r.header.msgType };
      else yield { kind: 'message', message: r.message };
    }
  }
}
