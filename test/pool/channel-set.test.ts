/**
 * ChannelSet: group-addressed routing, submit-or-stale, batched ack accounting into the pool
 * counters (every submitted share lands in exactly one bucket), and UpdateChannel debouncing.
 */
import { describe, expect, it } from 'vitest';
import { bigIntToLeBytes, difficultyToTarget, MAX_TARGET } from '../../src/bitcoin/target.js';
import { silentLog } from '../../src/log.js';
import { ChannelSet } from '../../src/pool/channel-set.js';
import { emptyCounters } from '../../src/pool/counters.js';
import type { MessageFields } from '../../src/sv2/messages/registry.js';
import type { Share } from '../../src/work/job.js';
import { FakeClock } from './helpers/fake-clock.js';

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
  set.add(success(1, 9), 0x1fffe000, 100);
  set.add(success(2, 9), 0x1fffe000, 100);
  for (const id of [1, 2]) {
    const slot = set.route(id)[0];
    slot?.channel.newMiningJob(
      { job_id: 5, min_ntime: null, version: 0x20000000, merkle_root: new Uint8Array(32) },
      0,
    );
  }
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
    const sent: MessageFields<'SubmitSharesStandard'>[] = [];
    const send = (f: MessageFields<'SubmitSharesStandard'>) => sent.push(f);
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
});
