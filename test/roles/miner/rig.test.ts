import { afterEach, describe, expect, it } from 'vitest';
import { boardById } from '../../../boards/registry.js';
import type { BoardDefinition } from '../../../boards/types.js';
import { SimBinding } from '../../../drivers/sim/sim-binding.js';
import { boardChainOpener } from '../../../src/roles/miner/compose-board.js';
import { Rig } from '../../../src/roles/miner/rig.js';
import { systemClock } from '../../../src/time/clock.js';
import { simConfig } from '../../helpers/sim-rig.js';

const hex = boardById('sim-bm1366-chain');

const config = (board: string) => simConfig({ board, stateDir: '/tmp/sv2miner-test-state-rig' });

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
  SimBinding.reset();
});

const opener = (board: BoardDefinition) => boardChainOpener({ board, clock: systemClock });

describe('Rig on simulated boards', () => {
  it('marks a chain that fails bring-up as failed and mines with the rest', async () => {
    const board: BoardDefinition = {
      ...hex,
      chains: [
        { uartPath: 'sim:rig-ok', chipCount: 2 },
        { uartPath: 'sim:rig-bad', chipCount: 2 },
      ],
    };
    rig = await Rig.build({
      config: config('sim-bm1366-chain'),
      board,
      onShare: () => {},
      openChain: opener(board),
    });
    // Chain 1's board promises 2 chips but the simulated hardware has only 1 (position 1 missing).
    SimBinding.createChain('sim:rig-bad:1', {
      model: 'BM1366',
      chipCount: 2,
      faults: { 1: { missing: true } },
    });
    expect(await rig.start()).toBe(1);
    expect(rig.chains.map((c) => c.state)).toEqual(['mining', 'failed']);
    expect(rig.chains[1]?.error).toMatch(/expected 2 BM1366 chips, 1 answered/);
  });

  it('resets the simulated chips through the reset line on close (power-on addresses)', async () => {
    const board = boardById('sim-bm1370-chain');
    rig = await Rig.build({
      config: config('sim-bm1370-chain'),
      board,
      onShare: () => {},
      openChain: opener(board),
    });
    expect(await rig.start()).toBe(1);
    const sim = rig.chains[0]?.io.sim;
    // Addressed at interval 256/4 = 64 during bring-up (bm13xx.md §3).
    expect(sim?.chips.map((c) => c.address)).toEqual([0, 64, 128, 192]);
    await rig.close();
    expect(sim?.chips.map((c) => c.address)).toEqual([0, 0, 0, 0]);
    expect(rig.chains[0]?.state).toBe('stopped');
    rig = undefined;
  });
});
