import { describe, expect, it } from 'vitest';
import { BOARDS, boardIds } from '../../boards/registry.js';
import type { CliIo } from '../../src/cli/command.js';
import { command as boards } from '../../src/cli/commands/boards.js';

function capture(): CliIo & { outLines: string[]; errLines: string[] } {
  const outLines: string[] = [];
  const errLines: string[] = [];
  return { outLines, errLines, out: (l) => outLines.push(l), err: (l) => errLines.push(l) };
}

describe('sv2miner boards', () => {
  it('prints one row per board under a header', async () => {
    const io = capture();
    expect(await boards.run([], io)).toBe(0);
    expect(io.outLines[0]).toMatch(/^ID\s+CHIP\s+CHIPS\s+UART\s+KIND\s+DESCRIPTION$/);
    expect(io.outLines.slice(1).map((l) => l.split(/\s+/)[0])).toEqual(boardIds());
    expect(io.outLines.find((l) => l.startsWith('sim-bm1366-chain'))).toMatch(
      /BM1366\s+6\s+sim:sim-bm1366-chain\s+sim/,
    );
  });

  it('--json prints the definitions', async () => {
    const io = capture();
    expect(await boards.run(['--json'], io)).toBe(0);
    const parsed = JSON.parse(io.outLines.join('\n')) as { id: string; sim?: { simTargetShift: number } }[];
    expect(parsed.map((b) => b.id)).toEqual(boardIds());
    const first = BOARDS.get(parsed[0]?.id ?? '');
    expect(first?.simulated).toBe(true);
    expect(parsed[0]?.sim?.simTargetShift).toBe(first?.simulated === true ? first.sim.simTargetShift : -1);
  });

  it('rejects an unknown flag with exit code 2', async () => {
    const io = capture();
    expect(await boards.run(['--yaml'], io)).toBe(2);
    expect(io.errLines[0]).toContain('--yaml');
  });
});
