/**
 * A job flood during chip bring-up (issue 12): jobs the pool client delivers while the chains
 * initialise must not reach the work pipeline (they are remembered, the newest wins), start-up must
 * succeed, and once the chains are up a burst of jobs costs one dispatch in flight plus the newest,
 * not one queued chip write per job. A clean job skipped in a burst still flushes the chips.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { boardById } from '../../../boards/registry.js';
import { MAX_TARGET } from '../../../src/bitcoin/target.js';
import { minerParts } from '../../../src/roles/miner/compose.js';
import { Miner } from '../../../src/roles/miner/miner.js';
import type { Job, Share } from '../../../src/work/job.js';
import { simConfig, stopMiner } from '../../helpers/sim-rig.js';
import { waitFor } from '../../helpers/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'sv2miner-job-flood-'));

const job = (jobId: number, clean: boolean): Job => ({
  pool: 'flood',
  channelId: 1,
  jobId,
  version: 0x20000000,
  versionMask: 0x1fffe000,
  prevHash: Uint8Array.from({ length: 32 }, (_, i) => (i + jobId) & 0xff),
  merkleRoot: Uint8Array.from({ length: 32 }, (_, i) => (i * 7 + jobId) & 0xff),
  ntime: 1_700_000_000,
  maxNtime: 1_700_000_000,
  nbits: 0x1d00ffff,
  // Every chip nonce is a share: the shares say which job the chips are hashing.
  target: MAX_TARGET,
  clean,
});

/** The daemon with the pool client's job path driven by hand. */
class FloodedMiner extends Miner {
  readonly shares: Share[] = [];
  jobsDuringBringUp = 0;
  /** The first job the pipeline saw, and how many chains were mining then. */
  firstDispatch: { jobId: number; miningChains: number } | undefined;
  private next = 1;
  private stopFlood: (() => void) | undefined;

  deliver(count: number, clean: (i: number) => boolean): number {
    for (let i = 0; i < count; i++) this.onJob(job(this.next + i, clean(i)));
    this.next += count;
    return this.next - 1;
  }

  dispatched(): number {
    return this.rig?.dispatcher.stats().jobs ?? 0;
  }

  protected override async startRig(): Promise<void> {
    // The flood runs for the whole bring-up: a burst of 200 jobs every turn of the event loop.
    const flood = setInterval(() => {
      this.jobsDuringBringUp += 200;
      this.deliver(200, (i) => i % 50 === 0);
    }, 0);
    this.stopFlood = () => clearInterval(flood);
    try {
      await super.startRig();
    } finally {
      this.stopFlood();
    }
  }

  protected override dispatch(job: Job): Promise<void> {
    if (this.firstDispatch === undefined) {
      // The flood ends with the first job the pipeline takes: everything before it was bring-up.
      this.stopFlood?.();
      this.firstDispatch = { jobId: job.jobId, miningChains: this.rig?.miningChains() ?? 0 };
    }
    return super.dispatch(job);
  }

  protected override onShare(share: Share): void {
    this.shares.push(share);
  }
}

let miner: FloodedMiner | undefined;
afterAll(async () => {
  await stopMiner(miner);
  rmSync(dir, { recursive: true, force: true });
});

describe('a job flood during chip bring-up', () => {
  it('starts, hands the chips only the newest job, and coalesces bursts after start', async () => {
    const config = simConfig({ board: 'sim-bm1370-1', stateDir: join(dir, 'state') });
    const options = {
      // An unreachable pool: the jobs come from the flood, not from an embedded pool.
      config: { ...config, pools: [{ url: 'stratum2+tcp://127.0.0.1:9', user: 'x', insecure: true }] },
      board: boardById('sim-bm1370-1'),
      configDir: dir,
    };
    miner = new FloodedMiner(options, minerParts(options));
    const m = miner;
    await m.start();
    await m.ready;
    expect(m.jobsDuringBringUp).toBeGreaterThan(0);
    // None of the bring-up jobs reached the pipeline before the chains were up; the newest did, once.
    const newest = m.jobsDuringBringUp;
    expect(m.firstDispatch).toEqual({ jobId: newest, miningChains: 1 });
    expect(m.dispatched()).toBe(1);
    await waitFor(() => m.shares.some((s) => s.jobId === newest), 10_000);

    // After start: 1000 jobs in one burst, the first clean, the rest not.
    const before = m.dispatched();
    const last = m.deliver(1000, (i) => i === 0);
    await waitFor(() => m.shares.some((s) => s.jobId === last), 10_000);
    expect(m.dispatched() - before).toBeLessThanOrEqual(2);
    // The skipped clean job's flush came with the newest: nothing older is hashed any more.
    const firstLast = m.shares.findIndex((s) => s.jobId === last);
    expect(m.shares.slice(firstLast).every((s) => s.jobId === last)).toBe(true);
  }, 30_000);
});
