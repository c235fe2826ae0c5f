import { afterEach, describe, expect, it, vi } from 'vitest';
import { boardById } from '../../boards/registry.js';
import type { BoardDefinition } from '../../boards/types.js';
import { tappedLink } from '../../drivers/transport/tapped-link.js';
import type { NonceResult } from '../../drivers/types.js';
import { type RejectResult, ShareLedger } from '../../src/channels/client/share-ledger.js';
import { StandardChannel } from '../../src/channels/client/standard.js';
import { composeMiner } from '../../src/roles/miner/compose.js';
import type { Miner } from '../../src/roles/miner/miner.js';
import { PoolClient } from '../../src/upstream/client.js';
import { Dispatcher } from '../../src/work/dispatcher.js';
import type { Job, Share } from '../../src/work/job.js';
import { isJobFrame, simConfig, stopMiner } from '../helpers/sim-rig.js';
import { until } from '../helpers/wait.js';

// Two chains of two BM1366s each, so "every chain" and "every chip" both mean more than one. BM1366
// chips stamp their address into the nonce (bm13xx.md §2.3), so each nonce names its chip; the
// BM1370 does not (§12.7).
const base = boardById('sim-bm1366-chain');
const twoChains: BoardDefinition = {
  ...base,
  chains: [
    { uartPath: 'sim:e2e-a', chipCount: 2 },
    { uartPath: 'sim:e2e-b', chipCount: 2 },
  ],
};

/** Job frame prev hash -> header order: the frame carries the 8 words in reverse order (bm13xx.md §7.1). */
function framePrevHash(frame: Uint8Array): string {
  const words = frame.subarray(50, 82);
  const out = new Uint8Array(32);
  for (let w = 0; w < 8; w++) out.set(words.subarray((7 - w) * 4, (7 - w) * 4 + 4), w * 4);
  return Buffer.from(out).toString('hex');
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

let miner: Miner | undefined;
afterEach(async () => {
  await stopMiner(miner);
  miner = undefined;
  vi.restoreAllMocks();
});

describe('a new prev hash from the pool', () => {
  it('reaches every chip of every chain, and no share for the old prev hash is submitted after it', async () => {
    // Every job the pipeline saw (by pool job id) and every share handed to the client.
    const jobs = new Map<number, Job>();
    const setJob = Dispatcher.prototype.setJob;
    vi.spyOn(Dispatcher.prototype, 'setJob').mockImplementation(function (this: Dispatcher, job: Job) {
      jobs.set(job.jobId, job);
      return setJob.call(this, job);
    });
    const submitted: { share: Share; at: number; kind: string; sequence: number | undefined }[] = [];
    const submit = PoolClient.prototype.submit;
    vi.spyOn(PoolClient.prototype, 'submit').mockImplementation(function (this: PoolClient, share: Share) {
      const outcome = submit.call(this, share);
      const sequence = outcome.kind === 'submitted' ? outcome.sequence : undefined;
      submitted.push({ share, at: performance.now(), kind: outcome.kind, sequence });
      return outcome;
    });
    // When each channel of the client learned of a prev hash, and every SubmitShares.Error it matched.
    const prevSeen: { prevHash: string; at: number }[] = [];
    const setNewPrevHash = StandardChannel.prototype.setNewPrevHash;
    vi.spyOn(StandardChannel.prototype, 'setNewPrevHash').mockImplementation(function (
      this: StandardChannel,
      ...args: Parameters<StandardChannel['setNewPrevHash']>
    ) {
      prevSeen.push({ prevHash: hex(args[0].prev_hash), at: performance.now() });
      return setNewPrevHash.apply(this, args);
    });
    const rejections: RejectResult[] = [];
    const reject = ShareLedger.prototype.reject;
    vi.spyOn(ShareLedger.prototype, 'reject').mockImplementation(function (this: ShareLedger, seq: number) {
      const result = reject.call(this, seq);
      rejections.push(result);
      return result;
    });
    const jobFrames: { chain: number; prevHash: string }[] = [];
    miner = composeMiner({
      config: simConfig({
        board: 'sim-bm1366-chain',
        // Shares come often, so the waits for one before and after the new block are short.
        sharesPerMinute: 600,
        stateDir: '/tmp/sv2miner-test-state-e2e',
      }),
      board: twoChains,
      wrapLink: (link, chain) =>
        tappedLink(link, (bytes) => {
          if (isJobFrame(bytes)) jobFrames.push({ chain, prevHash: framePrevHash(bytes) });
        }),
    });
    await miner.start();
    await miner.ready;
    const pool = miner.localPool;
    const rig = miner.currentRig;
    if (pool === undefined || rig === undefined) throw new Error('demo parts missing');
    const nonces: NonceResult[] = [];
    for (const c of rig.chains) c.chain.onNonce((r) => nonces.push(r));
    expect(await until(() => (pool.stats().sharesAccepted ?? 0) >= 1, 15_000)).toBe(true);

    const oldPrev = hex(pool.tip().prevHash);
    const tip = pool.newBlock();
    const newPrev = hex(tip.prevHash);
    expect(newPrev).not.toBe(oldPrev);
    // Every chain gets a job frame carrying the new prev hash...
    expect(
      await until(
        () => [0, 1].every((c) => jobFrames.some((f) => f.chain === c && f.prevHash === newPrev)),
        5_000,
      ),
    ).toBe(true);
    // ...and every chip of every chain returns nonces for it (chip index from the nonce's address bits).
    const chipsOnNew = () =>
      new Set(nonces.filter((n) => hex(n.work.prevHash) === newPrev).map((n) => `${n.chain}:${n.chipIndex}`));
    expect(await until(() => chipsOnNew().size === 4, 20_000)).toBe(true);
    expect([...chipsOnNew()].sort()).toEqual(['0:0', '0:1', '1:0', '1:1']);
    // Shares keep being accepted on the new block.
    const acceptedBefore = pool.stats().sharesAccepted;
    expect(await until(() => pool.stats().sharesAccepted > acceptedBefore, 15_000)).toBe(true);

    // Once the client knew the new prev hash (every channel of it), no share for an older job went
    // out: such shares are counted stale locally instead.
    const knownAt = Math.max(...prevSeen.filter((p) => p.prevHash === newPrev).map((p) => p.at));
    const late = submitted.filter((s) => s.at > knownAt && s.kind === 'submitted');
    expect(late.length).toBeGreaterThan(0);
    for (const s of late) expect(hex(jobs.get(s.share.jobId)?.prevHash ?? new Uint8Array())).toBe(newPrev);
    // The pool may reject as stale only a share that crossed its SetNewPrevHash on the wire: one the
    // client sent for the old block before it had read the new prev hash. Nothing else is rejected.
    const rejected = pool.stats().sharesRejected;
    expect(Object.keys(rejected).filter((reason) => reason !== 'stale-share')).toEqual([]);
    expect(rejections.length).toBe(rejected['stale-share'] ?? 0);
    for (const r of rejections) {
      if (r.kind === 'unknown') throw new Error('the pool rejected a sequence number the client never sent');
      const sent = submitted.find((s) => s.sequence === r.share.seq && s.share.jobId === r.share.jobId);
      expect(sent).toBeDefined();
      expect(sent?.at ?? Number.POSITIVE_INFINITY).toBeLessThan(knownAt);
      expect(hex(jobs.get(r.share.jobId)?.prevHash ?? new Uint8Array())).toBe(oldPrev);
    }
    expect(rig.dispatcher.stats().hwErrors).toBe(0);
  }, 60_000);
});
