/**
 * Simulator hashing speed: `sim_sha256d_per_core` is how many header double SHA-256 the sim's
 * search loop (drivers/sim/sim-hasher.ts, noble's compression from a midstate) does per second
 * on one core. A sim board's `hashrate` above about half of this is capped by maxBusyFraction.
 */
import { NonceSearch } from '../drivers/sim/sim-hasher.js';
import type { BenchLine } from './lib.js';

export async function run(): Promise<BenchLine[]> {
  const header = new Uint8Array(80).map((_, i) => (i * 29) & 0xff);
  const search = new NonceSearch(
    { kind: 'rolling', header, versionMask16: 0xffff, subCores: 16, cores: 128 },
    0,
  );
  // Warm up the JIT, then time whole batches for about a second.
  search.run(50_000, 257, () => {});
  let hashes = 0;
  const start = performance.now();
  let now = start;
  while (now - start < 1000) {
    hashes += search.run(20_000, 257, () => {});
    now = performance.now();
  }
  return [{ name: 'sim_sha256d_per_core', value: (hashes * 1000) / (now - start), unit: 'hashes/s' }];
}
