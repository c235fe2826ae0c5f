/**
 * Extended channels on the local pool, over real loopback TCP + Noise: extranonce negotiation and
 * its refusal, NewExtendedMiningJob carrying a real coinbase split (BIP34 height, subsidy output,
 * witness commitment) and merkle path, shares found by rebuilding the coinbase exactly as an SV2
 * proxy does, and each SubmitShares.Error code an extended share can earn.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { bip34Height, blockSubsidy, findWitnessCommitment } from '../../src/bitcoin/coinbase.js';
import { HeaderHasher } from '../../src/bitcoin/header.js';
import { merkleRootFromPath } from '../../src/bitcoin/merkle.js';
import { sha256d } from '../../src/bitcoin/sha256d.js';
import { bigIntToLeBytes, leBytesToBigInt } from '../../src/bitcoin/target.js';
import { isCoinbase, parseTransaction } from '../../src/bitcoin/transaction.js';
import { hashrateToTarget } from '../../src/channels/server/vardiff.js';
import { DEFAULT_PAYOUT_SCRIPT } from '../../src/pool-server/job-source.js';
import { cleanupTestPools, miner, pool } from './fixture.js';
import type { Fields, TestMiner } from './miner.js';

afterEach(cleanupTestPools);

interface Opened {
  readonly success: Fields<'OpenExtendedMiningChannel.Success'>;
  readonly job: Fields<'NewExtendedMiningJob'>;
  readonly prev: Fields<'SetNewPrevHash'>;
}

async function openExtended(m: TestMiner, minExtranonceSize: number, requestId = 1): Promise<Opened> {
  m.send('OpenExtendedMiningChannel', {
    request_id: requestId,
    user_identity: 'proxy.worker',
    nominal_hash_rate: 1e9,
    max_target: new Uint8Array(32).fill(0xff),
    min_extranonce_size: minExtranonceSize,
  });
  const success = await m.expect('OpenExtendedMiningChannel.Success');
  const job = await m.expect('NewExtendedMiningJob');
  const prev = await m.expect('SetNewPrevHash');
  return { success, job, prev };
}

function coinbaseOf(o: Opened, extranonce: Uint8Array, prefix = o.success.extranonce_prefix): Uint8Array {
  const out = new Uint8Array(
    o.job.coinbase_tx_prefix.length + prefix.length + extranonce.length + o.job.coinbase_tx_suffix.length,
  );
  out.set(o.job.coinbase_tx_prefix);
  out.set(prefix, o.job.coinbase_tx_prefix.length);
  out.set(extranonce, o.job.coinbase_tx_prefix.length + prefix.length);
  out.set(o.job.coinbase_tx_suffix, out.length - o.job.coinbase_tx_suffix.length);
  return out;
}

/**
 * The first nonce for which each listed extranonce's header meets (true) or misses (false) the
 * channel target.
 */
function searchWhere(o: Opened, wanted: ReadonlyArray<readonly [Uint8Array, boolean]>): number {
  const target = leBytesToBigInt(o.success.target);
  const templates = wanted.map(([extranonce, meets]) => {
    const root = merkleRootFromPath(sha256d(coinbaseOf(o, extranonce)), o.job.merkle_path);
    return {
      meets,
      t: { prevHash: o.prev.prev_hash, merkleRoot: root, ntime: o.prev.min_ntime, nbits: o.prev.nbits },
    };
  });
  const hashers = templates.map(() => new HeaderHasher());
  for (let nonce = 0; nonce < 2 ** 32; nonce++) {
    const all = templates.every(
      ({ meets, t }, i) =>
        leBytesToBigInt((hashers[i] as HeaderHasher).hash(t, o.job.version, nonce)) <= target === meets,
    );
    if (all) return nonce;
  }
  throw new Error('nonce space exhausted');
}

function search(o: Opened, extranonce: Uint8Array): number {
  return searchWhere(o, [[extranonce, true]]);
}

function share(
  o: Opened,
  sequence: number,
  nonce: number,
  extranonce: Uint8Array,
): Fields<'SubmitSharesExtended'> {
  return {
    channel_id: o.success.channel_id,
    sequence_number: sequence,
    job_id: o.job.job_id,
    nonce,
    ntime: o.prev.min_ntime,
    version: o.job.version,
    extranonce,
  };
}

describe('local pool: extended channels', () => {
  it('gives the asked extranonce_size in a 32-byte space, a unique prefix, and a group id', async () => {
    const p = await pool();
    const m = await miner(p);
    await m.setup();
    const a = await openExtended(m, 6, 1);
    const b = await openExtended(m, 4, 2);
    expect(a.success).toMatchObject({ request_id: 1, extranonce_size: 6 });
    expect(a.success.extranonce_prefix).toHaveLength(26);
    expect(b.success.extranonce_size).toBe(4);
    expect(b.success.extranonce_prefix).toHaveLength(28);
    expect(Buffer.from(a.success.extranonce_prefix.subarray(0, 4)).toString()).toBe('sv2m');
    expect(Buffer.from(a.success.extranonce_prefix.subarray(0, 8))).not.toEqual(
      Buffer.from(b.success.extranonce_prefix.subarray(0, 8)),
    );
    expect(a.success.group_channel_id).toBe(b.success.group_channel_id);
    expect(a.success.group_channel_id).not.toBe(a.success.channel_id);
    expect(a.job).toMatchObject({
      channel_id: a.success.channel_id,
      min_ntime: null,
      version_rolling_allowed: true,
    });
    expect(a.prev).toMatchObject({ channel_id: a.success.channel_id, job_id: a.job.job_id });
  });

  it('refuses a min_extranonce_size beyond the pool space with min-extranonce-size-too-large', async () => {
    const p = await pool();
    const m = await miner(p);
    await m.setup();
    m.send('OpenExtendedMiningChannel', {
      request_id: 9,
      user_identity: 'proxy',
      nominal_hash_rate: 1e9,
      max_target: new Uint8Array(32).fill(0xff),
      min_extranonce_size: 25,
    });
    expect(await m.expect('OpenMiningChannel.Error')).toEqual({
      request_id: 9,
      error_code: 'min-extranonce-size-too-large',
    });
    const largest = await openExtended(m, 24, 10);
    expect(largest.success.extranonce_prefix).toHaveLength(8);
  });

  it('sends a real coinbase: BIP34 height, the subsidy to the payout script, a witness commitment', async () => {
    const p = await pool();
    const m = await miner(p);
    await m.setup();
    const o = await openExtended(m, 8);
    const tx = parseTransaction(coinbaseOf(o, new Uint8Array(8).fill(0xab)));
    expect(isCoinbase(tx)).toBe(true);
    expect(bip34Height(tx.inputs[0]?.scriptSig ?? new Uint8Array(0))).toBe(p.tip().height);
    expect(tx.outputs[0]?.value).toBe(blockSubsidy(p.tip().height));
    expect(Buffer.from(tx.outputs[0]?.scriptPubKey ?? [])).toEqual(Buffer.from(DEFAULT_PAYOUT_SCRIPT));
    expect(findWitnessCommitment(tx)).toHaveLength(32);
    expect(o.job.merkle_path).toHaveLength(2);
    // A new job on the same tip has another coinbase, and so another merkle root.
    p.newJobs();
    const next = await m.expect('NewExtendedMiningJob');
    expect(next.min_ntime).not.toBeNull();
    expect(Buffer.from(next.coinbase_tx_prefix)).not.toEqual(Buffer.from(o.job.coinbase_tx_prefix));
  });

  it('accepts a share built from prefix ‖ extranonce_prefix ‖ extranonce ‖ suffix', async () => {
    const p = await pool();
    const m = await miner(p);
    await m.setup();
    const o = await openExtended(m, 8);
    const extranonce = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
    m.send('SubmitSharesExtended', share(o, 1, search(o, extranonce), extranonce));
    expect(await m.expect('SubmitShares.Success')).toMatchObject({
      channel_id: o.success.channel_id,
      last_sequence_number: 1,
      new_submits_accepted_count: 1,
    });
    // The same header again is a duplicate.
    m.send('SubmitSharesExtended', share(o, 2, search(o, extranonce), extranonce));
    expect(await m.expect('SubmitShares.Error')).toMatchObject({
      sequence_number: 2,
      error_code: 'duplicate-share',
    });
    expect(p.stats().sharesAccepted).toBe(1);
  });

  it('answers each bad extended share with its SV2 error code', async () => {
    const p = await pool();
    const m = await miner(p);
    await m.setup();
    const o = await openExtended(m, 8);
    const good = Uint8Array.of(9, 9, 9, 9, 9, 9, 9, 9);
    const other = Uint8Array.of(9, 9, 9, 9, 9, 9, 9, 8);
    // Meets the target with `good` in the coinbase, misses it with `other`: submitted with
    // `other`, the pool must rebuild the coinbase from what was submitted and reject it.
    const nonce = searchWhere(o, [
      [good, true],
      [other, false],
    ]);
    m.send('SubmitSharesExtended', share(o, 1, nonce, other));
    expect(await m.expect('SubmitShares.Error')).toMatchObject({
      sequence_number: 1,
      error_code: 'difficulty-too-low',
    });

    m.send('SubmitSharesExtended', share(o, 2, 0, new Uint8Array(7)));
    expect(await m.expect('SubmitShares.Error')).toMatchObject({
      sequence_number: 2,
      error_code: 'bad-extranonce-size',
    });

    m.send('SubmitSharesExtended', { ...share(o, 3, 0, good), job_id: 999 });
    expect(await m.expect('SubmitShares.Error')).toMatchObject({
      sequence_number: 3,
      error_code: 'invalid-job-id',
    });

    m.send('SubmitSharesExtended', { ...share(o, 4, 0, good), version: o.job.version | 0x1 });
    expect(await m.expect('SubmitShares.Error')).toMatchObject({
      sequence_number: 4,
      error_code: 'invalid-non-rollable-version-bit',
    });

    m.send('SubmitSharesStandard', { ...share(o, 5, 0, good) });
    expect(await m.expect('SubmitShares.Error')).toMatchObject({
      sequence_number: 5,
      error_code: 'invalid-channel-id',
    });

    p.newBlock();
    await m.expect('NewExtendedMiningJob');
    await m.expect('SetNewPrevHash');
    m.send('SubmitSharesExtended', share(o, 6, search(o, good), good));
    expect(await m.expect('SubmitShares.Error')).toMatchObject({
      sequence_number: 6,
      error_code: 'stale-share',
    });
    expect(p.stats().sharesRejected).toMatchObject({
      'difficulty-too-low': 1,
      'bad-extranonce-size': 1,
      'invalid-job-id': 1,
      'invalid-non-rollable-version-bit': 1,
      'invalid-channel-id': 1,
      'stale-share': 1,
    });
  });

  it('UpdateChannel on an extended channel: SetTarget, then an extended job carrying the new target', async () => {
    const p = await pool({ initialDifficulty: undefined });
    const m = await miner(p);
    await m.setup();
    const o = await openExtended(m, 8);
    expect(leBytesToBigInt(o.success.target)).toBe(hashrateToTarget(Math.fround(1e9), 6));
    m.send('UpdateChannel', {
      channel_id: o.success.channel_id,
      nominal_hash_rate: 4e9,
      maximum_target: new Uint8Array(32).fill(0xff),
    });
    expect(await m.expect('SetTarget')).toEqual({
      channel_id: o.success.channel_id,
      maximum_target: bigIntToLeBytes(hashrateToTarget(Math.fround(4e9), 6)),
    });
    const next = await m.expect('NewExtendedMiningJob');
    expect(next).toMatchObject({ channel_id: o.success.channel_id, job_id: o.job.job_id + 1 });
    expect(next.min_ntime).not.toBeNull();
  });

  it('refuses SetCustomMiningJob: no job declarator issued a token', async () => {
    const p = await pool();
    const m = await miner(p);
    await m.setup();
    const o = await openExtended(m, 8);
    m.send('SetCustomMiningJob', {
      channel_id: o.success.channel_id,
      request_id: 3,
      mining_job_token: Uint8Array.of(1),
      version: o.job.version,
      prev_hash: o.prev.prev_hash,
      min_ntime: o.prev.min_ntime,
      nbits: o.prev.nbits,
      coinbase_tx_version: 2,
      coinbase_prefix: Uint8Array.of(0x51),
      coinbase_tx_input_nSequence: 0xffffffff,
      coinbase_tx_outputs: new Uint8Array(0),
      coinbase_tx_locktime: 0,
      merkle_path: [],
    });
    expect(await m.expect('SetCustomMiningJob.Error')).toEqual({
      channel_id: o.success.channel_id,
      request_id: 3,
      error_code: 'invalid-mining-job-token',
    });
  });
});
