/**
 * Initiator vs responder over real loopback TCP (node:net, port 0): handshake, frames both ways
 * including multi-chunk payloads, refusal of a wrong authority key, handshake timeout, a tampered
 * byte on the wire, and closes in the middle of and between frames.
 */
import { once } from 'node:events';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { NoiseError } from '../../src/errors.js';
import { signCertificate } from '../../src/noise/certificate.js';
import { xonlyPublicKey } from '../../src/noise/ellswift.js';
import { ACT1_SIZE, NoiseResponder } from '../../src/noise/handshake.js';
import { acceptNoise, connectNoise, type NoiseSocket } from '../../src/noise/noise-socket.js';
import { SecureChannel } from '../../src/noise/secure-channel.js';
import { encodeFrame, type Frame } from '../../src/sv2/frame.js';

const AUTH_SECRET = Uint8Array.from({ length: 32 }, (_, i) => i + 7);
const AUTH_X = xonlyPublicKey(AUTH_SECRET);
const STATIC_SECRET = Uint8Array.from({ length: 32 }, (_, i) => 200 - i);
const NOW = 1_760_000_000;
const certificate = (staticXonly: Uint8Array) =>
  signCertificate({
    authoritySecret: AUTH_SECRET,
    staticXonly,
    validFrom: NOW - 10,
    notValidAfter: NOW + 3600,
  });

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.close();
  }
});

/** A server whose per-connection handler gets the raw socket; returns the port. */
async function listen(onSocket: (s: Socket) => void): Promise<number> {
  const server = createServer(onSocket);
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('no port');
  return addr.port;
}

async function dial(port: number): Promise<Socket> {
  const s = createConnection({ port, host: '127.0.0.1' });
  await once(s, 'connect');
  return s;
}

async function take(sock: NoiseSocket, n: number): Promise<Frame[]> {
  const got: Frame[] = [];
  if (n === 0) return got;
  for await (const f of sock) {
    got.push(f);
    if (got.length === n) break;
  }
  return got;
}

const frame = (msgType: number, n: number): Uint8Array =>
  encodeFrame(
    { extensionType: 0, channelMsg: false, msgType },
    Uint8Array.from({ length: n }, (_, i) => (i * 7 + msgType) & 0xff),
  );

describe('noise over loopback TCP', () => {
  it('handshakes and echoes frames of every boundary size', async () => {
    const sizes = [0, 1, 65_518, 65_519, 65_520, 2 * 65_519, 200_000];
    const port = await listen((raw) => {
      void (async () => {
        const server = await acceptNoise(raw, { staticSecret: STATIC_SECRET, certificate });
        for await (const f of server) server.send(encodeFrame({ ...f.header }, f.payload));
      })().catch(() => {});
    });
    const client = await connectNoise(await dial(port), {
      authorityKey: AUTH_X,
      insecure: false,
      now: () => NOW,
    });
    expect(client.handshake.authenticated).toBe(true);
    expect(client.handshake.serverStaticXonly).toEqual(xonlyPublicKey(STATIC_SECRET));
    const sent = sizes.map((n, i) => frame(i, n));
    for (const f of sent) client.send(f);
    const got = await take(client, sizes.length);
    expect(got.map((f) => f.payload.length)).toEqual(sizes);
    got.forEach((f, i) => {
      expect(f.header.msgType).toBe(i);
      expect(Buffer.compare(f.payload, sent[i]?.subarray(6) ?? new Uint8Array())).toBe(0);
    });
    client.close();
    expect(await client.closed).toBeUndefined();
  });

  it('refuses a pool signed by another authority and closes the socket', async () => {
    const port = await listen((raw) => {
      acceptNoise(raw, { staticSecret: STATIC_SECRET, certificate }).catch(() => {});
    });
    const sock = await dial(port);
    const other = xonlyPublicKey(new Uint8Array(32).fill(9));
    const err = await connectNoise(sock, { authorityKey: other, insecure: false, now: () => NOW }).catch(
      (e) => e,
    );
    expect(err).toBeInstanceOf(NoiseError);
    expect((err as NoiseError).step).toBe('certificate');
    expect(sock.destroyed).toBe(true);
  });

  it('insecure mode without a key connects but reports itself as unauthenticated', async () => {
    const port = await listen((raw) => {
      acceptNoise(raw, { staticSecret: STATIC_SECRET, certificate }).catch(() => {});
    });
    const client = await connectNoise(await dial(port), {
      authorityKey: undefined,
      insecure: true,
      now: () => 0,
    });
    expect(client.handshake.insecure).toBe(true);
    expect(client.handshake.authenticated).toBe(false);
    client.close();
    const refused = await connectNoise(await dial(port), { authorityKey: undefined, insecure: false }).catch(
      (e) => e,
    );
    expect(refused).toBeInstanceOf(NoiseError);
    expect((refused as NoiseError).step).toBe('config');
  });

  it('times out when the server never answers act 1', async () => {
    const port = await listen(() => {});
    const err = await connectNoise(await dial(port), {
      authorityKey: AUTH_X,
      insecure: false,
      handshakeTimeoutMs: 150,
    }).catch((e) => e);
    expect(err).toBeInstanceOf(NoiseError);
    expect((err as NoiseError).message).toMatch(/timed out/);
  });

  it('a flipped byte on the wire ends the connection with NoiseError and delivers nothing of it', async () => {
    const server = pureResponder();
    const port = await listen(server.onSocket);
    const client = await connectNoise(await dial(port), {
      authorityKey: AUTH_X,
      insecure: false,
      now: () => NOW,
    });
    const { channel, raw } = await server.ready;
    const good = frame(1, 50);
    raw.write(channel.encryptFrame(good));
    const [first] = await take(client, 1);
    expect(first?.payload.length).toBe(50);
    const bad = channel.encryptFrame(good);
    bad[30] = (bad[30] ?? 0) ^ 0x01;
    raw.write(bad);
    const rest: Frame[] = [];
    const err = await (async () => {
      try {
        for await (const f of client) rest.push(f);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(rest).toHaveLength(0);
    expect(err).toBeInstanceOf(NoiseError);
    expect((err as NoiseError).step).toBe('frame-payload');
    expect(await client.closed).toBe(err);
    expect(() => client.send(good)).toThrow(NoiseError);
  });

  it('a close in the middle of a frame is a NoiseError', async () => {
    const server = pureResponder();
    const port = await listen(server.onSocket);
    const client = await connectNoise(await dial(port), {
      authorityKey: AUTH_X,
      insecure: false,
      now: () => NOW,
    });
    const { channel, raw } = await server.ready;
    raw.end(channel.encryptFrame(frame(2, 100)).subarray(0, 40));
    const err = await client.closed;
    expect(err).toBeInstanceOf(NoiseError);
    expect(err?.message).toMatch(/middle of a frame/);
  });

  it('a close between frames is clean', async () => {
    const server = pureResponder();
    const port = await listen(server.onSocket);
    const client = await connectNoise(await dial(port), {
      authorityKey: AUTH_X,
      insecure: false,
      now: () => NOW,
    });
    const { channel, raw } = await server.ready;
    raw.end(channel.encryptFrame(frame(3, 10)));
    const got: Frame[] = [];
    for await (const f of client) got.push(f);
    expect(got.map((f) => f.header.msgType)).toEqual([3]);
    expect(await client.closed).toBeUndefined();
  });
});

/** A server built from the pure state machine, so the test can write arbitrary bytes after the handshake. */
function pureResponder(): {
  onSocket: (raw: Socket) => void;
  ready: Promise<{ channel: SecureChannel; raw: Socket }>;
} {
  let onSocket: (raw: Socket) => void = () => {};
  const ready = new Promise<{ channel: SecureChannel; raw: Socket }>((resolve) => {
    onSocket = (raw) => {
      const parts: Buffer[] = [];
      const onData = (chunk: Buffer): void => {
        parts.push(chunk);
        const all = Buffer.concat(parts);
        if (all.length < ACT1_SIZE) return;
        raw.off('data', onData);
        const r = new NoiseResponder({ staticSecret: STATIC_SECRET, certificate }).readAct1(
          all.subarray(0, ACT1_SIZE),
        );
        raw.write(r.act2);
        resolve({ channel: new SecureChannel(r.send, r.recv), raw });
      };
      raw.on('data', onData);
    };
  });
  return { onSocket: (raw) => onSocket(raw), ready };
}
