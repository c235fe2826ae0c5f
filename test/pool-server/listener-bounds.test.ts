/**
 * Issue 12, hostile LAN, the local SV2 pool's listener: the per-connection frame bound comes from
 * the codec's field bounds, junk streamed into the port is not kept, connections are capped per
 * address, a silent miner is let go, and close() does not wait for peers that never close.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { connect, createConnection, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { connectNoise } from '../../src/noise/noise-socket.js';
import { parsePoolUrl } from '../../src/noise/pool-url.js';
import { MAX_CLIENT_PAYLOAD } from '../../src/pool-server/client-frame-limit.js';
import { type LocalPool, startLocalPool } from '../../src/pool-server/local-pool.js';
import { encodeMessage } from '../../src/sv2/codec.js';
import { encodeFrame } from '../../src/sv2/frame.js';
import { retainedBytes, streamInto, stubbornPeer } from '../helpers/hostile-peer.js';
import { waitFor } from '../helpers/wait.js';
import { TestMiner } from './miner.js';

const MB = 1024 * 1024;

let pool: LocalPool | undefined;
afterEach(async () => {
  await pool?.close();
  pool = undefined;
});

const start = async (limits: Parameters<typeof startLocalPool>[0] = {}) => {
  pool = await startLocalPool({
    host: '127.0.0.1',
    port: 0,
    jobIntervalMs: 0,
    blockIntervalMs: 0,
    ...limits,
  });
  return pool;
};

describe('local pool listener bounds', () => {
  it('bounds a client frame by the largest client message the codec allows (SetupConnection)', () => {
    // SetupConnection at every field's maximum (sv2.md §4): protocol U8, min/max_version U16,
    // flags U32, endpoint_host STR0_255, endpoint_port U16, vendor, hardware_version, firmware,
    // device_id STR0_255 (1 length byte + 255 bytes each).
    expect(MAX_CLIENT_PAYLOAD).toBe(1 + 2 + 2 + 4 + 256 + 2 + 4 * 256);
  });

  it('drops a miner announcing a frame longer than that, and keeps serving others', async () => {
    const p = await start();
    const bad = await TestMiner.connect(p.url);
    await bad.setup();
    bad.noise.send(
      // An unknown extension: within the bound the pool would ignore it and stay connected.
      encodeFrame(
        { extensionType: 0x4242, channelMsg: false, msgType: 0x01 },
        new Uint8Array(MAX_CLIENT_PAYLOAD + 1),
      ),
    );
    expect(await bad.closedByServer()).toBe(true);
    const good = await TestMiner.connect(p.url);
    expect((await good.setup()).used_version).toBe(2);
    good.noise.close();
  });

  it('keeps nothing of 50 MB of junk streamed into the port, and still serves a miner', async () => {
    const p = await start();
    const before = retainedBytes();
    const result = await streamInto(p.port, { total: 50 * MB, chunk: () => randomBytes(64 * 1024) });
    const growth = retainedBytes() - before;
    // 64 random bytes are a valid ElligatorSwift key, so the handshake goes on; the first
    // "encrypted" header then fails its MAC and the connection ends.
    expect(result.closedByServer).toBe(true);
    expect(growth).toBeLessThan(8 * MB);
    const miner = await TestMiner.connect(p.url);
    expect((await miner.setup()).used_version).toBe(2);
    miner.noise.close();
  });

  it('refuses connections over the per-address limit, and takes them again once one closes', async () => {
    const p = await start({ limits: { maxConnectionsPerAddress: 2 } });
    const held: Socket[] = [await stubbornPeer(p.port), await stubbornPeer(p.port)];
    const refused = await streamInto(p.port, { total: 0 });
    expect(refused.reply.length).toBe(0);
    expect(p.stats().connectionsRefused).toBe(1);
    // Another loopback address has its own allowance.
    const other = await new Promise<Socket>((resolve) => {
      const s: Socket = connect({ port: p.port, host: '127.0.0.1', localAddress: '127.0.0.2' }, () =>
        resolve(s),
      );
    });
    expect(p.stats()).toMatchObject({ socketsOpen: 3, connectionsRefused: 1 });
    other.destroy();
    held.shift()?.destroy();
    await waitFor(() => p.stats().socketsOpen === 1);
    const miner = await TestMiner.connect(p.url);
    expect((await miner.setup()).used_version).toBe(2);
    expect(p.stats().connectionsRefused).toBe(1);
    miner.noise.close();
    for (const s of held) s.destroy();
  });

  it('lets a silent miner go after the idle time', async () => {
    // The idle clock runs between the client's bytes, so it must outlast the client's own Noise
    // work between act 1 and SetupConnection on a loaded machine (150 ms did not).
    const p = await start({ limits: { idleMs: 1_500 } });
    const miner = await TestMiner.connect(p.url);
    await miner.setup();
    expect(await miner.closedByServer(10_000)).toBe(true);
  });

  it('a miner the pool drops but that keeps its side of TCP open is cut off after the grace', async () => {
    const p = await start({ limits: { closeGraceMs: 100 } });
    const u = parsePoolUrl(p.url);
    const socket = createConnection({ host: u.host, port: u.port, allowHalfOpen: true });
    await once(socket, 'connect');
    const noise = await connectNoise(socket, { authorityKey: u.authorityKey, insecure: false });
    // A channel before SetupConnection breaks the protocol: the pool ends the connection.
    noise.send(
      encodeMessage('OpenStandardMiningChannel', {
        request_id: 1,
        user_identity: 'w',
        nominal_hash_rate: 1e9,
        max_target: new Uint8Array(32).fill(0xff),
      }),
    );
    await once(socket, 'end');
    await waitFor(() => p.stats().socketsOpen === 0);
    socket.destroy();
  });

  it('drops a client that sends more messages in a second than its flood bound', async () => {
    const p = await start({ maxMessagesPerSecond: 20 });
    const miner = await TestMiner.connect(p.url);
    await miner.setup();
    const open = await miner.open();
    // 60 in one burst: over the bound of 20 however the burst straddles a one-second window.
    for (let i = 0; i < 60; i++)
      miner.send('UpdateChannel', {
        channel_id: open.success.channel_id,
        nominal_hash_rate: 1e12,
        maximum_target: new Uint8Array(32).fill(0xff),
      });
    expect(await miner.closedByServer(10_000)).toBe(true);
  });

  it('close() resolves while a peer keeps its side of TCP open', async () => {
    const p = await start();
    const peer = await stubbornPeer(p.port, 'x'.repeat(10));
    const miner = await TestMiner.connect(p.url);
    await miner.setup();
    await p.close();
    pool = undefined;
    await peer.serverEnded.catch(() => {});
    expect(await miner.closedByServer()).toBe(true);
    peer.destroy();
  });
});
