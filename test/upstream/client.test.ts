/**
 * PoolClient against scripted pools over real loopback sockets: the full lifecycle (setup, channel,
 * jobs, targets, group-addressed messages, batched acks, CloseChannel), Reconnect, the silence
 * deadline, malformed frames, handshake timeouts, pool errors, and refusal of key-less pools.
 */
import { createServer } from 'node:net';
import { type Logger, pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { DIFF1_TARGET, leBytesToBigInt, MAX_TARGET } from '../../src/bitcoin/target.js';
import { encodeFrame } from '../../src/sv2/frame.js';
import { PoolClient, type PoolClientOptions } from '../../src/upstream/client.js';
import type { Job, Share } from '../../src/work/job.js';
import { waitFor } from '../helpers/wait.js';
import { FakeClock } from './helpers/fake-clock.js';
import { poolTestKit, shareOnJob } from './helpers/pool-test-kit.js';
import { bringUp, merkle, PREV_HASH, TARGET_DIFF1 } from './helpers/scripted-pool.js';

const { pool, defer } = poolTestKit();

function client(urls: string[], extra: Partial<PoolClientOptions> = {}) {
  const jobs: Job[] = [];
  const c = new PoolClient({
    pools: urls.map((url, i) => ({ url, user: `acct.rig${i}` })),
    nominalHashrate: 1e12,
    device: { firmware: '1.2.3', hardwareVersion: 'bm1370-sim', deviceId: 'rig-7' },
    backoff: { baseMs: 20, maxMs: 100 },
    random: () => 0,
    handshakeTimeoutMs: 1000,
    ...extra,
  });
  c.onJob((j) => jobs.push(j));
  defer(() => c.close());
  c.start();
  return { c, jobs };
}

// Bit 13 set: a version the chips rolled inside the mask.
const shareFor = (job: Job, nonce: number): Share =>
  shareOnJob(job, nonce, { version: job.version | 0x2000, difficulty: 1 });

describe('PoolClient lifecycle', () => {
  it('sets up, opens a channel, mines, submits, counts batched acks and closes the channel', async () => {
    const p = await pool();
    const { c, jobs } = client([p.url]);
    const peer = await p.next();
    const { setup, open } = await bringUp(peer, { channelId: 3, group: 50 });
    expect(setup).toEqual({
      protocol: 0,
      min_version: 2,
      max_version: 2,
      flags: 5,
      endpoint_host: '127.0.0.1',
      endpoint_port: p.port,
      vendor: 'sv2miner',
      hardware_version: 'bm1370-sim',
      firmware: '1.2.3',
      device_id: 'rig-7',
    });
    expect(open).toMatchObject({
      request_id: 1,
      user_identity: 'acct.rig0',
      nominal_hash_rate: Math.fround(1e12),
    });
    expect(leBytesToBigInt(open.max_target)).toBe(MAX_TARGET);
    await waitFor(() => jobs.length === 1);
    const job = jobs[0] as Job;
    expect(job).toMatchObject({
      pool: p.url,
      channelId: 3,
      jobId: 1,
      version: 0x20000000,
      versionMask: 0x1fffe000,
      ntime: 1_700_000_000,
      nbits: 0x1d00ffff,
      target: DIFF1_TARGET,
      clean: true,
    });
    expect(job.prevHash).toEqual(PREV_HASH);
    expect(job.merkleRoot).toEqual(merkle(1));

    expect(c.submit(shareFor(job, 11))).toEqual({ kind: 'submitted', sequence: 0 });
    expect(c.submit(shareFor(job, 12))).toEqual({ kind: 'submitted', sequence: 1 });
    expect(await peer.expect('SubmitSharesStandard')).toEqual({
      channel_id: 3,
      sequence_number: 0,
      job_id: 1,
      nonce: 11,
      ntime: 1_700_000_000,
      version: 0x20002000,
    });
    expect((await peer.expect('SubmitSharesStandard')).sequence_number).toBe(1);
    peer.send('SubmitShares.Success', {
      channel_id: 3,
      last_sequence_number: 1,
      new_submits_accepted_count: 2,
      new_shares_sum: 2n,
    });
    await waitFor(() => c.status().pools[0]?.counters.accepted === 2);

    // SetTarget addressed to the group: the active job keeps its target, the next job gets the new one.
    const harder = new Uint8Array(32);
    harder[25] = 0xff;
    peer.send('SetTarget', { channel_id: 50, maximum_target: harder });
    peer.send('NewMiningJob', {
      channel_id: 3,
      job_id: 2,
      min_ntime: 1_700_000_005,
      version: 0x20000000,
      merkle_root: merkle(2),
    });
    await waitFor(() => jobs.length === 2);
    expect(jobs[1]).toMatchObject({
      jobId: 2,
      ntime: 1_700_000_005,
      target: leBytesToBigInt(harder),
      clean: false,
    });
    expect(jobs[0]?.target).toBe(DIFF1_TARGET);

    // Group-addressed SetNewPrevHash after a future job: clean job; old jobs now stale.
    peer.send('NewMiningJob', {
      channel_id: 3,
      job_id: 3,
      min_ntime: null,
      version: 0x20000000,
      merkle_root: merkle(3),
    });
    peer.send('SetNewPrevHash', {
      channel_id: 50,
      job_id: 3,
      prev_hash: merkle(9),
      min_ntime: 1_700_000_600,
      nbits: 0x1d00ffff,
    });
    await waitFor(() => jobs.length === 3);
    expect(jobs[2]).toMatchObject({ jobId: 3, clean: true, ntime: 1_700_000_600 });
    expect(c.submit(shareFor(job, 13))).toEqual({ kind: 'stale', reason: 'unknown-job' });
    expect(c.submit(shareFor(jobs[2] as Job, 14))).toEqual({ kind: 'submitted', sequence: 2 });
    expect((await peer.expect('SubmitSharesStandard')).job_id).toBe(3);
    peer.send('SubmitShares.Error', { channel_id: 3, sequence_number: 2, error_code: 'difficulty-too-low' });
    // Messages for unknown channels and unknown message types are ignored, the connection stays.
    peer.send('SetTarget', { channel_id: 999, maximum_target: harder });
    peer.sendFrame(encodeFrame({ extensionType: 0, channelMsg: false, msgType: 0x6f }, Uint8Array.of(1, 2)));
    await waitFor(() => c.status().pools[0]?.counters.rejected === 1);

    const s = c.status();
    expect(s.currentPool).toBe(p.url);
    const ps = s.pools[0];
    expect(ps?.state).toBe('mining');
    expect(ps?.channels).toEqual([
      {
        channelId: 3,
        groupChannelId: 50,
        target: `${'00'.repeat(6)}ff${'00'.repeat(25)}`,
        difficulty: (0xffff * 256) / 255, // diff-1 / (0xff << 200)
        extranoncePrefix: '01020304',
        activeJobId: 3,
        sharesInFlight: 0,
      },
    ]);
    expect(ps?.counters).toMatchObject({
      submitted: 3,
      accepted: 2,
      rejected: 1,
      stale: 1,
      unacknowledged: 0,
    });
    expect(ps?.counters.rejectedByReason).toEqual({ 'difficulty-too-low': 1 });
    expect(ps?.handshakeMs).toBeGreaterThan(0);
    expect(ps?.lastShareRoundTripMs).toBeGreaterThanOrEqual(0);

    await c.close();
    expect(await peer.expect('CloseChannel')).toEqual({ channel_id: 3, reason_code: 'shutdown' });
  });

  it('announces hashrate drift, stores a new extranonce prefix and reopens a moved channel', async () => {
    const p = await pool();
    const { c, jobs } = client([p.url], { hashrateUpdate: { drift: 0.2, minIntervalMs: 0 } });
    const peer = await p.next();
    await bringUp(peer, { channelId: 3 });
    await waitFor(() => jobs.length === 1);
    c.reportHashrate(1.1e12); // 10%: no update
    c.reportHashrate(2e12);
    const up = await peer.expect('UpdateChannel');
    expect([up.channel_id, up.nominal_hash_rate]).toEqual([3, Math.fround(2e12)]);
    expect(leBytesToBigInt(up.maximum_target)).toBe(MAX_TARGET);
    peer.send('SetExtranoncePrefix', { channel_id: 3, extranonce_prefix: Uint8Array.of(0xab, 0xcd) });
    await waitFor(() => c.status().pools[0]?.channels[0]?.extranoncePrefix === 'abcd');
    peer.send('ChannelEndpointChanged', { channel_id: 3 });
    const reopen = await peer.expect('OpenStandardMiningChannel');
    expect(reopen.request_id).toBe(2);
    expect(c.submit(shareFor(jobs[0] as Job, 1))).toEqual({ kind: 'stale', reason: 'unknown-channel' });
  });

  it('opens several channels when asked and keeps their sequence numbers apart', async () => {
    const p = await pool();
    const { c, jobs } = client([p.url], { channels: 2 });
    const peer = await p.next();
    await peer.expect('SetupConnection');
    peer.send('SetupConnection.Success', { used_version: 2, flags: 0 });
    const a = await peer.expect('OpenStandardMiningChannel');
    const b = await peer.expect('OpenStandardMiningChannel');
    expect([a.request_id, b.request_id, a.nominal_hash_rate]).toEqual([1, 2, Math.fround(5e11)]);
    for (const [req, id] of [
      [a.request_id, 1],
      [b.request_id, 2],
    ] as const) {
      peer.send('OpenStandardMiningChannel.Success', {
        request_id: req,
        channel_id: id,
        target: TARGET_DIFF1,
        extranonce_prefix: new Uint8Array(0),
        group_channel_id: 7,
      });
      peer.send('NewMiningJob', {
        channel_id: id,
        job_id: 1,
        min_ntime: null,
        version: 0x20000000,
        merkle_root: merkle(id),
      });
    }
    peer.send('SetNewPrevHash', { channel_id: 7, job_id: 1, prev_hash: PREV_HASH, min_ntime: 5, nbits: 1 });
    await waitFor(() => jobs.length === 2);
    expect(jobs.map((j) => j.channelId).sort()).toEqual([1, 2]);
    for (const j of jobs) expect(c.submit(shareFor(j, 1))).toEqual({ kind: 'submitted', sequence: 0 });
  });
});

/** A loopback port with nothing listening: connections to it are refused. */
async function refusedUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `stratum2+tcp://127.0.0.1:${port}/9auqWEzQDVyd2oe1JVGFLMLHZtCo2FFqZwtKA5gd9xbuEu7PH72`;
}

function warnings(): { lines: string[]; log: Logger } {
  const lines: string[] = [];
  const log = pino({ level: 'warn' }, { write: (line: string) => lines.push(JSON.parse(line).msg) });
  return { lines, log };
}

describe('PoolClient failover', () => {
  it('with one pool that refuses connections, says it retries with the backoff, never "failing over"', async () => {
    const { lines, log } = warnings();
    client([await refusedUrl()], { log });
    await waitFor(() => lines.length >= 2);
    for (const line of lines)
      expect(line).toMatch(
        /^pool failed \(connecting: .*ECONNREFUSED.*\); retrying in \d+\.\d s \(no other pool configured\)$/,
      );
  });

  it('with another pool to go to, says it fails over', async () => {
    const { lines, log } = warnings();
    const b = await pool();
    client([await refusedUrl(), b.url], { log });
    await bringUp(await b.next());
    expect(lines[0]).toMatch(/^pool failed \(connecting: .*ECONNREFUSED.*\); failing over$/);
  });

  it('follows Reconnect to the new port with the same key and credentials', async () => {
    const a = await pool();
    const b = await pool();
    const { c } = client([a.url]);
    const pa = await a.next();
    await bringUp(pa);
    pa.send('Reconnect', { new_host: '', new_port: b.port });
    const pb = await b.next();
    const { setup, open } = await bringUp(pb);
    expect([setup.endpoint_host, setup.endpoint_port, open.user_identity]).toEqual([
      '127.0.0.1',
      b.port,
      'acct.rig0',
    ]);
    await waitFor(() => c.status().pools[0]?.state === 'mining');
  });

  it('drops a silent pool after the silence deadline and reconnects', async () => {
    // The silence deadline and the backoff run on a hand-driven clock: a loaded machine cannot
    // stretch the bring-up past the deadline, and the test decides when the pool fell silent.
    const clock = new FakeClock();
    const p = await pool();
    const { c } = client([p.url], { silenceMs: 300, clock });
    await bringUp(await p.next());
    await waitFor(() => c.status().pools[0]?.state === 'mining');
    clock.advance(299);
    expect(c.status().pools[0]?.state).toBe('mining');
    clock.advance(1);
    await waitFor(() => c.status().pools[0]?.state === 'backoff');
    expect(c.status().pools[0]?.lastError).toMatch(/silence/);
    clock.advance(100); // the longest backoff
    await bringUp(await p.next(3000));
  });

  it('fails over on a malformed frame; shares for the old pool become stale', async () => {
    const a = await pool();
    const b = await pool();
    const { c, jobs } = client([a.url, b.url]);
    const pa = await a.next();
    await bringUp(pa);
    await waitFor(() => jobs.length === 1);
    // NewMiningJob whose OPTION count is 2: DecodeError -> drop connection, try next pool.
    const bad = new Uint8Array(4 + 4 + 1 + 4 + 32);
    bad[8] = 2;
    pa.sendFrame(encodeFrame({ extensionType: 0, channelMsg: true, msgType: 0x15 }, bad));
    const pb = await b.next();
    const { open } = await bringUp(pb);
    expect(open.user_identity).toBe('acct.rig1');
    await waitFor(() => jobs.length === 2);
    expect(c.status().pools[0]?.lastError).toMatch(/malformed frame/);
    expect(c.status().pools[0]?.state).toBe('backoff');
    expect(c.submit(shareFor(jobs[0] as Job, 1))).toEqual({ kind: 'stale', reason: 'pool-changed' });
    expect(c.status().pools[0]?.counters.staleByReason).toEqual({ 'pool-changed': 1 });
    expect(c.status().currentPool).toBe(b.url);
  });

  it('fails over from a pool that accepts TCP and never answers the handshake', async () => {
    const silent = await pool('silent');
    const b = await pool();
    // The timeout also covers the good pool's handshake (real ECDH on both sides, in this one
    // process): the default 1 s, not a tight one a loaded machine overruns.
    const { c } = client([silent.url, b.url]);
    await bringUp(await b.next());
    expect(c.status().pools[0]?.lastError).toMatch(/handshake|act2|timed out/);
  });

  it('fails over on SetupConnection.Error and gives up on pools requiring extended channels', async () => {
    const a = await pool();
    const b = await pool();
    const { c } = client([a.url, b.url]);
    const pa = await a.next();
    await pa.expect('SetupConnection');
    pa.send('SetupConnection.Error', { flags: 0, error_code: 'unsupported-protocol' });
    const pb = await b.next();
    await pb.expect('SetupConnection');
    pb.send('SetupConnection.Success', { used_version: 2, flags: 2 });
    // a retries (not dead), b is dead
    const pa2 = await a.next();
    await bringUp(pa2);
    const s = c.status();
    expect(s.pools[1]?.state).toBe('dead');
    expect(s.pools[1]?.lastError).toMatch(/extended channels/);
  });

  it('drops a flooding pool and one that sends an absurd frame length', async () => {
    const a = await pool();
    const b = await pool();
    const { c } = client([a.url, b.url], { maxMessagesPerSecond: 50, maxPayload: 4096 });
    const pa = await a.next();
    await bringUp(pa);
    // The flood bound counts per one-second window: 200 in one burst exceed 50 in some window
    // however a loaded machine splits the burst across a window boundary.
    for (let i = 0; i < 200; i++) pa.send('SetTarget', { channel_id: 1, maximum_target: TARGET_DIFF1 });
    const pb = await b.next();
    await bringUp(pb);
    expect(c.status().pools[0]?.lastError).toMatch(/flood/);
    pb.sendFrame(encodeFrame({ extensionType: 0, channelMsg: false, msgType: 0x70 }, new Uint8Array(5000)));
    await waitFor(() => /exceeds limit/.test(c.status().pools[1]?.lastError ?? ''));
  });

  it('refuses a pool URL without authority key unless insecure', async () => {
    const p = await pool();
    const noKey = `stratum2+tcp://127.0.0.1:${p.port}`;
    const { c } = client([noKey]);
    await waitFor(() => c.status().pools[0]?.state === 'dead');
    // And it stays away: no connection a while later either.
    await new Promise((r) => setTimeout(r, 100));
    expect(p.accepted).toBe(0);
    expect(c.status().pools[0]).toMatchObject({
      state: 'dead',
      lastError: expect.stringMatching(/authority key/),
    });
  });
});
