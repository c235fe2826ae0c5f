import { afterEach, describe, expect, it } from 'vitest';
import { boardById } from '../../boards/registry.js';
import { readRegister } from '../../drivers/bm13xx/commands.js';
import { Miner } from '../../src/daemon/miner.js';
import { simConfig, stopMiner } from '../helpers/sim-rig.js';
import { until } from '../helpers/wait.js';

// The broadcast read of every chip's total nonce counter (bm13xx.md §4.1 0x8C).
const COUNTER_READ = Buffer.from(readRegister('all', 0x8c)).toString('hex');

let miner: Miner | undefined;
afterEach(async () => {
  await stopMiner(miner);
  miner = undefined;
});

function minerOn(boardId: string, reads: number[]): Miner {
  return new Miner({
    config: simConfig({ board: boardId, stateDir: '/tmp/sv2miner-test-state-counters' }),
    board: boardById(boardId),
    onLinkWrite: (chain, bytes) => {
      if (Buffer.from(bytes).toString('hex') === COUNTER_READ) reads.push(chain);
    },
  });
}

describe('per-chip hashrate from the chips nonce counters', () => {
  it('a 4-chip BM1370 chain (nonces do not name their chip) gets a rate for every chip that matches the hashes it did', async () => {
    const reads: number[] = [];
    miner = minerOn('sim-bm1370-chain', reads);
    await miner.start();
    await miner.ready;
    const m = miner;
    const allChipsRated = () => {
      const chips = m.snapshot().chips;
      return chips.length === 4 && chips.every((c) => c.hashrate.h1m > 0);
    };
    expect(await until(allChipsRated, 15_000)).toBe(true);
    await new Promise((r) => setTimeout(r, 3_000));
    const rig = m.currentRig;
    const sim = rig?.chains[0]?.io.sim;
    if (rig === undefined || sim === undefined) throw new Error('simulated rig missing');
    const s = m.snapshot();
    // The tracker divides recorded work by the time since it started (the windows are not full yet).
    const spanS = (performance.now() - rig.hashrate.startedAt) / 1000;
    expect(reads.length).toBeGreaterThanOrEqual(3);
    const chipSum = s.chips.reduce((sum, c) => sum + c.hashrate.h1m, 0);
    for (const c of s.chips) {
      // What the counters credited each chip against the hashes that simulated chip really did:
      // short by up to the last read interval, over only by counting noise (one count per 2^8
      // hashes: about +-4 % here); a double count would read 2.
      const credited = c.hashrate.h1m * spanS;
      const done = sim.chips[c.index]?.hashesDone ?? 0;
      expect(done).toBeGreaterThan(0);
      expect(credited / done).toBeGreaterThan(0.5);
      expect(credited / done).toBeLessThan(1.25);
      // The simulated chips hash at equal rates.
      expect(c.hashrate.h1m / chipSum).toBeGreaterThan(0.15);
      expect(c.hashrate.h1m / chipSum).toBeLessThan(0.35);
    }
  }, 40_000);

  it('a single-chip board and a BM1366 chain (nonces name the chip) send no counter reads', async () => {
    for (const id of ['sim-bm1370-1', 'sim-bm1366-chain']) {
      const reads: number[] = [];
      miner = minerOn(id, reads);
      await miner.start();
      await miner.ready;
      await new Promise((r) => setTimeout(r, 2_500));
      expect(reads).toEqual([]);
      await stopMiner(miner);
      miner = undefined;
    }
  }, 40_000);
});
