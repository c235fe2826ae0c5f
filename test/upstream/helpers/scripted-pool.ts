/**
 * A scripted SV2 pool for client tests: real loopback TCP + the Noise responder from src/noise,
 * then whatever frames the test sends by hand. Each accepted connection is a PoolPeer the test
 * drives step by step (expect a message, send a message, send raw bytes, hang up). Hostile
 * behaviour for the issue 12 tests: a frame written only in part (`sendPartial`), and a
 * 'half-open' pool that never closes its side of TCP after the client closed its own.
 */
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { encodeAuthorityPublicKey } from '../../../src/noise/authority-key.js';
import { signCertificate } from '../../../src/noise/certificate.js';
import { xonlyPublicKey } from '../../../src/noise/ellswift.js';
import { acceptNoise, type NoiseSocket } from '../../../src/noise/noise-socket.js';
import { decodeFrame, encodeMessage } from '../../../src/sv2/codec.js';
import type { AnyMessage, MessageFields, MessageName } from '../../../src/sv2/messages/registry.js';
import { EVENT_BOUND_MS } from '../../helpers/wait.js';

const AUTH_SECRET = Uint8Array.from({ length: 32 }, (_, i) => i + 11);
const AUTH_XONLY = xonlyPublicKey(AUTH_SECRET);
const STATIC_SECRET = Uint8Array.from({ length: 32 }, (_, i) => 190 - i);

const certificate = (staticXonly: Uint8Array) => {
  const now = Math.floor(Date.now() / 1000);
  return signCertificate({
    authoritySecret: AUTH_SECRET,
    staticXonly,
    validFrom: now - 60,
    notValidAfter: now + 3600,
  });
};

export class PoolPeer {
  readonly noise: NoiseSocket;
  private readonly raw: Socket;
  private readonly inbox: AnyMessage[] = [];
  private waiter: (() => void) | undefined;
  private done = false;

  constructor(noise: NoiseSocket, raw: Socket) {
    this.noise = noise;
    this.raw = raw;
    void (async () => {
      try {
        for await (const frame of noise) {
          const r = decodeFrame(frame);
          if (r.kind === 'message') this.inbox.push(r.message);
          this.wake();
        }
      } catch {
        // connection failed: `done` below ends every waiting expect()
      }
      this.done = true;
      this.wake();
    })();
  }

  /** The next message from the client (fails after `ms`). */
  async recv(ms = EVENT_BOUND_MS): Promise<AnyMessage> {
    const deadline = Date.now() + ms;
    for (;;) {
      const m = this.inbox.shift();
      if (m !== undefined) return m;
      if (this.done) throw new Error('client connection closed');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timed out waiting for a client message');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  }

  async expect<N extends MessageName>(name: N, ms = EVENT_BOUND_MS): Promise<MessageFields<N>> {
    const m = await this.recv(ms);
    if (m.name !== name) throw new Error(`expected ${name}, got ${m.name}`);
    return m.fields as MessageFields<N>;
  }

  send<N extends MessageName>(name: N, fields: MessageFields<N>): void {
    this.noise.send(encodeMessage(name, fields));
  }

  /**
   * Encrypts `name` as the next frame but writes only its first `bytes` bytes; returns the rest,
   * for `sendRaw` later (a frame trickled in, or never finished).
   */
  sendPartial<N extends MessageName>(name: N, fields: MessageFields<N>, bytes: number): Uint8Array {
    let sealed: Uint8Array | undefined;
    const write = this.raw.write;
    // NoiseSocket.send writes the sealed frame in one call: catch it instead of sending it.
    this.raw.write = ((chunk: Uint8Array) => {
      sealed = chunk;
      return true;
    }) as typeof this.raw.write;
    try {
      this.noise.send(encodeMessage(name, fields));
    } finally {
      this.raw.write = write;
    }
    if (sealed === undefined) throw new Error('nothing was sealed');
    this.raw.write(sealed.subarray(0, bytes));
    return sealed.subarray(bytes);
  }

  /** Bytes as they are, on the TCP socket. */
  sendRaw(bytes: Uint8Array): void {
    this.raw.write(bytes);
  }

  /** True once the TCP socket is fully closed (both sides). */
  get tcpClosed(): boolean {
    return this.raw.destroyed;
  }

  /** A plain frame of our own making, encrypted as usual (malformed-payload tests). */
  sendFrame(frame: Uint8Array): void {
    this.noise.send(frame);
  }

  get isClosed(): boolean {
    return this.done;
  }

  async waitClosed(): Promise<void> {
    await this.noise.closed;
  }

  close(): void {
    this.noise.close();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }
}

export interface ScriptedPool {
  readonly port: number;
  readonly url: string;
  /** The next connection that finished the handshake. */
  next(ms?: number): Promise<PoolPeer>;
  /** Raw TCP sockets accepted so far. */
  readonly accepted: number;
  close(): Promise<void>;
}

/**
 * mode 'silent': accept TCP and never answer (handshake timeout tests). 'half-open': like 'noise',
 * but the pool never closes its side of TCP when the client closes its own.
 */
export async function startScriptedPool(
  mode: 'noise' | 'silent' | 'half-open' = 'noise',
): Promise<ScriptedPool> {
  const peers: PoolPeer[] = [];
  const waiters: ((p: PoolPeer) => void)[] = [];
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server: Server = createServer({ allowHalfOpen: mode === 'half-open' }, (raw) => {
    accepted++;
    sockets.add(raw);
    raw.on('close', () => sockets.delete(raw));
    raw.on('error', () => {});
    if (mode === 'silent') return;
    acceptNoise(raw, { staticSecret: STATIC_SECRET, certificate }).then(
      (noise) => {
        const peer = new PoolPeer(noise, raw);
        const w = waiters.shift();
        if (w !== undefined) w(peer);
        else peers.push(peer);
      },
      () => {},
    );
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('no port');
  const port = addr.port;
  return {
    port,
    url: `stratum2+tcp://127.0.0.1:${port}/${encodeAuthorityPublicKey(AUTH_XONLY)}`,
    get accepted() {
      return accepted;
    },
    next(ms = EVENT_BOUND_MS) {
      const ready = peers.shift();
      if (ready !== undefined) return Promise.resolve(ready);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('no client connection arrived')), ms);
        waiters.push((p) => {
          clearTimeout(t);
          resolve(p);
        });
      });
    },
    async close() {
      for (const s of sockets) s.destroy();
      server.close();
      await once(server, 'close').catch(() => {});
    },
  };
}

export const TARGET_DIFF1 = Uint8Array.from({ length: 32 }, (_, i) => (i === 26 || i === 27 ? 0xff : 0));
export const PREV_HASH = Uint8Array.from({ length: 32 }, (_, i) => i + 1);
export const merkle = (n: number): Uint8Array =>
  Uint8Array.from({ length: 32 }, (_, i) => (i * 3 + n) & 0xff);

/** Setup + one channel + future job 1 + prevhash: the client ends up mining job 1 on `channelId`. */
export async function bringUp(
  peer: PoolPeer,
  opts: { channelId?: number; group?: number; target?: Uint8Array; flags?: number } = {},
): Promise<{ setup: MessageFields<'SetupConnection'>; open: MessageFields<'OpenStandardMiningChannel'> }> {
  const channelId = opts.channelId ?? 1;
  const setup = await peer.expect('SetupConnection');
  peer.send('SetupConnection.Success', { used_version: 2, flags: opts.flags ?? 0 });
  const open = await peer.expect('OpenStandardMiningChannel');
  peer.send('OpenStandardMiningChannel.Success', {
    request_id: open.request_id,
    channel_id: channelId,
    target: opts.target ?? TARGET_DIFF1,
    extranonce_prefix: Uint8Array.of(1, 2, 3, 4),
    group_channel_id: opts.group ?? 100,
  });
  peer.send('NewMiningJob', {
    channel_id: channelId,
    job_id: 1,
    min_ntime: null,
    version: 0x20000000,
    merkle_root: merkle(1),
  });
  peer.send('SetNewPrevHash', {
    channel_id: channelId,
    job_id: 1,
    prev_hash: PREV_HASH,
    min_ntime: 1_700_000_000,
    nbits: 0x1d00ffff,
  });
  return { setup, open };
}
