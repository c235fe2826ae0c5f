/**
 * `sv2miner sim-board` argument handling: board lookup, overrides, fault JSON validation, and
 * usage errors (exit 2). Serving itself is covered by sim-pty.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { chainFromArgs, command } from '../../../src/cli/commands/sim-board.js';

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out, err };
}

describe('sim-board command', () => {
  it('prints help', async () => {
    const t = io();
    expect(await command.run(['--help'], t.io)).toBe(0);
    expect(t.out.join('\n')).toMatch(/--pty/);
  });

  it('insists on --pty and on a chip', async () => {
    const a = io();
    expect(await command.run(['--model', 'BM1370'], a.io)).toBe(2);
    expect(a.err.join('')).toMatch(/--pty is required/);
    const b = io();
    expect(await command.run(['--pty'], b.io)).toBe(2);
    expect(b.err.join('')).toMatch(/--board <id> or --model/);
    const c = io();
    expect(await command.run(['--pty', '--model', 'BM9999'], c.io)).toBe(2);
  });

  it('takes model, count and sim parameters from a board, with overrides', () => {
    expect(chainFromArgs({ board: 'sim-bm1370-1' })).toMatchObject({ model: 'BM1370', chipCount: 1 });
    expect(chainFromArgs({ board: 'sim-bm1370-1', chips: '3', hashrate: '1000', shift: '12' })).toEqual({
      model: 'BM1370',
      chipCount: 3,
      hashrate: 1000,
      simTargetShift: 12,
    });
    expect(() => chainFromArgs({ board: 'no-such-board' })).toThrow(/one of/);
  });

  it('validates fault JSON', () => {
    expect(chainFromArgs({ model: 'BM1366', chips: '3', faults: '{"1":{"silent":true}}' }).faults).toEqual({
      1: { silent: true },
    });
    expect(() => chainFromArgs({ model: 'BM1366', faults: '{"1":{"loud":true}}' })).toThrow(/--faults/);
    expect(() => chainFromArgs({ model: 'BM1366', faults: '{"x":{}}' })).toThrow(/--faults/);
  });
});
