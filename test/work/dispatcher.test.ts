import { describe, expect, it } from 'vitest';
import { leBytesToBigInt } from '../../src/bitcoin/target.js';
import { hexToBytes } from '../../src/bytes/hex.js';
import { Dispatcher, type DispatcherOptions } from '../../src/work/dispatcher.js';
import type { Share, StandardJob } from '../../src/work/job.js';
import { type SriShareCase, sriShareCases } from '../helpers/vectors.js';
import { FakeChain, ManualClock } from './helpers/fakes.js';

const [, tooLow, valid] = sriShareCases() as [SriShareCase, SriShareCase, SriShareCase];

/** The SRI "valid share" job: nonce 244405 on its first work item gives hash 0000762e... */
function sriJob(overrides: Partial<StandardJob> = {}): StandardJob {
  return {
    pool: 'pool-a',
    channelId: 1,
    jobId: 10,
    version: valid.version,
    versionMask: 0x1fffe000,
    prevHash: hexToBytes(valid.prev_hash_wire),
    merkleRoot: hexToBytes(valid.merkle_root_wire),
    ntime: valid.ntime,
    maxNtime: valid.ntime + 600,
    nbits: valid.nbits,
    target: leBytesToBigInt(hexToBytes(valid.channel_target_wire_le)),
    clean: true,
    ...overrides,
  };
}

function setup(chains: FakeChain[], extra: Partial<DispatcherOptions> = {}) {
  const clock = new ManualClock();
  const shares: Share[] = [];
  const chipNonces: number[] = [];
  const dispatcher = new Dispatcher({
    chains,
    clock,
    onShare: (share) => shares.push(share),
    onChipNonce: (e) => chipNonces.push(e.weight),
    // The valid SRI hash has 17 leading zero bits: a chip target of D = 1 widened by 2^16 admits it.
    simTargetShift: 16,
    ...extra,
  });
  return { clock, shares, chipNonces, dispatcher };
}

function firstWork(chain: FakeChain, i = 0) {
  const sent = chain.sent[i];
  if (sent === undefined) throw new Error(`chain ${chain.index} has no work #${i}`);
  return sent.work;
}

describe('Dispatcher: job distribution', () => {
  it('flushes every chain at once on a clean job, before any send completes', async () => {
    const chains = [new FakeChain(0), new FakeChain(1), new FakeChain(2)];
    for (const c of chains) c.sendBehaviour = 'hold';
    const { dispatcher } = setup(chains);
    const done = dispatcher.setJob(sriJob());
    expect(chains.map((c) => c.sent.map((s) => s.clean))).toEqual([[true], [true], [true]]);
    for (const c of chains) c.releaseHeld();
    await done;
    dispatcher.stop();
  });

  it('gives chains disjoint work and the first chain the job exactly as sent', async () => {
    const chains = [new FakeChain(0), new FakeChain(1)];
    const { dispatcher } = setup(chains);
    const job = sriJob();
    await dispatcher.setJob(job);
    const [a, b] = [firstWork(chains[0] as FakeChain), firstWork(chains[1] as FakeChain)];
    expect(a).toMatchObject({
      version: job.version,
      ntime: job.ntime,
      versionMask: 0x1fffe000,
      nbits: job.nbits,
    });
    expect(a.prevHash).toEqual(job.prevHash);
    // BM1370 rolls the whole BIP320 mask itself, so the second chain moves to the next ntime.
    expect(b).toMatchObject({ version: job.version, ntime: job.ntime + 1 });
    expect(a.workId).not.toBe(b.workId);
    dispatcher.stop();
  });

  it('splits version bits per chain when a clean job has fewer work items than chains (maxNtime == ntime)', async () => {
    // BM1370: the chips roll all of BIP320 0x1fffe000, the pool allows no ntime rolling yet, so
    // the job is one work item; four chains must still get distinct work at once.
    const chains = [0, 1, 2, 3].map((i) => new FakeChain(i, { nominalHashrate: 2 ** 48 / 100 }));
    for (const c of chains) c.sendBehaviour = 'hold';
    const { clock, dispatcher } = setup(chains);
    const job = sriJob({ maxNtime: valid.ntime });
    const done = dispatcher.setJob(job);
    // All four issued before any send completed.
    expect(chains.map((c) => c.sent.length)).toEqual([1, 1, 1, 1]);
    for (const c of chains) c.releaseHeld();
    await done;
    const works = chains.map((c) => firstWork(c));
    expect(works.every((w) => w.ntime === valid.ntime)).toBe(true);
    // Bits 13 and 14 are fixed per chain (0..3); the chips roll bits 15..28.
    expect(works.map((w) => w.versionMask)).toEqual([0x1fff8000, 0x1fff8000, 0x1fff8000, 0x1fff8000]);
    expect(works.map((w) => ((w.version ^ job.version) >>> 13) & 3)).toEqual([0, 1, 2, 3]);
    // Distinct: no two chains can hash the same header (fixed bits differ), and nothing outside
    // the job's mask moved, either in the version sent or in what the chips may roll.
    expect(new Set(works.map((w) => (w.version & ~w.versionMask) >>> 0)).size).toBe(4);
    for (const w of works) {
      expect((w.version ^ job.version) & ~job.versionMask).toBe(0);
      expect(w.versionMask & ~job.versionMask).toBe(0);
    }
    expect(dispatcher.stats().exhaustedJobs).toBe(0);
    // As the ntime bound grows each chain refreshes inside its own lane: still no overlap.
    clock.advance(200_000);
    const all = chains.flatMap((c, i) =>
      c.sent.map((x) => ({
        chain: i,
        ntime: x.work.ntime,
        fixed: (x.work.version & ~x.work.versionMask) >>> 0,
      })),
    );
    expect(all.length).toBeGreaterThan(8);
    expect(new Set(all.map((w) => `${w.ntime}:${w.fixed}`)).size).toBe(all.length);
    for (const w of all) expect(((w.fixed ^ job.version) >>> 13) & 3).toBe(w.chain);
    expect(Math.max(...all.map((w) => w.ntime))).toBeLessThanOrEqual(valid.ntime + 200);
    dispatcher.stop();
  });

  it('keeps the chips on the whole mask when the job has work items for every chain', async () => {
    const chains = [0, 1, 2, 3].map((i) => new FakeChain(i));
    const { dispatcher } = setup(chains);
    await dispatcher.setJob(sriJob({ maxNtime: valid.ntime + 3 }));
    expect(chains.map((c) => [firstWork(c).versionMask, firstWork(c).ntime - valid.ntime])).toEqual([
      [0x1fffe000, 0],
      [0x1fffe000, 1],
      [0x1fffe000, 2],
      [0x1fffe000, 3],
    ]);
    dispatcher.stop();
  });

  it('sends a non-clean job without flushing', async () => {
    const chain = new FakeChain(0);
    const { dispatcher } = setup([chain]);
    await dispatcher.setJob(sriJob());
    await dispatcher.setJob(sriJob({ jobId: 11, clean: false }));
    expect(chain.sent.map((s) => s.clean)).toEqual([true, false]);
    dispatcher.stop();
  });

  it('skips a chain that is not initialised', async () => {
    const ready = new FakeChain(0);
    const cold = new FakeChain(1, null);
    const { dispatcher } = setup([ready, cold]);
    await dispatcher.setJob(sriJob());
    expect(ready.sent).toHaveLength(1);
    expect(cold.sent).toHaveLength(0);
    dispatcher.stop();
  });

  it('counts a failed send and keeps going', async () => {
    const bad = new FakeChain(0);
    bad.sendBehaviour = new Error('port gone');
    const good = new FakeChain(1);
    const { dispatcher } = setup([bad, good]);
    await dispatcher.setJob(sriJob());
    expect(dispatcher.stats()).toMatchObject({ sendErrors: 1, workSent: 2 });
    expect(good.sent).toHaveLength(1);
    dispatcher.stop();
  });
});

describe('Dispatcher: keeping chips busy', () => {
  it('refreshes at half the exhaustion time: 2^16 versions x 2^32 nonces at 2^48/100 H/s = 100 s', async () => {
    const chain = new FakeChain(0, { nominalHashrate: 2 ** 48 / 100 });
    const { clock, dispatcher } = setup([chain]);
    await dispatcher.setJob(sriJob());
    clock.advance(49_999);
    expect(chain.sent).toHaveLength(1);
    clock.advance(1);
    expect(chain.sent).toHaveLength(2);
    expect(chain.sent[1]).toMatchObject({
      clean: false,
      work: { ntime: valid.ntime + 1, version: valid.version },
    });
    clock.advance(50_000);
    expect(chain.sent.map((s) => s.work.ntime)).toEqual([valid.ntime, valid.ntime + 1, valid.ntime + 2]);
    dispatcher.stop();
    expect(clock.pending()).toBe(0);
  });

  it('never rolls ntime past maxNtime plus the seconds since the job began, and waits instead of idling', async () => {
    const chains = [
      new FakeChain(0, { nominalHashrate: 2 ** 48 }),
      new FakeChain(1, { nominalHashrate: 2 ** 48 }),
    ];
    const { clock, dispatcher } = setup(chains);
    await dispatcher.setJob(sriJob({ maxNtime: valid.ntime + 2 }));
    const sentNtimes = (): number[] => chains.flatMap((c) => c.sent.map((s) => s.work.ntime)).sort();
    // Within the first second the bound is maxNtime itself: the space runs out and the job waits.
    clock.advance(900);
    expect([...new Set(sentNtimes())]).toEqual([valid.ntime, valid.ntime + 1, valid.ntime + 2]);
    expect(dispatcher.stats().exhaustedJobs).toBe(1);
    // Each further second opens one more ntime (sv2.md §6.6), never more.
    clock.advance(10_000);
    const ntimes = sentNtimes();
    expect(Math.max(...ntimes)).toBeGreaterThan(valid.ntime + 2);
    expect(Math.max(...ntimes)).toBeLessThanOrEqual(valid.ntime + 2 + 10);
    expect(new Set(chains.flatMap((c) => c.sent.map((s) => `${s.work.ntime}:${s.work.version}`))).size).toBe(
      ntimes.length,
    );
    dispatcher.stop();
    expect(clock.pending()).toBe(0);
  });

  it('steps the version inside the mask for a chain that cannot roll, before touching ntime', async () => {
    const chain = new FakeChain(0, { chipModel: 'CPU', nominalHashrate: 2 ** 32 });
    const { clock, dispatcher } = setup([chain]);
    await dispatcher.setJob(sriJob({ versionMask: 0x00006000 }));
    clock.advance(10_000);
    const works = chain.sent.map((s) => s.work);
    expect(works.every((w) => w.versionMask === 0)).toBe(true);
    expect(works.slice(0, 5).map((w) => [w.version.toString(16), w.ntime - valid.ntime])).toEqual([
      ['20000000', 0],
      ['20002000', 0],
      ['20004000', 0],
      ['20006000', 0],
      ['20000000', 1],
    ]);
    dispatcher.stop();
  });

  it('steps BM1397 work by four midstates over the mask', async () => {
    const chain = new FakeChain(0, { chipModel: 'BM1397', nominalHashrate: 2 ** 34 });
    const { clock, dispatcher } = setup([chain]);
    await dispatcher.setJob(sriJob());
    clock.advance(3_000);
    const works = chain.sent.map((s) => s.work);
    expect(works[0]?.versionMask).toBe(0x1fffe000);
    expect(works.slice(0, 3).map((w) => w.version.toString(16))).toEqual([
      '20000000',
      '20008000',
      '20010000',
    ]);
    dispatcher.stop();
  });

  it('lets a BM1370 roll bits 13..28 and steps the rest of a BIP323 mask on the host', async () => {
    const chain = new FakeChain(0, { nominalHashrate: 2 ** 48 });
    const { clock, dispatcher } = setup([chain]);
    await dispatcher.setJob(sriJob({ versionMask: 0x1fffffe0 }));
    clock.advance(3_000);
    const works = chain.sent.map((s) => s.work);
    expect(works.every((w) => w.versionMask === 0x1fffe000 && w.ntime === valid.ntime)).toBe(true);
    expect(works.slice(0, 3).map((w) => w.version.toString(16))).toEqual([
      '20000000',
      '20000020',
      '20000040',
    ]);
    dispatcher.stop();
  });

  it('sends nothing more for a replaced job', async () => {
    const chain = new FakeChain(0, { nominalHashrate: 2 ** 48 });
    const { clock, dispatcher } = setup([chain]);
    await dispatcher.setJob(sriJob());
    await dispatcher.setJob(sriJob({ jobId: 11, clean: true }));
    clock.advance(700);
    expect(chain.sent.filter((s) => s.clean)).toHaveLength(2);
    expect(chain.sent.slice(2).every((s) => s.work.ntime >= valid.ntime)).toBe(true);
    expect(chain.sent).toHaveLength(3);
    dispatcher.stop();
  });
});

describe('Dispatcher: nonces', () => {
  it('turns the SRI valid nonce into a share with the job ids, weighting hashrate by 2^-16', async () => {
    const chain = new FakeChain(0);
    const { dispatcher, shares, chipNonces } = setup([chain]);
    await dispatcher.setJob(sriJob());
    chain.emit(firstWork(chain), valid.nonce);
    expect(shares).toEqual([
      {
        pool: 'pool-a',
        channelId: 1,
        jobId: 10,
        nonce: valid.nonce,
        ntime: valid.ntime,
        version: valid.version,
        difficulty: expect.any(Number),
        foundAt: 77,
      },
    ]);
    expect(chipNonces).toEqual([2 ** -16]);
    chain.emit(firstWork(chain), valid.nonce);
    expect(shares).toHaveLength(1);
    expect(dispatcher.stats()).toMatchObject({ shares: 1, duplicates: 1, chipNonces: 2, belowTarget: 0 });
    dispatcher.stop();
  });

  it('counts a valid chip nonce that misses the share target as below target, not as a share', async () => {
    const chain = new FakeChain(0);
    const { dispatcher, shares, chipNonces } = setup([chain]);
    await dispatcher.setJob(sriJob({ target: 1n }));
    chain.emit(firstWork(chain), valid.nonce);
    expect(shares).toEqual([]);
    expect(chipNonces).toHaveLength(1);
    expect(dispatcher.stats()).toMatchObject({ chipNonces: 1, belowTarget: 1, shares: 0, duplicates: 0 });
    dispatcher.stop();
  });

  it('reports a nonce above the chip target to the chain as a hardware error', async () => {
    const chain = new FakeChain(0);
    const { dispatcher, shares } = setup([chain]);
    await dispatcher.setJob(sriJob());
    chain.emit(firstWork(chain), tooLow.nonce, undefined, 3);
    expect(chain.hwErrors).toEqual([3]);
    expect(shares).toEqual([]);
    expect(dispatcher.stats().hwErrors).toBe(1);
    dispatcher.stop();
  });

  it('counts a nonce for work replaced by a clean job as stale and never submits it', async () => {
    const chain = new FakeChain(0);
    const { dispatcher, shares } = setup([chain]);
    await dispatcher.setJob(sriJob());
    const old = firstWork(chain);
    await dispatcher.setJob(sriJob({ jobId: 11, clean: true }));
    chain.emit(old, valid.nonce);
    expect(shares).toEqual([]);
    expect(dispatcher.stats()).toMatchObject({ stale: 1, hwErrors: 0 });
    dispatcher.stop();
  });

  it('still submits a late nonce for a job replaced without a new prev hash', async () => {
    const chain = new FakeChain(0);
    const { dispatcher, shares } = setup([chain]);
    await dispatcher.setJob(sriJob());
    const old = firstWork(chain);
    await dispatcher.setJob(sriJob({ jobId: 11, clean: false }));
    chain.emit(old, valid.nonce);
    expect(shares.map((s) => s.jobId)).toEqual([10]);
    dispatcher.stop();
  });

  it('counts a nonce for work it has forgotten as stale', async () => {
    const chain = new FakeChain(0, { nominalHashrate: 2 ** 48 });
    const { clock, dispatcher, shares } = setup([chain], { maxTrackedWork: 2 });
    await dispatcher.setJob(sriJob());
    clock.advance(2_000);
    expect(chain.sent.length).toBeGreaterThan(2);
    chain.emit(firstWork(chain), valid.nonce);
    expect(shares).toEqual([]);
    expect(dispatcher.stats().stale).toBe(1);
    dispatcher.stop();
  });
});

describe('Dispatcher: chains held out of dispatch (flatline recovery)', () => {
  it('a held chain gets no work, not even refreshes; resumed, it takes the next work item of the job, clean', async () => {
    const chains = [
      new FakeChain(0, { nominalHashrate: 2 ** 48 / 10 }),
      new FakeChain(1, { nominalHashrate: 2 ** 48 / 10 }),
    ];
    const { clock, dispatcher } = setup(chains);
    const [a, b] = chains as [FakeChain, FakeChain];
    dispatcher.holdChain(1);
    expect(dispatcher.hasWork(1)).toBe(false);
    await dispatcher.setJob(sriJob());
    expect(dispatcher.hasWork(0)).toBe(true);
    expect(b.sent).toHaveLength(0);
    clock.advance(60_000);
    expect(b.sent).toHaveLength(0);
    expect(a.sent.length).toBeGreaterThan(1);
    await dispatcher.resumeChain(1);
    expect(dispatcher.hasWork(1)).toBe(true);
    expect(b.sent.map((s) => s.clean)).toEqual([true]);
    // Its own slot of the job, not a repeat of chain 0's.
    const taken = new Set(a.sent.map((s) => `${s.work.ntime}:${s.work.version}`));
    expect(taken.has(`${firstWork(b).ntime}:${firstWork(b).version}`)).toBe(false);
    dispatcher.stop();
    expect(dispatcher.hasWork(0)).toBe(false);
  });

  it('a chain resumed into a job split into lanes without it waits for the next job', async () => {
    const chains = [0, 1, 2].map((i) => new FakeChain(i));
    const { dispatcher } = setup(chains);
    dispatcher.holdChain(2);
    await dispatcher.setJob(sriJob({ maxNtime: valid.ntime })); // one work item: lanes for chains 0 and 1
    await dispatcher.resumeChain(2);
    expect(chains[2]?.sent).toHaveLength(0);
    expect(dispatcher.hasWork(2)).toBe(false);
    await dispatcher.setJob(sriJob({ jobId: 11, maxNtime: valid.ntime }));
    expect(chains[2]?.sent).toHaveLength(1);
    expect(dispatcher.hasWork(2)).toBe(true);
    dispatcher.stop();
  });
});
