/**
 * The local pool under several clients and bad clients (garbage, undecodable frames), and its
 * target management over the wire: UpdateChannel -> SetTarget, vardiff -> SetTarget.
 */
import { once } from 'node:events';
import { createConnection } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { bigIntToLeBytes, leBytesToBigInt } from '../../src/bitcoin/target.js';
import { hashrateToTarget } from '../../src/channels/server/vardiff.js';
import { encodeFrame } from '../../src/sv2/frame.js';
import { FakeClock } from '../upstream/helpers/fake-clock.js';
import { cleanupTestPools, miner, pool } from './fixture.js';
import { findNonce } from './miner.js';

afterEach(cleanupTestPools);

describe('local pool: isolation', () => {
  it('serves several clients at once with distinct channels', async () => {
    const p = await pool();
    const ms = await Promise.all([1, 2, 3, 4, 5].map(() => miner(p)));
    await Promise.all(ms.map((m) => m.setup()));
    const opened = await Promise.all(ms.map((m) => m.open()));
    const ids = new Set(opened.map((o) => o.success.channel_id));
    expect(ids.size).toBe(5);
    expect(p.stats()).toMatchObject({ connections: 5, channels: 5 });
    await Promise.all(
      ms.map(async (m, i) => {
        const o = opened[i];
        if (o === undefined) throw new Error('missing');
        const f = findNonce(o.job, o.prev, o.target);
        m.send('SubmitSharesStandard', {
          channel_id: o.success.channel_id,
          sequence_number: i,
          job_id: o.job.job_id,
          nonce: f.nonce,
          ntime: o.prev.min_ntime,
          version: o.job.version,
        });
        expect((await m.expect('SubmitShares.Success')).last_sequence_number).toBe(i);
      }),
    );
    expect(p.stats().sharesAccepted).toBe(5);
  });

  it('drops a client sending garbage without disturbing the others', async () => {
    const p = await pool();
    const good = await miner(p);
    await good.setup();
    const { success, job, prev, target } = await good.open();
    // Garbage after a 64-byte "act 1": the first encrypted header fails its MAC.
    const raw = createConnection({ host: '127.0.0.1', port: p.port });
    await once(raw, 'connect');
    raw.on('error', () => {});
    // Consume act 2 so the server's FIN can surface as 'close'.
    raw.resume();
    raw.write(Buffer.alloc(64 + 300, 0xab));
    const closed = once(raw, 'close');
    await closed;
    // And a client whose SetupConnection payload is cut short inside a valid session.
    const liar = await miner(p);
    liar.noise.send(encodeFrame({ extensionType: 0, channelMsg: false, msgType: 0 }, Uint8Array.of(0)));
    expect(await liar.closedByServer()).toBe(true);
    const f = findNonce(job, prev, target);
    good.send('SubmitSharesStandard', {
      channel_id: success.channel_id,
      sequence_number: 1,
      job_id: job.job_id,
      nonce: f.nonce,
      ntime: prev.min_ntime,
      version: job.version,
    });
    expect((await good.expect('SubmitShares.Success')).last_sequence_number).toBe(1);
    expect(p.stats().connections).toBe(1);
    expect(leBytesToBigInt(success.target)).toBe(target);
  });
});

describe('local pool: targets', () => {
  it('UpdateChannel recomputes the target: SetTarget then a job carrying it; bad requests get UpdateChannel.Error', async () => {
    const p = await pool({ initialDifficulty: undefined, targetSharesPerMinute: 6 });
    const m = await miner(p);
    await m.setup();
    const { success, job } = await m.open(1, 1e12);
    const ch = success.channel_id;
    const ff = new Uint8Array(32).fill(0xff);
    m.send('UpdateChannel', { channel_id: ch, nominal_hash_rate: 1e9, maximum_target: ff });
    expect(await m.expect('SetTarget')).toEqual({
      channel_id: ch,
      maximum_target: bigIntToLeBytes(hashrateToTarget(Math.fround(1e9), 6)),
    });
    const next = await m.expect('NewMiningJob');
    expect(next.job_id).toBe(job.job_id + 1);
    expect(next.min_ntime).not.toBeNull();
    m.send('UpdateChannel', { channel_id: ch + 77, nominal_hash_rate: 1e9, maximum_target: ff });
    expect(await m.expect('UpdateChannel.Error')).toEqual({
      channel_id: ch + 77,
      error_code: 'invalid-channel-id',
    });
    m.send('UpdateChannel', { channel_id: ch, nominal_hash_rate: -5, maximum_target: ff });
    expect(await m.expect('UpdateChannel.Error')).toEqual({
      channel_id: ch,
      error_code: 'invalid-nominal-hashrate',
    });
    m.send('OpenStandardMiningChannel', {
      request_id: 9,
      user_identity: 'u',
      nominal_hash_rate: -1,
      max_target: ff,
    });
    expect(await m.expect('OpenMiningChannel.Error')).toEqual({
      request_id: 9,
      error_code: 'invalid-nominal-hashrate',
    });
  });

  it('vardiff sends an easier SetTarget when a channel finds no shares', async () => {
    const p = await pool({ initialDifficulty: undefined, targetSharesPerMinute: 60, vardiffIntervalMs: 150 });
    const m = await miner(p);
    await m.setup();
    const { success, target } = await m.open(1, 1e12);
    const set = await m.expect('SetTarget', 3000);
    expect(set.channel_id).toBe(success.channel_id);
    const easier = leBytesToBigInt(set.maximum_target);
    // No shares in the window: the estimate halves, so the target doubles (within rounding).
    expect(Number((easier * 1000n) / target) / 1000).toBeCloseTo(2, 1);
    expect((await m.expect('NewMiningJob')).min_ntime).not.toBeNull();
  });
});

describe('local pool: timers', () => {
  it('sends active jobs every jobIntervalMs and a new prev hash every blockIntervalMs', async () => {
    // The pool's timers run on a hand-driven clock: the order of job and block does not depend on
    // how busy the machine is. The wire is real.
    const clock = new FakeClock();
    const p = await pool({ jobIntervalMs: 60, blockIntervalMs: 250, clock });
    const m = await miner(p);
    await m.setup();
    const { job } = await m.open();
    clock.advance(60);
    const active = await m.expect('NewMiningJob', 2000);
    expect(active.job_id).toBe(job.job_id + 1);
    expect(active.min_ntime).not.toBeNull();
    // Three more active jobs (at 120, 180 and 240 ms), then the block at 250: a future job, then
    // SetNewPrevHash naming it.
    clock.advance(190);
    for (const _ of [120, 180, 240]) expect((await m.expect('NewMiningJob', 2000)).min_ntime).not.toBeNull();
    const msg = await m.next(2000);
    expect(msg).toMatchObject({ name: 'NewMiningJob', fields: { min_ntime: null } });
    const snph = await m.expect('SetNewPrevHash');
    expect(msg.name === 'NewMiningJob' && snph.job_id === msg.fields.job_id).toBe(true);
    expect(p.stats().height).toBeGreaterThanOrEqual(2);
  });

  it('drops a client that never sends SetupConnection', async () => {
    const p = await pool({ setupTimeoutMs: 100 });
    const m = await miner(p);
    expect(await m.closedByServer(2000)).toBe(true);
    expect(p.stats().connections).toBe(0);
  });
});
