/**
 * A pool that completes the Noise NX handshake with the slot's own authority key (so the miner
 * trusts it exactly as it trusts the healthy pool on that port), accepts SetupConnection and opens
 * the channel, and then misbehaves in one of the ways issue 12 lists. It never hands out usable
 * work, so a miner that stays connected to it sits idle: the campaign measures exactly that.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { bigIntToLeBytes } from '../../src/bitcoin/target.js';
import { certificateSigner } from '../../src/noise/certificate.js';
import { ACT1_SIZE, NoiseResponder } from '../../src/noise/handshake.js';
import { SecureChannel } from '../../src/noise/secure-channel.js';
import { decodeFrame, encodeMessage } from '../../src/sv2/codec.js';
import { encodeFrame } from '../../src/sv2/frame.js';

export const HOSTILE_CLASSES = [
  /** Handshake and channel, then nothing at all. */
  'silent',
  /** Frames of message types nobody defined, a few a second. */
  'unknown-messages',
  /** NewMiningJob and SetNewPrevHash for a channel that was never opened. */
  'unknown-channel',
  /** SetNewPrevHash naming jobs that were never sent, under any sane flood cap (2/s). */
  'unknown-job',
  /** One valid encrypted frame at a time, trickled a byte every 200 ms. */
  'trickle',
  /** Reconnect to its own host and port, right after the channel opens. */
  'reconnect-self',
  /** Random bytes after the handshake: every one a MAC failure. */
  'garbage',
] as const;
export type HostileClass = (typeof HOSTILE_CLASSES)[number];

export interface HostilePoolOptions {
  readonly port: number;
  readonly authoritySecret: Uint8Array;
  readonly staticSecret: Uint8Array;
  readonly behaviour: HostileClass;
  readonly random: () => number;
}

export interface HostilePool {
  readonly behaviour: HostileClass;
  readonly port: number;
  /** Connections that completed the handshake (a Reconnect loop shows up here). */
  connections(): number;
  close(): Promise<void>;
}

const TICK_MS = 200;
/** A generous target: the channel would be easy to mine if the pool ever gave real work. */
const EASY_TARGET = (1n << 240n) - 1n;

export async function startHostilePool(o: HostilePoolOptions): Promise<HostilePool> {
  const signer = certificateSigner(o.authoritySecret, { validForSec: 3600, backdateSec: 60 });
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let handshakes = 0;
  // The port actually bound (o.port may be 0): Reconnect-to-self names it.
  let boundPort = o.port;

  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.once('close', () => sockets.delete(socket));
    let pending: Uint8Array = new Uint8Array(0);
    let channel: SecureChannel | undefined;
    const send = (frame: Uint8Array): void => {
      if (channel !== undefined && !socket.destroyed) socket.write(channel.encryptFrame(frame));
    };
    const every = (fn: () => void): void => {
      const t = setInterval(() => {
        if (socket.destroyed) clearInterval(t);
        else fn();
      }, TICK_MS);
      timers.add(t);
      socket.once('close', () => {
        clearInterval(t);
        timers.delete(t);
      });
    };
    const misbehave = (channelId: number): void => {
      hostileBehaviour({ ...o, port: boundPort }, socket, channelId, send, every, () => channel);
    };
    socket.on('data', (data: Buffer) => {
      let chunk: Uint8Array = data;
      if (channel === undefined) {
        pending = concat(pending, chunk);
        if (pending.length < ACT1_SIZE) return;
        try {
          const responder = new NoiseResponder({ staticSecret: o.staticSecret, certificate: signer });
          const r = responder.readAct1(pending.subarray(0, ACT1_SIZE));
          socket.write(r.act2);
          channel = new SecureChannel(r.send, r.recv);
          handshakes++;
        } catch {
          socket.destroy();
          return;
        }
        const rest = pending.subarray(ACT1_SIZE);
        pending = new Uint8Array(0);
        if (rest.length === 0) return;
        chunk = rest;
      }
      const { frames, error } = channel.push(chunk);
      if (error !== undefined) {
        socket.destroy();
        return;
      }
      for (const frame of frames) {
        const decoded = decodeFrame(frame);
        if (decoded.kind !== 'message') continue;
        const m = decoded.message;
        if (m.name === 'SetupConnection') {
          send(encodeMessage('SetupConnection.Success', { used_version: 2, flags: 0 }));
        } else if (m.name === 'OpenStandardMiningChannel') {
          const channelId = 1;
          send(
            encodeMessage('OpenStandardMiningChannel.Success', {
              request_id: m.fields.request_id,
              channel_id: channelId,
              target: bigIntToLeBytes(EASY_TARGET),
              extranonce_prefix: new Uint8Array([0x68, 0x6f, 0x73, 0x74]),
              group_channel_id: 0,
            }),
          );
          misbehave(channelId);
        }
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (typeof address === 'object' && address !== null) boundPort = address.port;
  return {
    behaviour: o.behaviour,
    port: boundPort,
    connections: () => handshakes,
    async close() {
      for (const t of timers) clearInterval(t);
      timers.clear();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}

function hostileBehaviour(
  o: HostilePoolOptions,
  socket: Socket,
  channelId: number,
  send: (frame: Uint8Array) => void,
  every: (fn: () => void) => void,
  channel: () => SecureChannel | undefined,
): void {
  const randomBytes = (n: number): Uint8Array => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = Math.floor(o.random() * 256);
    return out;
  };
  let jobId = 1000;
  switch (o.behaviour) {
    case 'silent':
      return;
    case 'unknown-messages':
      every(() => {
        // Message types 0x7f and 0xfe are unassigned in the Common and Mining tables (sv2.md §8).
        const type = o.random() < 0.5 ? 0x7f : 0xfe;
        send(encodeFrame({ extensionType: 0, channelMsg: false, msgType: type }, randomBytes(16)));
      });
      return;
    case 'unknown-channel':
      every(() => {
        const ghost = channelId + 1 + Math.floor(o.random() * 1000);
        jobId++;
        send(
          encodeMessage('NewMiningJob', {
            channel_id: ghost,
            job_id: jobId,
            min_ntime: null,
            version: 0x20000000,
            merkle_root: randomBytes(32),
          }),
        );
        send(
          encodeMessage('SetNewPrevHash', {
            channel_id: ghost,
            job_id: jobId,
            prev_hash: randomBytes(32),
            min_ntime: Math.floor(Date.now() / 1000),
            nbits: 0x1d00ffff,
          }),
        );
      });
      return;
    case 'unknown-job':
      // Two a second: far under any flood cap, yet never a job that exists.
      every(() => {
        if (o.random() >= 0.4) return;
        jobId++;
        send(
          encodeMessage('SetNewPrevHash', {
            channel_id: channelId,
            job_id: jobId,
            prev_hash: randomBytes(32),
            min_ntime: Math.floor(Date.now() / 1000),
            nbits: 0x1d00ffff,
          }),
        );
      });
      return;
    case 'trickle': {
      let queue: Uint8Array = new Uint8Array(0);
      every(() => {
        const ch = channel();
        if (ch === undefined) return;
        if (queue.length === 0) {
          queue = ch.encryptFrame(
            encodeMessage('SetTarget', {
              channel_id: channelId,
              maximum_target: bigIntToLeBytes(EASY_TARGET),
            }),
          );
        }
        socket.write(queue.subarray(0, 1));
        queue = queue.subarray(1);
      });
      return;
    }
    case 'reconnect-self':
      send(encodeMessage('Reconnect', { new_host: '127.0.0.1', new_port: o.port }));
      return;
    case 'garbage':
      every(() => {
        if (!socket.destroyed) socket.write(randomBytes(1 + Math.floor(o.random() * 64)));
      });
      return;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
