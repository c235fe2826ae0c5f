/**
 * Test pools and miners with automatic cleanup: easy fixed difficulty (2^-20, about one share per
 * 4096 hashes) and no timers unless a test asks; `undefined` in the options removes a default.
 */
import { type LocalPool, type LocalPoolOptions, startLocalPool } from '../../src/pool-server/local-pool.js';
import { TestMiner } from './miner.js';

export const EASY = 2 ** -20;
const pools: LocalPool[] = [];
const miners: TestMiner[] = [];

export async function cleanupTestPools(): Promise<void> {
  for (const m of miners.splice(0)) m.noise.close();
  for (const p of pools.splice(0)) await p.close();
}

export async function pool(
  options: { [K in keyof LocalPoolOptions]?: LocalPoolOptions[K] | undefined } = {},
): Promise<LocalPool> {
  const merged = {
    initialDifficulty: EASY,
    jobIntervalMs: 0,
    blockIntervalMs: 0,
    vardiffIntervalMs: 0,
    ...options,
  };
  const defined = Object.fromEntries(Object.entries(merged).filter(([, v]) => v !== undefined));
  const p = await startLocalPool(defined as LocalPoolOptions);
  pools.push(p);
  return p;
}

export async function miner(p: LocalPool): Promise<TestMiner> {
  const m = await TestMiner.connect(p.url);
  miners.push(m);
  return m;
}
