import { afterEach, describe, expect, it } from 'vitest';
import { SimBinding } from '../../../drivers/sim/sim-binding.js';
import { command } from '../../../src/cli/commands/probe.js';

function capture(): {
  out: string[];
  err: string[];
  io: { out: (l: string) => void; err: (l: string) => void };
} {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (l) => out.push(l), err: (l) => err.push(l) } };
}

afterEach(() => SimBinding.reset());

describe('sv2miner probe', () => {
  it('enumerates the simulated 4-chip BM1370 chain and dumps its registers', async () => {
    const c = capture();
    const code = await command.run(['--board', 'sim-bm1370-chain', '--log-level', 'silent'], c.io);
    expect(c.err).toEqual([]);
    expect(code).toBe(0);
    const report = JSON.parse(c.out.join('\n'));
    expect(report).toMatchObject({ board: 'sim-bm1370-chain', simulated: true, ok: true });
    const chain = report.chains[0];
    // 4 chips: address interval 256/4 = 64 (bm13xx.md §3).
    expect(chain).toMatchObject({
      chain: 0,
      path: 'sim:sim-bm1370-chain:0',
      chipModel: 'BM1370',
      chipCount: 4,
    });
    expect(chain.addresses).toEqual([0, 64, 128, 192]);
    expect(chain.baud).toBe(1_000_000);
    expect(chain.registers.chips).toHaveLength(4);
    for (const chip of chain.registers.chips) {
      // CHIP_ID register reads back 0x1370 (bm13xx.md §4.1).
      expect(chip.chipId).toBe(0x1370);
      expect(chip.ticketDifficulty).toBe(256);
      expect(chip.frequencyMhz).toBeCloseTo(525, 0);
      // The simulated chips lock their PLL as silicon does; ok:true next to an unlocked PLL would lie.
      expect(chip.pllLocked).toBe(true);
    }
    expect(chain.ok).toBe(true);
  });

  it('reports a config error in one line with exit 2', async () => {
    const c = capture();
    const code = await command.run(['--board', 'no-such-board'], c.io);
    expect(code).toBe(2);
    expect(c.err).toHaveLength(1);
    expect(c.err[0]).toMatch(/^--board: expected one of sim-bm1370-1, .*got "no-such-board"$/);
  });
});
