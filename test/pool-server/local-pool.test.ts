/**
 * The local pool against scripted miners over real loopback TCP + Noise: setup and its refusals,
 * channel opening (Success, future job, SetNewPrevHash), CPU-found shares accepted, every
 * SubmitShares.Error code from a crafted share, batched acks, blocks found.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { bigIntToLeBytes, difficultyToTarget, nbitsToTarget } from '../../src/bitcoin/target.js';
import type { PoolShareEvent } from '../../src/pool-server/pool-options.js';
import { encodeMessage } from '../../src/sv2/codec.js';
import { cleanupTestPools, EASY, miner, pool } from './fixture.js';
import { findNonce } from './miner.js';

afterEach(cleanupTestPools);

describe('local pool: connection setup', () => {
  it('serves a URL with its authority key and answers SetupConnection with version 2, flags 0', async () => {
    const p = await pool();
    expect(p.url).toBe(`stratum2+tcp://127.0.0.1:${p.port}/${p.authorityPublicKey}`);
    expect(p.authorityPublicKey).toMatch(/^9[1-9A-HJ-NP-Za-km-z]{50}$/);
    const m = await miner(p);
    expect(m.noise.handshake.authenticated).toBe(true);
    expect(await m.setup()).toEqual({ used_version: 2, flags: 0 });
  });

  it.each([
    [{ protocol: 1 }, 0, 'unsupported-protocol'],
    [{ min_version: 3, max_version: 3 }, 0, 'protocol-version-mismatch'],
    [{ flags: 0x7 }, 0x2, 'unsupported-feature-flags'],
  ])('refuses %j with SetupConnection.Error and closes', async (overrides, flags, code) => {
    const p = await pool();
    const m = await miner(p);
    m.send('SetupConnection', m.setupFields(overrides));
    expect(await m.expect('SetupConnection.Error')).toEqual({ flags, error_code: code });
    expect(await m.closedByServer()).toBe(true);
  });

  it('drops a client whose first message is not SetupConnection', async () => {
    const p = await pool();
    const m = await miner(p);
    m.send('OpenStandardMiningChannel', {
      request_id: 1,
      user_identity: 'x',
      nominal_hash_rate: 1,
      max_target: new Uint8Array(32).fill(0xff),
    });
    expect(await m.closedByServer()).toBe(true);
  });
});

describe('local pool: channels and jobs', () => {
  it('opens a channel: Success, then a future job, then SetNewPrevHash activating it', async () => {
    const p = await pool();
    const m = await miner(p);
    await m.setup();
    const { success, job, prev } = await m.open(7);
    expect(success.request_id).toBe(7);
    expect(success.target).toEqual(bigIntToLeBytes(difficultyToTarget(EASY)));
    expect(success.extranonce_prefix.length).toBe(8);
    expect(success.group_channel_id).not.toBe(success.channel_id);
    expect(job.channel_id).toBe(success.channel_id);
    expect(job.min_ntime).toBeNull();
    expect(job.version).toBe(0x20000000);
    expect(prev.channel_id).toBe(success.channel_id);
    expect(prev.job_id).toBe(job.job_id);
    expect(prev.prev_hash).toEqual(p.tip().prevHash);
    expect(prev.nbits).toBe(p.tip().nbits);
    expect(p.stats()).toMatchObject({ connections: 1, channels: 1 });
  });

  it('caps the target by max_target and derives it from the nominal hash rate without a fixed difficulty', async () => {
    const p = await pool({ initialDifficulty: undefined, targetSharesPerMinute: 6 });
    const m = await miner(p);
    await m.setup();
    const cap = difficultyToTarget(1000);
    const capped = await m.open(1, 1e3, bigIntToLeBytes(cap));
    expect(capped.target).toBe(cap);
    // 1 TH/s at 6 shares/min: 10^13 hashes per share, target = (2^256 - 10^13) / (10^13 + 1).
    const free = await m.open(2, 1e12);
    // nominal_hash_rate is an F32 on the wire: 1e12 arrives as 999999995904.
    const hs = BigInt(Math.fround(1e12) * 10);
    expect(free.target).toBe(((1n << 256n) - hs) / (hs + 1n));
  });

  it('accepts a CPU-found share and acknowledges it (batch size 1)', async () => {
    const p = await pool();
    const m = await miner(p);
    await m.setup();
    const { success, job, prev, target } = await m.open();
    // Rolled version bits inside the BIP320 mask are fine.
    const version = job.version | 0x00ffe000;
    const { nonce } = findNonce(job, prev, target, { version });
    m.send('SubmitSharesStandard', {
      channel_id: success.channel_id,
      sequence_number: 0,
      job_id: job.job_id,
      nonce,
      ntime: prev.min_ntime,
      version,
    });
    // difficulty 2^-20 per share floors to 0 whole units in new_shares_sum.
    expect(await m.expect('SubmitShares.Success')).toEqual({
      channel_id: success.channel_id,
      last_sequence_number: 0,
      new_submits_accepted_count: 1,
      new_shares_sum: 0n,
    });
    expect(p.stats().sharesAccepted).toBe(1);
  });

  it('answers every bad share with the exact SubmitShares.Error code', async () => {
    const judged: PoolShareEvent[] = [];
    const p = await pool({ onShare: (e) => judged.push(e) });
    const m = await miner(p);
    await m.setup();
    const { success, job, prev, target } = await m.open();
    const ch = success.channel_id;
    const good = findNonce(job, prev, target);
    const bad = findNonce(job, prev, target, { fail: true });
    const base = { channel_id: ch, job_id: job.job_id, ntime: prev.min_ntime, version: job.version };
    const cases: [Partial<typeof base> & { nonce: number }, string][] = [
      [{ nonce: good.nonce, channel_id: ch + 1000 }, 'invalid-channel-id'],
      [{ nonce: good.nonce, job_id: 9999 }, 'invalid-job-id'],
      [{ nonce: good.nonce, ntime: prev.min_ntime - 1 }, 'invalid-share'],
      [{ nonce: good.nonce, ntime: prev.min_ntime + 100_000 }, 'invalid-share'],
      [{ nonce: good.nonce, version: job.version | 0x1 }, 'invalid-non-rollable-version-bit'],
      [{ nonce: good.nonce, version: job.version ^ 0x40000000 }, 'invalid-non-rollable-version-bit'],
      [{ nonce: bad.nonce }, 'difficulty-too-low'],
    ];
    let seq = 100;
    for (const [share, code] of cases) {
      const s = { ...base, ...share, sequence_number: seq };
      m.send('SubmitSharesStandard', s);
      expect(await m.expect('SubmitShares.Error')).toEqual({
        channel_id: s.channel_id,
        sequence_number: seq,
        error_code: code,
      });
      seq++;
    }
    m.send('SubmitSharesStandard', { ...base, nonce: good.nonce, sequence_number: 1 });
    expect((await m.expect('SubmitShares.Success')).last_sequence_number).toBe(1);
    m.send('SubmitSharesStandard', { ...base, nonce: good.nonce, sequence_number: 2 });
    expect(await m.expect('SubmitShares.Error')).toEqual({
      channel_id: ch,
      sequence_number: 2,
      error_code: 'duplicate-share',
    });
    // After a new block every earlier job is stale.
    p.newBlock();
    const fut = await m.expect('NewMiningJob');
    const snph = await m.expect('SetNewPrevHash');
    expect(snph.job_id).toBe(fut.job_id);
    expect(snph.prev_hash).toEqual(p.tip().prevHash);
    m.send('SubmitSharesStandard', { ...base, nonce: good.nonce, sequence_number: 3 });
    expect((await m.expect('SubmitShares.Error')).error_code).toBe('stale-share');
    expect(p.stats().sharesRejected).toEqual({
      'invalid-channel-id': 1,
      'invalid-job-id': 1,
      'invalid-share': 2,
      'invalid-non-rollable-version-bit': 2,
      'difficulty-too-low': 1,
      'duplicate-share': 1,
      'stale-share': 1,
    });
    // onShare saw every share once, in order, with the verdict the miner got.
    expect(judged.map((e) => (e.outcome.kind === 'accepted' ? 'accepted' : e.outcome.code))).toEqual([
      ...cases.map(([, code]) => code),
      'accepted',
      'duplicate-share',
      'stale-share',
    ]);
    expect(judged.map((e) => e.share.sequence_number)).toEqual([100, 101, 102, 103, 104, 105, 106, 1, 2, 3]);
    expect(judged[0]?.channelId).toBeUndefined();
    expect(judged[7]?.channelId).toBe(ch);
  });

  it('batches SubmitShares.Success every shareBatchSize accepted shares', async () => {
    const p = await pool({ shareBatchSize: 3 });
    const m = await miner(p);
    await m.setup();
    const { success, job, prev, target } = await m.open();
    const submit = (nonce: number, seq: number, jobId = job.job_id): void =>
      m.send('SubmitSharesStandard', {
        channel_id: success.channel_id,
        sequence_number: seq,
        job_id: jobId,
        nonce,
        ntime: prev.min_ntime,
        version: job.version,
      });
    let start = 0;
    for (const seq of [10, 11]) {
      const f = findNonce(job, prev, target, { start });
      submit(f.nonce, seq);
      start = f.nonce + 1;
    }
    // A rejected share in between: its Error must be the very next message (no early ack).
    submit(0, 12, 4242);
    expect((await m.expect('SubmitShares.Error')).sequence_number).toBe(12);
    submit(findNonce(job, prev, target, { start }).nonce, 13);
    expect(await m.expect('SubmitShares.Success')).toEqual({
      channel_id: success.channel_id,
      last_sequence_number: 13,
      new_submits_accepted_count: 3,
      new_shares_sum: 0n,
    });
  });

  it('sends active jobs on newJobs(), honours CloseChannel, and sendToAll reaches every client', async () => {
    const p = await pool();
    const m = await miner(p);
    await m.setup();
    const { success, job } = await m.open();
    p.newJobs();
    const active = await m.expect('NewMiningJob');
    expect(active.job_id).toBe(job.job_id + 1);
    expect(active.min_ntime).toBeGreaterThanOrEqual(p.tip().minNtime);
    expect(active.merkle_root).not.toEqual(job.merkle_root);
    expect(p.sendToAll(encodeMessage('Reconnect', { new_host: '', new_port: 0 }))).toBe(1);
    expect(await m.expect('Reconnect')).toEqual({ new_host: '', new_port: 0 });
    m.send('CloseChannel', { channel_id: success.channel_id, reason_code: 'bye' });
    m.send('SubmitSharesStandard', {
      channel_id: success.channel_id,
      sequence_number: 5,
      job_id: active.job_id,
      nonce: 0,
      ntime: p.tip().minNtime,
      version: active.version,
    });
    expect((await m.expect('SubmitShares.Error')).error_code).toBe('invalid-channel-id');
  });

  it('a share meeting nbits is acked at once, counted as a block and becomes the next prev hash', async () => {
    // nbits 0x2100ffff: target 0xffff << 240, every 2nd hash or so is a "block".
    const p = await pool({ nbits: 0x2100ffff, shareBatchSize: 10 });
    const m = await miner(p);
    await m.setup();
    const { success, job, prev } = await m.open();
    const found = findNonce(job, prev, nbitsToTarget(prev.nbits));
    m.send('SubmitSharesStandard', {
      channel_id: success.channel_id,
      sequence_number: 0,
      job_id: job.job_id,
      nonce: found.nonce,
      ntime: prev.min_ntime,
      version: job.version,
    });
    expect((await m.expect('SubmitShares.Success')).new_submits_accepted_count).toBe(1);
    await m.expect('NewMiningJob');
    const next = await m.expect('SetNewPrevHash');
    expect(next.prev_hash).toEqual(found.hash);
    expect(p.stats()).toMatchObject({ blocksFound: 1, height: 2 });
  });
});
