/**
 * Server-side extended channel state without a socket: SetExtranoncePrefix, SetCustomMiningJob
 * (each refusal code, and shares judged against the coinbase the custom job described),
 * extranonce allocation bounds, group membership.
 */
import { concatBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { HeaderHasher } from '../../../src/bitcoin/header.js';
import { merkleRootFromPath } from '../../../src/bitcoin/merkle.js';
import { sha256d } from '../../../src/bitcoin/sha256d.js';
import { leBytesToBigInt, MAX_TARGET } from '../../../src/bitcoin/target.js';
import { ExtendedServerChannel } from '../../../src/channels/server/extended.js';
import { ExtranonceAllocator } from '../../../src/channels/server/extranonce.js';
import { GroupChannel } from '../../../src/channels/server/group.js';
import { JobSource } from '../../../src/pool-server/job-source.js';
import type { MessageFields } from '../../../src/sv2/messages/registry.js';

const NOW = 1_700_000_000;

function channel(allocator: ExtranonceAllocator, size: number): ExtendedServerChannel {
  const templates = new JobSource({ nowSec: () => NOW, extranonceSpace: allocator.space });
  const allocation = allocator.extended(size);
  if (!allocation.ok) throw new Error(allocation.detail);
  return new ExtendedServerChannel({
    channelId: 3,
    groupChannelId: 2,
    userIdentity: 'p',
    extranoncePrefix: allocation.prefix,
    extranonceSize: allocation.extranonceSize,
    extranonceSpace: allocator.space,
    target: MAX_TARGET,
    maxTarget: MAX_TARGET,
    nominalHashRate: 1,
    versionMask: 0x1fffe000,
    shareBatchSize: 1,
    ntimeLeewaySec: 60,
    vardiff: undefined,
    nextTemplate: () => templates.template(),
  });
}

const tip = { height: 5, prevHash: new Uint8Array(32).fill(3), nbits: 0x207fffff, minNtime: NOW };
const share = (job_id: number, sequence_number: number, extranonce: Uint8Array) => ({
  job_id,
  sequence_number,
  nonce: sequence_number,
  ntime: NOW,
  version: 0x20000000,
  extranonce,
});

describe('ExtendedServerChannel', () => {
  it('SetExtranoncePrefix announces a same-length prefix; jobs from before and after it stay valid', () => {
    const allocator = new ExtranonceAllocator(16);
    const ch = channel(allocator, 4);
    ch.onNewTip(tip);
    const fresh = allocator.prefix(12);
    expect(ch.setExtranoncePrefix(fresh)).toEqual({
      name: 'SetExtranoncePrefix',
      fields: { channel_id: 3, extranonce_prefix: fresh },
    });
    expect(ch.extranoncePrefix).toEqual(fresh);
    ch.newActiveJob(NOW);
    // MAX_TARGET: every header meets it, so both jobs accept and only their bookkeeping differs.
    expect(ch.submit(share(1, 1, new Uint8Array(4)), NOW)).toMatchObject({ kind: 'accepted' });
    expect(ch.submit(share(2, 2, new Uint8Array(4)), NOW)).toMatchObject({ kind: 'accepted' });
    expect(() => ch.setExtranoncePrefix(new Uint8Array(11))).toThrow(
      'new extranonce prefix needs 12 bytes, got 11',
    );
  });

  it('a channel whose prefix and size do not fill the space cannot be built', () => {
    const allocator = new ExtranonceAllocator(16);
    expect(
      () =>
        new ExtendedServerChannel({
          ...({} as ConstructorParameters<typeof ExtendedServerChannel>[0]),
          extranoncePrefix: allocator.prefix(8),
          extranonceSize: 4,
          extranonceSpace: 16,
        }),
    ).toThrow("extranonce prefix (8) + size (4) must fill the pool's 16 bytes");
  });
});

describe('ExtranonceAllocator', () => {
  it('gives exactly the asked size, unique 8-byte heads, and refuses beyond space - 8', () => {
    const a = new ExtranonceAllocator(32);
    const heads = new Set<string>();
    for (const size of [0, 4, 6, 24]) {
      const r = a.extended(size);
      if (!r.ok) throw new Error(r.detail);
      expect(r.prefix.length + r.extranonceSize).toBe(32);
      expect(r.extranonceSize).toBe(size);
      heads.add(Buffer.from(r.prefix.subarray(0, 8)).toString('hex'));
    }
    heads.add(Buffer.from(a.standard()).toString('hex'));
    expect(heads.size).toBe(5);
    expect(a.extended(25)).toEqual({
      ok: false,
      code: 'min-extranonce-size-too-large',
      detail: 'asked for 25 extranonce bytes, this pool gives at most 24',
    });
    expect(() => new ExtranonceAllocator(33)).toThrow('extranonce space must be 8..32 bytes, got 33');
  });
});

describe('GroupChannel', () => {
  it('lists its members in SetGroupChannel', () => {
    const g = new GroupChannel(7);
    g.add(12);
    g.add(9);
    g.remove(12);
    g.add(10);
    expect(g.setGroupChannel()).toEqual({
      name: 'SetGroupChannel',
      fields: { group_channel_id: 7, channel_ids: [9, 10] },
    });
  });
});

describe('ExtendedServerChannel: SetCustomMiningJob', () => {
  const allocator = new ExtranonceAllocator(16);
  const u32 = (v: number) => {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v >>> 0, true);
    return b;
  };
  // 1 output of 1000 sat to OP_TRUE, serialised by hand: count, value u64 LE, script length, script.
  const outputs = Uint8Array.of(1, 0xe8, 0x03, 0, 0, 0, 0, 0, 0, 1, 0x51);
  const prefix = Uint8Array.of(0x55, 0x2f, 0x6a, 0x64, 0x2f); // OP_5 (height 5) then "/jd/"
  const custom = (over: Partial<Fields> = {}): Fields => ({
    channel_id: 3,
    request_id: 8,
    mining_job_token: Uint8Array.of(7),
    version: 0x20000000,
    prev_hash: tip.prevHash,
    min_ntime: NOW,
    nbits: tip.nbits,
    coinbase_tx_version: 2,
    coinbase_prefix: prefix,
    coinbase_tx_input_nSequence: 0xfffffffe,
    coinbase_tx_outputs: outputs,
    coinbase_tx_locktime: 0,
    merkle_path: [sha256d(Uint8Array.of(1))],
    ...over,
  });
  const token = (t: Uint8Array) => t.length === 1 && t[0] === 7;

  it.each([
    [{ mining_job_token: Uint8Array.of(6) }, 'invalid-mining-job-token'],
    [{ prev_hash: new Uint8Array(32) }, 'stale-chain-tip'],
    [{ nbits: 0x1d00ffff }, 'invalid-nbits'],
    [{ min_ntime: NOW - 1 }, 'invalid-min-ntime'],
    [{ coinbase_prefix: Uint8Array.of(0x56) }, 'invalid-coinbase-prefix'],
    [{ coinbase_prefix: new Uint8Array(0) }, 'invalid-coinbase-prefix'],
    [{ coinbase_tx_outputs: Uint8Array.of(2, 0) }, 'invalid-coinbase-tx-outputs'],
    [{ coinbase_tx_outputs: Uint8Array.of(0) }, 'invalid-coinbase-tx-outputs'],
  ])('refuses %j with %s', (over, code) => {
    const ch = channel(allocator, 4);
    ch.onNewTip(tip);
    const r = ch.setCustomMiningJob(custom(over), token);
    expect(r).toMatchObject({
      ok: false,
      code,
      reply: { name: 'SetCustomMiningJob.Error', fields: { channel_id: 3, request_id: 8, error_code: code } },
    });
  });

  it('an accepted custom job validates shares against the coinbase it described', () => {
    const ch = channel(allocator, 4);
    ch.target = MAX_TARGET >> 8n; // about one header in 256 meets it
    ch.onNewTip(tip);
    const r = ch.setCustomMiningJob(custom(), token);
    if (!r.ok) throw new Error(r.detail);
    expect(r.reply).toEqual({
      name: 'SetCustomMiningJob.Success',
      fields: { channel_id: 3, request_id: 8, job_id: r.jobId },
    });
    // The coinbase as the downstream builds it, by hand: the channel's prefix + extranonce after `prefix`.
    const extranonce = Uint8Array.of(0xca, 0xfe, 0xba, 0xbe);
    const script = concatBytes(prefix, ch.extranoncePrefix, extranonce);
    const coinbase = concatBytes(
      u32(2),
      Uint8Array.of(1),
      new Uint8Array(32),
      u32(0xffffffff),
      Uint8Array.of(script.length),
      script,
      u32(0xfffffffe),
      outputs,
      u32(0),
    );
    const root = merkleRootFromPath(sha256d(coinbase), [sha256d(Uint8Array.of(1))]);
    const hasher = new HeaderHasher();
    const header = { prevHash: tip.prevHash, merkleRoot: root, ntime: NOW, nbits: tip.nbits };
    const meets = (n: number) => leBytesToBigInt(hasher.hash(header, 0x20000000, n)) <= ch.target;
    let good = 0;
    while (!meets(good)) good++;
    let bad = 0;
    while (meets(bad)) bad++;
    const submit = (nonce: number, seq: number) =>
      ch.submit({ ...share(r.jobId, seq, extranonce), nonce }, NOW);
    expect(submit(bad, 1)).toMatchObject({ kind: 'rejected', code: 'difficulty-too-low' });
    expect(submit(good, 2)).toMatchObject({ kind: 'accepted' });
    // A new prev hash retires the custom job with the pool's own.
    ch.onNewTip({ ...tip, height: 6, prevHash: new Uint8Array(32).fill(4) });
    expect(submit(good, 3)).toMatchObject({ kind: 'rejected', code: 'stale-share' });
  });
});

type Fields = MessageFields<'SetCustomMiningJob'>;
