import { afterEach, describe, expect, it } from 'vitest';
import { boardById } from '../../../boards/registry.js';
import { readRegister } from '../../../drivers/bm13xx/commands.js';
import { tappedLink } from '../../../drivers/transport/tapped-link.js';
import { composeMiner } from '../../../src/roles/miner/compose.js';
import type { Miner } from '../../../src/roles/miner/miner.js';
import { COUNTER_READ_MS } from '../../../src/roles/miner/rig.js';
import { simConfig, stopMiner } from '../../helpers/sim-rig.js';
import { until } from '../../helpers/wait.js';

// The broadcast read of every chip's total nonce counter (bm13xx.md §4.1 0x8C).
const COUNTER_READ = Buffer.from(readRegister('all', 0x8c)).toString('hex');

let miner: Miner | undefined;
/** Miners a test runs side by side; stopped before the simulated chips are forgotten. */
const others: Miner[] = [];
afterEach(async () => {
  await Promise.all(others.splice(0).map((m) => m.stop()));
  await stopMiner(miner);
  miner = undefined;
});

function minerOn(boardId: string, reads: number[], onRead: () => void = () => {}): Miner {
  return composeMiner({
    config: simConfig({ board: boardId, stateDir: '/tmp/sv2miner-test-state-counters' }),
    board: boardById(boardId),
    wrapLink: (link, chain) =>
      tappedLink(link, (bytes) => {
        if (Buffer.from(bytes).toString('hex') !== COUNTER_READ) return;
        reads.push(chain);
        onRead();
      }),
  });
}

describe('per-chip hashrate from the chips nonce counters', () => {
  it('a 4-chip BM1370 chain (nonces do not name their chip) gets a rate for every chip that matches the hashes it did', async () => {
    const reads: number[] = [];
    // What each simulated chip had hashed when each counter read went out. Reads are sequential
    // (the next goes out once every answer of the last is in), so by the time of the latest
    // read's write, everything up to the previous write has been read back and credited.
    const doneAtRead: number[][] = [];
    miner = minerOn('sim-bm1370-chain', reads, () => {
      const sim = miner?.currentRig?.chains[0]?.io.sim;
      if (sim !== undefined) doneAtRead.push(sim.chips.map((chip) => chip.hashesDone));
    });
    await miner.start();
    await miner.ready;
    const m = miner;
    const allChipsRated = () => {
      const chips = m.snapshot().chips;
      return chips.length === 4 && chips.every((c) => c.hashrate.h1m > 0);
    };
    expect(await until(allChipsRated, 15_000)).toBe(true);
    // A few more reads, so counting noise is small against what was credited.
    const readsSoFar = reads.length;
    expect(await until(() => reads.length >= readsSoFar + 2, 15_000)).toBe(true);
    const rig = m.currentRig;
    const sim = rig?.chains[0]?.io.sim;
    if (rig === undefined || sim === undefined) throw new Error('simulated rig missing');
    const s = m.snapshot();
    // The tracker divides recorded work by the time since it started (the windows are not full yet).
    const spanS = (performance.now() - rig.hashrate.startedAt) / 1000;
    const surelyCredited = doneAtRead.at(-2) ?? [];
    const chipSum = s.chips.reduce((sum, c) => sum + c.hashrate.h1m, 0);
    for (const c of s.chips) {
      // What the counters credited each chip against the hashes that simulated chip really did:
      // at least what it had done by the previous read (whatever the machine's load did to the
      // read intervals), at most what it has done by now, give or take counting noise (one count
      // per 2^8 hashes: about +-4 % here); a double count would read 2.
      const credited = c.hashrate.h1m * spanS;
      const done = sim.chips[c.index]?.hashesDone ?? 0;
      const doneByPreviousRead = surelyCredited[c.index] ?? 0;
      expect(doneByPreviousRead).toBeGreaterThan(0);
      expect(credited / doneByPreviousRead).toBeGreaterThan(0.5);
      expect(credited / done).toBeLessThan(1.25);
      // The simulated chips hash at equal rates.
      expect(c.hashrate.h1m / chipSum).toBeGreaterThan(0.15);
      expect(c.hashrate.h1m / chipSum).toBeLessThan(0.35);
    }
  }, 40_000);

  it('a single-chip board and a BM1366 chain (nonces name the chip) send no counter reads', async () => {
    // Both boards side by side (their simulated chains live at different paths): each mines, nonces
    // coming back, for two counter-read periods after it was ready, without a single read.
    const boards = ['sim-bm1370-1', 'sim-bm1366-chain'].map((id) => {
      const reads: number[] = [];
      return { reads, miner: minerOn(id, reads) };
    });
    others.push(...boards.map((b) => b.miner));
    await Promise.all(
      boards.map(async ({ miner: m }) => {
        await m.start();
        await m.ready;
        const readyAt = performance.now();
        const mining = () => m.snapshot().nonces > 0 && performance.now() - readyAt > 2 * COUNTER_READ_MS;
        expect(await until(mining, 15_000)).toBe(true);
      }),
    );
    for (const b of boards) expect(b.reads).toEqual([]);
  }, 40_000);
});
