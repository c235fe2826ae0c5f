/**
 * Interop 2 (issue 8, SRI half): SRI's client side (sri-peer miner: noise_sv2 initiator with the
 * authority key, channels_sv2 client standard channel) against sv2miner's local pool
 * (startLocalPool). SRI verifies our certificate (sv2.md §3.5), takes our jobs and prev hash, and
 * our pool judges the shares SRI found. A wrong authority key must fail SRI's certificate check.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalPool, startLocalPool } from '../../src/pool-server/local-pool.js';
import { type PeerLine, runSriMiner, sriPeer } from './helpers/sri-peer.js';

const peer = sriPeer();

/** The spec's §4.7.1 example key: valid, but not the key of the pool under test. */
const OTHER_AUTHORITY = '9bXiEd8boQVhq7WddEcERUL5tyyJVFYdU8th3HfbNXK3Yw6GRXh';

function one(lines: readonly PeerLine[], event: string): PeerLine {
  const found = lines.filter((l) => l.event === event);
  expect(found, `exactly one ${event} line`).toHaveLength(1);
  const [line] = found;
  if (line === undefined) throw new Error(`no ${event} line`);
  return line;
}

describe.skipIf(peer.bin === '')("SRI's miner against sv2miner's local pool", () => {
  let pool: LocalPool;
  beforeAll(async () => {
    pool = await startLocalPool({
      port: 0,
      // Easy enough for SRI's single-threaded CPU search: ~2^20 hashes per share.
      initialDifficulty: 2 ** -12,
      jobIntervalMs: 0,
      blockIntervalMs: 0,
      vardiffIntervalMs: 0,
      shareBatchSize: 1,
    });
  });
  afterAll(async () => {
    await pool?.close();
  });

  it('handshake (SRI verifies our certificate), channel, job + prev hash, 3 shares accepted, a bad one rejected', async () => {
    const { code, proc } = await runSriMiner(peer.bin, [
      '--connect',
      `${pool.host}:${pool.port}`,
      '--authority-pubkey',
      pool.authorityPublicKey,
      '--shares',
      '3',
      '--bad-share',
      '--user',
      'sri-peer.interop',
      '--timeout-sec',
      '90',
    ]);
    const lines = proc.lines;
    expect(code, proc.dump()).toBe(0);
    expect(one(lines, 'handshake')['ok']).toBe(true);
    const setup = one(lines, 'setup');
    expect(setup).toMatchObject({ ok: true, used_version: 2 });
    const channel = one(lines, 'channel');
    // SRI's client channel took our job and prev hash without complaint.
    const jobs = lines.filter((l) => l.event === 'job');
    const prevs = lines.filter((l) => l.event === 'prevhash');
    expect(jobs.length).toBeGreaterThan(0);
    expect(prevs.length).toBeGreaterThan(0);
    for (const l of [...jobs, ...prevs]) expect(l['sri_error'], JSON.stringify(l)).toBe('');
    expect(jobs[0]).toMatchObject({ channel_id: channel['channel_id'], future: true });
    expect(prevs[0]).toMatchObject({ channel_id: channel['channel_id'], job_id: jobs[0]?.['job_id'] });
    // No share SRI found was refused by SRI's own client-side check.
    expect(lines.filter((l) => l.event === 'local_reject')).toEqual([]);

    const submits = lines.filter((l) => l.event === 'submit');
    expect(submits.map((s) => [s['sequence_number'], s['bad']])).toEqual([
      [0, false],
      [1, false],
      [2, false],
      [3, true],
    ]);
    const errors = lines.filter((l) => l.event === 'error');
    expect(errors.map((e) => [e['sequence_number'], e['error_code']])).toEqual([[3, 'difficulty-too-low']]);
    const acked = lines
      .filter((l) => l.event === 'success')
      .reduce((n, l) => n + Number(l['new_submits_accepted_count']), 0);
    expect(acked).toBe(3);
    expect(one(lines, 'done')).toMatchObject({ submitted: 4, accepted: 3, rejected: 1 });

    // Our pool's counters say the same.
    const stats = pool.stats();
    expect(stats.sharesAccepted).toBe(3);
    expect(stats.sharesRejected).toEqual({ 'difficulty-too-low': 1 });
  });

  it("fails SRI's certificate check when SRI is given another authority key", async () => {
    const before = pool.stats().sharesAccepted;
    const { code, proc } = await runSriMiner(peer.bin, [
      '--connect',
      `${pool.host}:${pool.port}`,
      '--authority-pubkey',
      OTHER_AUTHORITY,
      '--shares',
      '1',
      '--timeout-sec',
      '20',
    ]);
    expect(code).toBe(2);
    const fatal = one(proc.lines, 'fatal');
    expect(fatal['stage']).toBe('handshake');
    expect(String(fatal['message'])).toMatch(/act 2 rejected/);
    expect(proc.lines.some((l) => l.event === 'setup')).toBe(false);
    expect(pool.stats().sharesAccepted).toBe(before);
  });
});
