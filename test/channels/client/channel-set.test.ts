/**
 * ChannelSet: group-addressed routing, submit-or-stale, batched ack accounting into the pool
 * counters (every submitted share lands in exactly one bucket), and UpdateChannel debouncing.
 */
import { describe, expect, it } from 'vitest';
import { bigIntToLeBytes, difficultyToTarget, MAX_TARGET } from '../../../src/bitcoin/target.js';
import { ChannelSet, type SubmitMessage } from '../../../src/channels/client/channel-set.js';
import { emptyCounters } from '../../../src/channels/client/counters.js';
import { silentLog } from '../../../src/log.js';
import type { Share } from '../../../src/work/job.js';
import { FakeClock } from '../../upstream/helpers/fake-clock.js';

const success = (channel_id: number, group: number) => ({
  request_id: 1,
  channel_id,
  target: new Uint8Array(32).fill(0xff),
  extranonce_prefix: new Uint8Array(0),
  group_channel_id: group,
});
const share = (channelId: number, jobId: number, foundAt = 0): Share => ({
  pool: 'p',
  channelId,
  jobId,
  nonce: 0xdeadbeef,
  ntime: 1000,
  version: 0x20002000,
  difficulty: 2,
  foundAt,
});

function setup() {
  const clock = new FakeClock();
  const counters = emptyCounters();
  const set = new ChannelSet({ pool: 'p', counters, clock, log: silentLog, maxTarget: MAX_TARGET });
  for (const id of [1, 2])
    set
      .add(success(id, 9), 0x1fffe000, 100)
      .newMiningJob({ job_id: 5, min_ntime: null, version: 0x20000000, merkle_root: new Uint8Array(32) }, 0);
  return { clock, counters, set };
}

describe('ChannelSet', () => {
  it('routes a group-addressed SetNewPrevHash to every member channel', () => {
    const { set } = setup();
    const slots = set.route(9);
    expect(slots.map((s) => s.channel.channelId)).toEqual([1, 2]);
    for (const s of slots)
      s.channel.setNewPrevHash({ job_id: 5, prev_hash: new Uint8Array(32), min_ntime: 1, nbits: 1 }, 0);
    expect(set.route(1)[0]?.channel.activeJob?.jobId).toBe(5);
    expect(set.route(2)[0]?.channel.activeJob?.jobId).toBe(5);
    expect(set.route(42)).toEqual([]);
  });

  it('submits valid shares with per-channel sequence numbers and counts stale ones without sending', () => {
    const { set, counters } = setup();
    for (const s of set.route(9))
      s.channel.setNewPrevHash({ job_id: 5, prev_hash: new Uint8Array(32), min_ntime: 1, nbits: 1 }, 0);
    const sent: SubmitMessage['fields'][] = [];
    const send = (m: SubmitMessage) => {
      expect(m.name).toBe('SubmitSharesStandard');
      sent.push(m.fields);
    };
    expect(set.submit(share(1, 5), send)).toEqual({ kind: 'submitted', sequence: 0 });
    expect(set.submit(share(1, 5), send)).toEqual({ kind: 'submitted', sequence: 1 });
    expect(set.submit(share(2, 5), send)).toEqual({ kind: 'submitted', sequence: 0 });
    expect(set.submit(share(1, 6), send)).toEqual({ kind: 'stale', reason: 'unknown-job' });
    expect(set.submit(share(3, 5), send)).toEqual({ kind: 'stale', reason: 'unknown-channel' });
    expect(sent).toEqual([
      { channel_id: 1, sequence_number: 0, job_id: 5, nonce: 0xdeadbeef, ntime: 1000, version: 0x20002000 },
      { channel_id: 1, sequence_number: 1, job_id: 5, nonce: 0xdeadbeef, ntime: 1000, version: 0x20002000 },
      { channel_id: 2, sequence_number: 0, job_id: 5, nonce: 0xdeadbeef, ntime: 1000, version: 0x20002000 },
    ]);
    set.onError({ channel_id: 1, sequence_number: 0, error_code: 'difficulty-too-low' });
    set.onSuccess({
      channel_id: 1,
      last_sequence_number: 1,
      new_submits_accepted_count: 1,
      new_shares_sum: 2n,
    });
    set.remove(2);
    expect(counters).toMatchObject({
      submitted: 3,
      accepted: 1,
      creditedWork: 2,
      // Job target = MAX_TARGET: 0xffff / 2^48 per share, not the hash's difficulty 2.
      acceptedDifficulty: 0xffff / 2 ** 48,
      rejected: 1,
      rejectedDifficulty: 0xffff / 2 ** 48,
      stale: 2,
      unacknowledged: 1,
      ackMismatches: 0,
    });
    expect({ ...counters.rejectedByReason }).toEqual({ 'difficulty-too-low': 1 });
    expect({ ...counters.staleByReason }).toEqual({ 'unknown-job': 1, 'unknown-channel': 1 });
    expect(counters.submitted).toBe(counters.accepted + counters.rejected + counters.unacknowledged);
  });

  it('counts a share lost when its write throws, and shares written off when the ledger overflows', () => {
    const { set, counters } = setup();
    for (const s of set.route(9))
      s.channel.setNewPrevHash({ job_id: 5, prev_hash: new Uint8Array(32), min_ntime: 1, nbits: 1 }, 0);
    const inFlight = () => [...set.all()].reduce((n, s) => n + s.ledger.inFlight, 0);
    const balanced = () =>
      counters.submitted === counters.accepted + counters.rejected + counters.unacknowledged + inFlight();
    expect(
      set.submit(share(1, 5), () => {
        throw new Error('socket gone');
      }),
    ).toEqual({ kind: 'submitted', sequence: 0 });
    expect([counters.submitted, counters.unacknowledged, inFlight()]).toEqual([1, 1, 0]);
    // A pool that never answers: past 4096 in flight the oldest is written off, one per share.
    for (let i = 0; i < 4100; i++) set.submit(share(1, 5), () => {});
    expect([counters.submitted, counters.unacknowledged, inFlight()]).toEqual([4101, 5, 4096]);
    expect(balanced()).toBe(true);
    set.removeAll();
    expect([counters.unacknowledged, inFlight()]).toEqual([4101, 0]);
    expect(balanced()).toBe(true);
  });

  it('sends UpdateChannel only on > 20% drift and at most once per 60 s per channel', () => {
    const { set, clock } = setup();
    clock.advance(60_000);
    expect(set.hashrateUpdates(230)).toEqual([]); // 115 per channel: 15% drift
    const ups = set.hashrateUpdates(300);
    expect(ups.map((u) => [u.channel_id, u.nominal_hash_rate])).toEqual([
      [1, 150],
      [2, 150],
    ]);
    expect(ups[0]?.maximum_target).toEqual(new Uint8Array(32).fill(0xff));
    clock.advance(59_999);
    expect(set.hashrateUpdates(1000)).toEqual([]);
    clock.advance(1);
    expect(set.hashrateUpdates(1000)).toHaveLength(2);
  });

  it('sums accepted difficulty from the shares a batched Success settles when the pool truncates new_shares_sum', () => {
    const clock = new FakeClock();
    const counters = emptyCounters();
    const set = new ChannelSet({ pool: 'p', counters, clock, log: silentLog, maxTarget: MAX_TARGET });
    const success1 = { ...success(1, 9), target: bigIntToLeBytes(difficultyToTarget(0.25)) };
    const ch = set.add(success1, 0x1fffe000, 100);
    const prev = { prev_hash: new Uint8Array(32), min_ntime: 1, nbits: 1 };
    ch.newMiningJob({ job_id: 5, min_ntime: null, version: 0x20000000, merkle_root: new Uint8Array(32) }, 0);
    ch.setNewPrevHash({ job_id: 5, ...prev }, 0);
    // SetTarget: the active job 5 keeps 1/4, the next job 6 is credited 1/2.
    ch.setTarget(bigIntToLeBytes(difficultyToTarget(0.5)));
    ch.newMiningJob({ job_id: 6, min_ntime: 1, version: 0x20000000, merkle_root: new Uint8Array(32) }, 0);
    const send = () => {};
    // Each share's hash is far harder than its target: the credit is the target's, never the hash's.
    for (let i = 0; i < 3; i++) set.submit({ ...share(1, 5), difficulty: 1000 }, send);
    set.submit({ ...share(1, 6), difficulty: 1000 }, send);
    expect(counters.lastShareDifficulty).toBe(0.5);
    // SRI's ack of the whole batch: 4 shares, sum truncated to an integer (1.25 -> 1; < 1 -> 0).
    set.onSuccess({
      channel_id: 1,
      last_sequence_number: 3,
      new_submits_accepted_count: 4,
      new_shares_sum: 1n,
    });
    expect(counters).toMatchObject({ accepted: 4, acceptedDifficulty: 1.25, creditedWork: 1 });
    // A late Error for seq 1 moves its 1/4 from accepted to rejected.
    set.onError({ channel_id: 1, sequence_number: 1, error_code: 'stale-share' });
    expect(counters).toMatchObject({
      accepted: 3,
      acceptedDifficulty: 1,
      rejected: 1,
      rejectedDifficulty: 0.25,
    });
    set.submit({ ...share(1, 6), difficulty: 3 }, send);
    set.onSuccess({
      channel_id: 1,
      last_sequence_number: 4,
      new_submits_accepted_count: 1,
      new_shares_sum: 0n,
    });
    expect(counters).toMatchObject({ accepted: 4, acceptedDifficulty: 1.5, creditedWork: 1 });
  });

  describe('extended channels', () => {
    const extSuccess = (channel_id: number, size: number, prefix = Uint8Array.of(1, 2, 3)) => ({
      request_id: 1,
      channel_id,
      target: new Uint8Array(32).fill(0xff),
      extranonce_size: size,
      extranonce_prefix: prefix,
      group_channel_id: 0,
    });
    const extJob = {
      job_id: 5,
      min_ntime: null,
      version: 0x20000000,
      version_rolling_allowed: true,
      merkle_path: [new Uint8Array(32).fill(7)],
      coinbase_tx_prefix: Uint8Array.of(1, 1),
      coinbase_tx_suffix: Uint8Array.of(2, 2),
    };
    const prev = { job_id: 5, prev_hash: new Uint8Array(32), min_ntime: 1, nbits: 1 };

    it('sends a share of an extended channel as SubmitSharesExtended carrying exactly its extranonce', () => {
      const counters = emptyCounters();
      const set = new ChannelSet({
        pool: 'p',
        counters,
        clock: new FakeClock(),
        log: silentLog,
        maxTarget: MAX_TARGET,
      });
      const ch = set.addExtended(extSuccess(4, 2), 0x1fffe000, 100);
      ch.newExtendedMiningJob(extJob, 0);
      ch.setNewPrevHash(prev, 0);
      const sent: SubmitMessage[] = [];
      const extranonce = Uint8Array.of(0xbe, 0xef);
      expect(set.submit({ ...share(4, 5), extranonce }, (m) => sent.push(m))).toEqual({
        kind: 'submitted',
        sequence: 0,
      });
      expect(sent).toEqual([
        {
          name: 'SubmitSharesExtended',
          fields: {
            channel_id: 4,
            sequence_number: 0,
            job_id: 5,
            nonce: 0xdeadbeef,
            ntime: 1000,
            version: 0x20002000,
            extranonce: Uint8Array.of(0xbe, 0xef),
          },
        },
      ]);
      expect(counters.submitted).toBe(1);
    });

    it('never sends a share whose extranonce does not fit its channel', () => {
      const counters = emptyCounters();
      const set = new ChannelSet({
        pool: 'p',
        counters,
        clock: new FakeClock(),
        log: silentLog,
        maxTarget: MAX_TARGET,
      });
      const ext = set.addExtended(extSuccess(4, 2), 0x1fffe000, 100);
      ext.newExtendedMiningJob(extJob, 0);
      ext.setNewPrevHash(prev, 0);
      const std = set.add(success(1, 0), 0x1fffe000, 100);
      std.newMiningJob(
        { job_id: 5, min_ntime: null, version: 0x20000000, merkle_root: new Uint8Array(32) },
        0,
      );
      std.setNewPrevHash(prev, 0);
      const sent: SubmitMessage[] = [];
      const send = (m: SubmitMessage) => sent.push(m);
      expect(set.submit({ ...share(4, 5), extranonce: Uint8Array.of(1) }, send).kind).toBe('stale');
      expect(set.submit(share(4, 5), send).kind).toBe('stale');
      expect(set.submit({ ...share(1, 5), extranonce: Uint8Array.of(1, 2) }, send).kind).toBe('stale');
      expect(sent).toEqual([]);
      expect({ ...counters.staleByReason }).toEqual({ 'extranonce-mismatch': 3 });
    });

    it('refuses a channel whose prefix and extranonce_size exceed the 32-byte SV2 extranonce', () => {
      const set = new ChannelSet({
        pool: 'p',
        counters: emptyCounters(),
        clock: new FakeClock(),
        log: silentLog,
        maxTarget: MAX_TARGET,
      });
      expect(() => set.addExtended(extSuccess(4, 30, new Uint8Array(3)), 0, 100)).toThrow(
        'extranonce prefix 3 + extranonce_size 30 bytes exceeds the 32-byte SV2 extranonce',
      );
      expect(set.size).toBe(0);
    });
  });
});
