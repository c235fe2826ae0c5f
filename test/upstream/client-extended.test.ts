/**
 * PoolClient on extended channels against a scripted pool over real loopback TCP + Noise:
 * SetupConnection without REQUIRES_STANDARD_JOBS, OpenExtendedMiningChannel with
 * min_extranonce_size, extended jobs carrying the channel's prefix and size, SubmitSharesExtended
 * with the share's extranonce byte for byte, SetExtranoncePrefix applied to the next job only, and
 * refusal of a channel whose extranonce cannot fit SV2's 32 bytes.
 */
import { describe, expect, it } from 'vitest';
import { PoolClient } from '../../src/upstream/client.js';
import {
  EXTENDED_SETUP_FLAGS,
  MIN_EXTRANONCE_SIZE,
  SUCCESS_REQUIRES_EXTENDED_CHANNELS,
} from '../../src/upstream/requests.js';
import type { Job } from '../../src/work/job.js';
import { waitFor } from '../helpers/wait.js';
import { poolTestKit, shareOnJob } from './helpers/pool-test-kit.js';
import { type PoolPeer, PREV_HASH, TARGET_DIFF1 } from './helpers/scripted-pool.js';

const { pool, defer } = poolTestKit();
const PATH = [new Uint8Array(32).fill(5)];

function client(url: string) {
  const jobs: Job[] = [];
  const c = new PoolClient({
    pools: [{ url, user: 'acct.ext', channel: 'extended' }],
    nominalHashrate: 1e12,
    backoff: { baseMs: 20, maxMs: 100 },
    random: () => 0,
    handshakeTimeoutMs: 1000,
  });
  c.onJob((j) => jobs.push(j));
  defer(() => c.close());
  c.start();
  return { c, jobs };
}

const extJob = (jobId: number, minNtime: number | null) => ({
  channel_id: 6,
  job_id: jobId,
  min_ntime: minNtime,
  version: 0x20000000,
  version_rolling_allowed: true,
  merkle_path: PATH,
  coinbase_tx_prefix: Uint8Array.of(0xc0, jobId),
  coinbase_tx_suffix: Uint8Array.of(0x5f, jobId),
});

async function openExtended(peer: PoolPeer, prefix: Uint8Array, size: number) {
  const setup = await peer.expect('SetupConnection');
  // An extended-only pool: a client opening standard channels would give up here.
  peer.send('SetupConnection.Success', { used_version: 2, flags: SUCCESS_REQUIRES_EXTENDED_CHANNELS });
  const open = await peer.expect('OpenExtendedMiningChannel');
  peer.send('OpenExtendedMiningChannel.Success', {
    request_id: open.request_id,
    channel_id: 6,
    target: TARGET_DIFF1,
    extranonce_size: size,
    extranonce_prefix: prefix,
    group_channel_id: 0,
  });
  return { setup, open };
}

describe('PoolClient on an extended channel', () => {
  it('opens it, mines extended jobs, submits SubmitSharesExtended and takes a new prefix for the next job', async () => {
    const p = await pool();
    const { c, jobs } = client(p.url);
    const peer = await p.next();
    const { setup, open } = await openExtended(peer, Uint8Array.of(0xaa, 0xbb), 4);
    expect(setup.flags).toBe(EXTENDED_SETUP_FLAGS);
    expect(open).toMatchObject({
      request_id: 1,
      user_identity: 'acct.ext',
      min_extranonce_size: MIN_EXTRANONCE_SIZE,
    });
    peer.send('NewExtendedMiningJob', extJob(1, null));
    peer.send('SetNewPrevHash', {
      channel_id: 6,
      job_id: 1,
      prev_hash: PREV_HASH,
      min_ntime: 1_700_000_000,
      nbits: 0x1d00ffff,
    });
    await waitFor(() => jobs.length === 1);
    const job = jobs[0] as Job;
    expect(job).toMatchObject({ channelId: 6, jobId: 1, versionMask: 0x1fffe000, clean: true });
    expect(job.extended).toEqual({
      coinbasePrefix: Uint8Array.of(0xc0, 1),
      coinbaseSuffix: Uint8Array.of(0x5f, 1),
      merklePath: PATH,
      extranoncePrefix: Uint8Array.of(0xaa, 0xbb),
      extranonceSize: 4,
    });

    const share = { ...shareOnJob(job, 77, { version: 0x20002000 }), extranonce: Uint8Array.of(0, 0, 1, 2) };
    expect(c.submit(share)).toEqual({ kind: 'submitted', sequence: 0 });
    expect(await peer.expect('SubmitSharesExtended')).toEqual({
      channel_id: 6,
      sequence_number: 0,
      job_id: 1,
      nonce: 77,
      ntime: 1_700_000_000,
      version: 0x20002000,
      extranonce: Uint8Array.of(0, 0, 1, 2),
    });
    // A share without its extranonce never reaches the wire.
    expect(c.submit(shareOnJob(job, 78))).toEqual({ kind: 'stale', reason: 'extranonce-mismatch' });
    peer.send('SubmitShares.Success', {
      channel_id: 6,
      last_sequence_number: 0,
      new_submits_accepted_count: 1,
      new_shares_sum: 1n,
    });
    await waitFor(() => c.status().pools[0]?.counters.accepted === 1);

    peer.send('SetExtranoncePrefix', { channel_id: 6, extranonce_prefix: Uint8Array.of(0xcc, 0xdd, 0xee) });
    peer.send('NewExtendedMiningJob', extJob(2, 1_700_000_001));
    await waitFor(() => jobs.length === 2);
    expect(jobs[1]?.extended?.extranoncePrefix).toEqual(Uint8Array.of(0xcc, 0xdd, 0xee));
    // The job mined before keeps the prefix it came with: its late shares still hash right.
    expect(job.extended?.extranoncePrefix).toEqual(Uint8Array.of(0xaa, 0xbb));
  });

  it('closes a channel whose prefix and extranonce_size exceed 32 bytes and reconnects', async () => {
    const p = await pool();
    client(p.url);
    const peer = await p.next();
    await openExtended(peer, new Uint8Array(8), 25);
    expect(await peer.expect('CloseChannel')).toEqual({ channel_id: 6, reason_code: 'invalid-extranonce' });
    await peer.waitClosed();
    // Failover backoff, then a fresh attempt on the same pool.
    const again = await p.next();
    expect((await again.expect('SetupConnection')).flags).toBe(EXTENDED_SETUP_FLAGS);
  });
});
