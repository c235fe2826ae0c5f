import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BestDifficulty } from '../../src/work/best-difficulty.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sv2miner-best-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('BestDifficulty', () => {
  it('starts from zero without a file and persists a new all-time best', async () => {
    const path = join(dir, 'state', 'best.json');
    const best = await BestDifficulty.load(path);
    expect(best.state).toEqual({ session: 0, allTime: 0 });
    expect(best.record(29588.01)).toBe(true);
    expect(best.record(18.04)).toBe(false);
    await best.save();
    expect(JSON.parse(await readFile(path, 'utf8'))).toMatchObject({ bestAllTime: 29588.01 });
    expect(best.state).toEqual({ session: 29588.01, allTime: 29588.01 });
  });

  it('keeps the all-time best across sessions while the session best restarts', async () => {
    const path = join(dir, 'best.json');
    const first = await BestDifficulty.load(path);
    first.record(683.51);
    await first.save();
    const second = await BestDifficulty.load(path);
    expect(second.state).toEqual({ session: 0, allTime: 683.51 });
    expect(second.record(18)).toBe(false);
    expect(second.state).toEqual({ session: 18, allTime: 683.51 });
  });

  it('starts from zero on a corrupt file instead of failing', async () => {
    const path = join(dir, 'best.json');
    await writeFile(path, '{not json');
    expect((await BestDifficulty.load(path)).state.allTime).toBe(0);
    await writeFile(path, '{"bestAllTime":"big"}');
    expect((await BestDifficulty.load(path)).state.allTime).toBe(0);
  });
});
