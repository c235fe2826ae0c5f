/**
 * Daemon start-up on simulated boards for tests (the demo composition, architecture.md): the config
 * they all validate (embedded local pool and APIs on ephemeral loopback ports, no configured pool
 * unless given), the teardown that stops a Miner and forgets the simulated chips so the next test
 * finds fresh ones, and the test for the job frames the dispatcher writes to a chain.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimBinding } from '../../drivers/sim/sim-binding.js';
import { type Config, validateConfig } from '../../src/config/schema.js';
import type { Miner } from '../../src/roles/miner/miner.js';

interface SimConfigOptions {
  /** A board id from boards/registry.ts (a sim-* board). */
  readonly board: string;
  readonly stateDir: string;
  /** The embedded local pool's share rate. Default 60. */
  readonly sharesPerMinute?: number;
  /** Default 'silent'. */
  readonly logLevel?: Config['logLevel'];
  /** Default none: the daemon mines on its embedded local pool. */
  readonly pools?: readonly {
    readonly url: string;
    readonly user: string;
    readonly channel?: 'standard' | 'extended';
  }[];
}

/** The config as a config file holds it, for tests that write default.json. */
export function simConfigInput(options: SimConfigOptions): Record<string, unknown> {
  return {
    board: options.board,
    pools: options.pools ?? [],
    chipDifficulty: 256,
    api: { host: '127.0.0.1', port: 0, cgminerPort: 0 },
    thermal: { throttleC: 70, shutdownC: 80, hysteresisC: 5, maxBadReadings: 3 },
    logLevel: options.logLevel ?? 'silent',
    localPool: { host: '127.0.0.1', port: 0, sharesPerMinute: options.sharesPerMinute ?? 60 },
    stateDir: options.stateDir,
  };
}

/**
 * A fresh temporary config folder holding that config as default.json (its state in `state/`
 * inside), for runs of the daemon with `--config-dir`.
 */
export function writeSimConfigDir(prefix: string, options: Omit<SimConfigOptions, 'stateDir'>): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const config = simConfigInput({ ...options, stateDir: join(dir, 'state') });
  writeFileSync(join(dir, 'default.json'), JSON.stringify(config, null, 2));
  return dir;
}

/** The same config, validated as the daemon would load it. */
export function simConfig(options: SimConfigOptions): Config {
  const result = validateConfig(simConfigInput(options));
  if (!result.ok) throw result.errors[0];
  return result.config;
}

/** Ordered stop of the miner, if one was built, then a reset of every simulated chain. */
export async function stopMiner(miner: Miner | undefined): Promise<void> {
  await miner?.stop();
  SimBinding.reset();
}

/** A full-header job frame (55 AA 21, bm13xx.md §7.1) among the bytes written to a chain. */
export function isJobFrame(bytes: Uint8Array): boolean {
  return bytes[0] === 0x55 && bytes[1] === 0xaa && bytes[2] === 0x21;
}
