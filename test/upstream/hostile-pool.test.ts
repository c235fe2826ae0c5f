/**
 * Hostile pools (issue 12), client side, against scripted pools over real loopback TCP and Noise,
 * with the client's time on a hand-driven clock: a pool that talks but never gives usable work,
 * one that commits protocol violations, one that trickles a frame, one that answers every session
 * with Reconnect to itself, one that never closes its side of TCP, and shares lost in flight on
 * every path that ends a connection.
 */
import type { Socket } from 'node:net';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { type SocketFactory, tcpSocketFactory } from '../../src/connection/dial.js';
import { encodeFrame } from '../../src/sv2/frame.js';
import { PoolClient, type PoolClientOptions } from '../../src/upstream/client.js';
import type { Job } from '../../src/work/job.js';
import { waitFor } from '../helpers/wait.js';
import { FakeClock } from './helpers/fake-clock.js';
import { poolTestKit, shareOnJob } from './helpers/pool-test-kit.js';
import { bringUp, merkle, type PoolPeer, PREV_HASH, TARGET_DIFF1 } from './helpers/scripted-pool.js';

const { pool, defer } = poolTestKit();

function capturingLog() {
  const lines: Record<string, unknown>[] = [];
  const log = pino(
    { level: 'warn' },
    { write: (l: string) => lines.push(JSON.parse(l) as Record<string, unknown>) },
  );
  return { log, lines };
}

/** A client on a fake clock; `sockets` are the client's TCP sockets, `received` their bytes in. */
function client(urls: string[], extra: Partial<PoolClientOptions> = {}) {
  const clock = new FakeClock();
  const jobs: Job[] = [];
  const sockets: Socket[] = [];
  let received = 0;
  const socketFactory: SocketFactory = async (endpoint, timeoutMs) => {
    const s = await tcpSocketFactory(endpoint, timeoutMs);
    sockets.push(s);
    s.on('data', (chunk: Buffer) => {
      received += chunk.length;
    });
    return s;
  };
  const { log, lines } = capturingLog();
  const c = new PoolClient({
    pools: urls.map((url, i) => ({ url, user: `acct.rig${i}` })),
    nominalHashrate: 1e12,
    backoff: { baseMs: 1_000, maxMs: 10_000 },
    random: () => 0,
    clock,
    log,
    socketFactory,
    ...extra,
  });
  c.onJob((j) => jobs.push(j));
  defer(() => c.close());
  c.start();
  return { c, clock, jobs, sockets, lines, received: () => received };
}

/** Setup and one open channel, but no job yet. */
async function openChannel(peer: PoolPeer, channelId = 1): Promise<void> {
  await peer.expect('SetupConnection');
  peer.send('SetupConnection.Success', { used_version: 2, flags: 0 });
  const open = await peer.expect('OpenStandardMiningChannel');
  peer.send('OpenStandardMiningChannel.Success', {
    request_id: open.request_id,
    channel_id: channelId,
    target: TARGET_DIFF1,
    extranonce_prefix: Uint8Array.of(1, 2, 3, 4),
    group_channel_id: 100,
  });
}

const violations = (c: PoolClient, index = 0): Record<string, number> =>
  c.status().pools[index]?.violations ?? {};
const total = (v: Record<string, number>): number => Object.values(v).reduce((a, b) => a + b, 0);

describe('a pool that talks but never gives usable work', () => {
  it('fails over at the valid-work deadline although it keeps sending messages', async () => {
    const a = await pool();
    const b = await pool();
    // The violation bound and the first-job deadline are lifted: this test is about the work
    // deadline alone.
    const { c, clock, jobs } = client([a.url, b.url], {
      workDeadlineMs: 60_000,
      firstJobDeadlineMs: 60_000,
      maxViolationsWithoutWork: 1_000,
    });
    const pa = await a.next();
    await openChannel(pa, 1);
    // Jobs and prev hashes for channels and jobs that do not exist, and a future job never
    // activated: every one a message, none of them work.
    for (let i = 0; i < 5; i++) {
      pa.send('NewMiningJob', {
        channel_id: 77,
        job_id: i,
        min_ntime: null,
        version: 0x20000000,
        merkle_root: merkle(i),
      });
      pa.send('SetNewPrevHash', {
        channel_id: 1,
        job_id: 900 + i,
        prev_hash: PREV_HASH,
        min_ntime: 1_700_000_000,
        nbits: 0x1d00ffff,
      });
      pa.send('NewMiningJob', {
        channel_id: 1,
        job_id: 50 + i,
        min_ntime: null,
        version: 2,
        merkle_root: merkle(9),
      });
    }
    await waitFor(() => total(violations(c)) === 10);
    expect(violations(c)).toEqual({ 'unknown-channel': 5, 'unknown-job': 5 });
    clock.advance(59_999);
    expect(c.status().currentPool).toBe(a.url);
    clock.advance(1);
    const pb = await b.next();
    expect(c.status().pools[0]?.lastError).toMatch(/no valid work/);
    await bringUp(pb);
    await waitFor(() => jobs.length === 1);
    expect(jobs[0]?.pool).toBe(b.url);
  });

  it('leaves a pool that opens the channel and sends no job within 2 s, not the whole work deadline', async () => {
    const a = await pool();
    const b = await pool();
    const { c, clock, jobs } = client([a.url, b.url]);
    const pa = await a.next();
    await openChannel(pa, 1);
    await waitFor(() => c.status().pools[0]?.channels.length === 1);
    clock.advance(1_999);
    expect(c.status().currentPool).toBe(a.url);
    clock.advance(1);
    const pb = await b.next();
    expect(c.status().pools[0]?.lastError).toMatch(
      /no valid work: no job with its prev hash within 2000 ms of the channel opening/,
    );
    await bringUp(pb);
    await waitFor(() => jobs.length === 1);
    expect(jobs[0]?.pool).toBe(b.url);
  });

  it('fails over after a few violations while it gives no work, but forgives one before the first job', async () => {
    const a = await pool();
    const b = await pool();
    const { c, clock, jobs } = client([a.url, b.url]);
    const pa = await a.next();
    await openChannel(pa, 1);
    pa.sendFrame(encodeFrame({ extensionType: 0, channelMsg: false, msgType: 0x6f }, Uint8Array.of(1)));
    await waitFor(() => violations(c)['unknown-message'] === 1);
    pa.send('NewMiningJob', {
      channel_id: 1,
      job_id: 1,
      min_ntime: null,
      version: 0x20000000,
      merkle_root: merkle(1),
    });
    pa.send('SetNewPrevHash', {
      channel_id: 1,
      job_id: 1,
      prev_hash: PREV_HASH,
      min_ntime: 1_700_000_000,
      nbits: 0x1d00ffff,
    });
    await waitFor(() => jobs.length === 1);
    // With work on the chips the leaky bucket judges: three more oddities keep the pool.
    for (let i = 2; i <= 4; i++)
      pa.sendFrame(encodeFrame({ extensionType: 0, channelMsg: false, msgType: 0x6f }, Uint8Array.of(i)));
    await waitFor(() => violations(c)['unknown-message'] === 4);
    expect(c.status().currentPool).toBe(a.url);
    pa.close();
    // The next pool opens a channel and gives nothing but violations: three and it is left, long
    // before the 10 s work deadline (the clock does not move).
    const pb = await b.next();
    await openChannel(pb, 1);
    for (let i = 0; i < 3; i++) pb.send('SetTarget', { channel_id: 9, maximum_target: TARGET_DIFF1 });
    await waitFor(() => /protocol violations without work: 3/.test(c.status().pools[1]?.lastError ?? ''));
    expect(clock.now()).toBe(0);
    expect(jobs).toHaveLength(1);
  });

  it('fails over at once when a SetNewPrevHash names a job it never sent, instead of hashing dead work', async () => {
    const a = await pool();
    const b = await pool();
    const { c, clock, jobs } = client([a.url, b.url]);
    const pa = await a.next();
    await bringUp(pa);
    await waitFor(() => jobs.length === 1);
    // A new tip invalidates job 1 (spec 05 §5.3.17) and names job 99, which never came.
    pa.send('SetNewPrevHash', {
      channel_id: 1,
      job_id: 99,
      prev_hash: merkle(7),
      min_ntime: 1_700_000_100,
      nbits: 0x1d00ffff,
    });
    const pb = await b.next();
    expect(clock.now()).toBe(0);
    expect(c.status().pools[0]?.lastError).toMatch(/work withdrawn: SetNewPrevHash names unknown job 99/);
    expect(violations(c)).toEqual({ 'unknown-job': 1 });
    await bringUp(pb);
    await waitFor(() => jobs.length === 2);
    expect(jobs[1]?.pool).toBe(b.url);
  });

  it('does not count violations as life: the silence deadline runs through them', async () => {
    const p = await pool();
    const { c, clock, jobs } = client([p.url], { silenceMs: 10_000, workDeadlineMs: 600_000 });
    const peer = await p.next();
    await bringUp(peer);
    await waitFor(() => jobs.length === 1);
    for (let i = 1; i <= 4; i++) {
      peer.sendFrame(encodeFrame({ extensionType: 0, channelMsg: false, msgType: 0x6f }, Uint8Array.of(i)));
      await waitFor(() => violations(c)['unknown-message'] === i);
      clock.advance(2_400);
    }
    expect(c.status().pools[0]?.state).toBe('mining');
    clock.advance(400);
    await waitFor(() => /silence/.test(c.status().pools[0]?.lastError ?? ''));
  });

  it('counts violations by kind, rate-limits their warnings and fails over once the score crosses the bound', async () => {
    const a = await pool();
    const b = await pool();
    const { c, jobs, lines } = client([a.url, b.url], { maxViolationScore: 20 });
    const pa = await a.next();
    await bringUp(pa);
    await waitFor(() => jobs.length === 1);
    for (let i = 0; i < 15; i++)
      pa.sendFrame(encodeFrame({ extensionType: 0, channelMsg: false, msgType: 0x6f }, Uint8Array.of(i)));
    await waitFor(() => violations(c)['unknown-message'] === 15);
    // Still mining with a score of 15: a few odd messages are not a reason to leave.
    expect(c.status().currentPool).toBe(a.url);
    expect(c.status().pools[0]?.healthScore).toBe(15);
    for (let i = 0; i < 6; i++) pa.send('SetTarget', { channel_id: 42, maximum_target: TARGET_DIFF1 });
    const pb = await b.next();
    expect(violations(c)).toEqual({ 'unknown-message': 15, 'unknown-channel': 6 });
    expect(c.status().pools[0]?.lastError).toMatch(
      /protocol violations: health score over 20 \(unknown-message 15, unknown-channel 6\)/,
    );
    // One line per kind per interval: 2 kinds, 2 lines, not 21.
    const ignored = lines.filter((l) => String(l['msg']).startsWith('ignored:'));
    expect(ignored.map((l) => l['kind'])).toEqual(['unknown-message', 'unknown-channel']);
    await bringUp(pb);
    await waitFor(() => jobs.length === 2);
  });

  it('fails a connection whose frame, once begun, does not complete within the frame deadline', async () => {
    const a = await pool();
    const b = await pool();
    const { c, clock, jobs, received } = client([a.url, b.url], { frameTimeoutMs: 30_000 });
    const pa = await a.next();
    await bringUp(pa);
    await waitFor(() => jobs.length === 1);
    const before = received();
    const fields = { channel_id: 1, job_id: 2, min_ntime: null, version: 0x20000000, merkle_root: merkle(2) };
    const rest = pa.sendPartial('NewMiningJob', fields, 1);
    await waitFor(() => received() === before + 1);
    clock.advance(20_000);
    // A byte a while later does not restart the frame's deadline.
    pa.sendRaw(rest.subarray(0, 1));
    await waitFor(() => received() === before + 2);
    clock.advance(9_999);
    expect(c.status().currentPool).toBe(a.url);
    clock.advance(1);
    await b.next();
    expect(c.status().pools[0]?.lastError).toMatch(/frame incomplete 30000 ms after its first byte/);
  });

  it('lets a frame trickled within the deadline through', async () => {
    const p = await pool();
    const { clock, jobs, received } = client([p.url], { frameTimeoutMs: 30_000 });
    const peer = await p.next();
    await bringUp(peer);
    await waitFor(() => jobs.length === 1);
    const start = received();
    const fields = {
      channel_id: 1,
      job_id: 2,
      min_ntime: 1_700_000_001,
      version: 0x20000000,
      merkle_root: merkle(2),
    };
    const rest = peer.sendPartial('NewMiningJob', fields, 10);
    await waitFor(() => received() === start + 10);
    clock.advance(29_000);
    peer.sendRaw(rest);
    await waitFor(() => jobs.length === 2);
    expect(jobs[1]?.jobId).toBe(2);
  });
});

describe('a pool that answers with Reconnect to itself', () => {
  it('backs off repeated Reconnects and, past the bound, treats the pool as failed and moves on', async () => {
    const a = await pool();
    const b = await pool();
    const { c, clock, lines } = client([a.url, b.url], { reconnectLimit: { max: 3, windowMs: 60_000 } });
    for (let session = 1; session <= 4; session++) {
      const pa = await a.next();
      await bringUp(pa);
      await waitFor(() => c.status().pools[0]?.state === 'mining');
      pa.send('Reconnect', { new_host: '', new_port: 0 });
      if (session === 1) continue;
      if (session === 4) break;
      // Repeats wait for their backoff: nothing reconnects until the clock moves.
      await waitFor(
        () => lines.filter((l) => l['msg'] === 'repeated Reconnect; backing off').length === session - 1,
      );
      expect(a.accepted).toBe(session);
      clock.advance(10_000);
    }
    const pb = await b.next();
    await bringUp(pb);
    expect(a.accepted).toBe(4);
    expect(c.status().pools[0]?.lastError).toMatch(/Reconnect loop: more than 3 Reconnects within 60000 ms/);
    expect(c.status().pools[0]?.state).toBe('backoff');
  });
});

describe('a pool that answers with Reconnect to itself, default bound', () => {
  it('follows two Reconnects within a minute and fails the pool at the third', async () => {
    const a = await pool();
    const b = await pool();
    const { c, clock } = client([a.url, b.url]);
    for (let session = 1; session <= 3; session++) {
      const pa = await a.next();
      await bringUp(pa);
      await waitFor(() => c.status().pools[0]?.state === 'mining');
      pa.send('Reconnect', { new_host: '', new_port: 0 });
      // The second waits for its backoff (at most 250 ms): move the clock past it.
      if (session === 2) {
        await waitFor(() => c.status().pools[0]?.state === 'idle');
        clock.advance(1_000);
      }
    }
    const pb = await b.next();
    await bringUp(pb);
    expect(a.accepted).toBe(3);
    expect(c.status().pools[0]?.lastError).toMatch(/Reconnect loop: more than 2 Reconnects within 60000 ms/);
  });
});

describe('closing', () => {
  it('destroys the socket after the close timeout when the pool never closes its side', async () => {
    const p = await pool('half-open');
    const { c, clock, jobs, sockets } = client([p.url], { closeTimeoutMs: 5_000 });
    await bringUp(await p.next());
    await waitFor(() => jobs.length === 1);
    const socket = sockets[0] as Socket;
    let closed = false;
    const closing = c.close().then(() => {
      closed = true;
    });
    await waitFor(() => c.status().pools[0]?.state === 'idle');
    // close() waits for the socket: "stopped" must mean nothing of ours is left open.
    expect([socket.destroyed, closed]).toEqual([false, false]);
    clock.advance(4_999);
    expect(socket.destroyed).toBe(false);
    clock.advance(1);
    expect(socket.destroyed).toBe(true);
    await closing;
  });
});

describe('shares lost in flight', () => {
  const books = (c: PoolClient, index = 0) => {
    const s = c.status().pools[index];
    const k = s?.counters;
    const inFlight = (s?.channels ?? []).reduce((n, ch) => n + ch.sharesInFlight, 0);
    return {
      k,
      balanced: k !== undefined && k.submitted === k.accepted + k.rejected + k.unacknowledged + inFlight,
    };
  };

  it('counts every share never answered, on every path that ends a connection, and the books balance', async () => {
    const a = await pool();
    const b = await pool();
    const { c, clock, jobs } = client([a.url, b.url], { shareDrainMs: 2_000 });
    const submit = (nonce: number) => {
      const job = jobs.at(-1) as Job;
      expect(c.submit(shareOnJob(job, nonce, { version: job.version | 0x2000 }))).toMatchObject({
        kind: 'submitted',
      });
    };
    // 1. The connection dies with two in flight, one answered.
    const pa = await a.next();
    await bringUp(pa);
    await waitFor(() => jobs.length === 1);
    submit(1);
    submit(2);
    submit(3);
    await pa.expect('SubmitSharesStandard');
    pa.send('SubmitShares.Success', {
      channel_id: 1,
      last_sequence_number: 0,
      new_submits_accepted_count: 1,
      new_shares_sum: 1n,
    });
    await waitFor(() => c.status().pools[0]?.counters.accepted === 1);
    expect(books(c).balanced).toBe(true);
    pa.close();
    await waitFor(() => c.status().pools[0]?.counters.unacknowledged === 2);
    expect(books(c).balanced).toBe(true);
    // 2. Reconnect with one in flight (a is retried once its backoff ran out: on b meanwhile).
    const pb = await b.next();
    await bringUp(pb);
    await waitFor(() => jobs.length === 2);
    submit(4);
    pb.send('Reconnect', { new_host: '', new_port: 0 });
    await waitFor(() => c.status().pools[1]?.counters.unacknowledged === 1);
    // 3. Our own close with one in flight that the pool never answers: the close waits the
    // share drain out, then counts it lost.
    const pb2 = await b.next();
    await bringUp(pb2);
    await waitFor(() => jobs.length === 3);
    submit(5);
    await pb2.expect('SubmitSharesStandard');
    let closed = false;
    const closing = c.close().then(() => {
      closed = true;
    });
    clock.advance(1_999);
    await new Promise((r) => setImmediate(r));
    expect(closed).toBe(false);
    clock.advance(1);
    await closing;
    const k = c.status().pools[1]?.counters;
    expect(k).toMatchObject({ submitted: 2, accepted: 0, unacknowledged: 2 });
    expect(books(c, 0).balanced && books(c, 1).balanced).toBe(true);
  });
});

describe('a clean stop', () => {
  it('waits for the answers to the shares in flight, so both books agree', async () => {
    const p = await pool();
    const { c, jobs } = client([p.url], { shareDrainMs: 2_000 });
    const peer = await p.next();
    await bringUp(peer);
    await waitFor(() => jobs.length === 1);
    const job = jobs[0] as Job;
    c.submit(shareOnJob(job, 7, { version: job.version | 0x2000 }));
    await peer.expect('SubmitSharesStandard');
    const closing = c.close();
    // The pool answers after our stop began: the share is booked accepted, not lost.
    peer.send('SubmitShares.Success', {
      channel_id: 1,
      last_sequence_number: 0,
      new_submits_accepted_count: 1,
      new_shares_sum: 1n,
    });
    await closing;
    expect(c.status().pools[0]?.counters).toMatchObject({ submitted: 1, accepted: 1, unacknowledged: 0 });
    expect(await peer.expect('CloseChannel')).toMatchObject({ channel_id: 1, reason_code: 'shutdown' });
  });
});

describe('prev hashes faster than any chain makes blocks', () => {
  it('counts each one past 60 a minute as churn, and a pool keeping it up is failed over', async () => {
    const a = await pool();
    const b = await pool();
    const { c, clock, jobs } = client([a.url, b.url], { maxViolationScore: 5 });
    const pa = await a.next();
    await bringUp(pa);
    await waitFor(() => jobs.length === 1);
    let sent = 1;
    const prevHash = (n: number) => {
      pa.send('NewMiningJob', {
        channel_id: 1,
        job_id: n,
        min_ntime: null,
        version: 2,
        merkle_root: merkle(n),
      });
      pa.send('SetNewPrevHash', {
        channel_id: 1,
        job_id: n,
        prev_hash: merkle(n + 100),
        min_ntime: 1_700_000_000 + n,
        nbits: 0x1d00ffff,
      });
    };
    // One a second for a minute: valid work, no churn.
    for (let n = 2; n <= 61; n++) {
      clock.advance(1_000);
      prevHash(n);
      sent++;
      await waitFor(() => jobs.length === sent);
    }
    expect(violations(c)).toEqual({});
    // Then a burst: the 61st within a minute is churn, and so on until the score bound.
    for (let n = 62; n < 200 && c.status().currentPool === a.url; n++) {
      prevHash(n);
      await waitFor(() => jobs.length === n || c.status().currentPool !== a.url);
    }
    await b.next();
    expect(violations(c)['prev-hash-churn']).toBe(6);
    expect(c.status().pools[0]?.lastError).toMatch(/prev-hash-churn 6/);
  });
});

describe('warnings a pool can trigger at will', () => {
  it('logs a pool rejecting every share once per interval, while counting every reject', async () => {
    const p = await pool();
    const { c, clock, jobs, lines } = client([p.url]);
    const peer = await p.next();
    await bringUp(peer);
    await waitFor(() => jobs.length === 1);
    const job = jobs[0] as Job;
    for (let n = 0; n < 20; n++) c.submit(shareOnJob(job, n, { version: job.version | 0x2000 }));
    for (let seq = 0; seq < 20; seq++)
      peer.send('SubmitShares.Error', { channel_id: 1, sequence_number: seq, error_code: 'invalid-share' });
    await waitFor(() => c.status().pools[0]?.counters.rejected === 20);
    clock.advance(30_000);
    c.submit(shareOnJob(job, 99, { version: job.version | 0x2000 }));
    peer.send('SubmitShares.Error', { channel_id: 1, sequence_number: 20, error_code: 'invalid-share' });
    await waitFor(() => c.status().pools[0]?.counters.rejected === 21);
    const rejects = lines.filter((l) => l['kind'] === 'share-rejected');
    expect(rejects.map((l) => [l['seq'], l['suppressed']])).toEqual([
      [0, undefined],
      [20, 19],
    ]);
  });
});
