/**
 * Server-side extended channel state without a socket: SetExtranoncePrefix applies to jobs sent
 * after it while earlier jobs keep their prefix; extranonce allocation bounds; group membership.
 */
import { describe, expect, it } from 'vitest';
import { MAX_TARGET } from '../../../src/bitcoin/target.js';
import { ExtendedServerChannel } from '../../../src/channels/server/extended.js';
import { ExtranonceAllocator } from '../../../src/channels/server/extranonce.js';
import { GroupChannel } from '../../../src/channels/server/group.js';
import { JobSource } from '../../../src/pool-server/job-source.js';

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
