/**
 * Simulated single BM1370 (Bitaxe Gamma-like, bm13xx.md §10.3): the default demo and CI board.
 * Chip facts mirror the real Gamma (525 MHz default, ticket difficulty 256); only the sim block
 * differs from real hardware. Reset goes to a FakeGpio wired to SimChain.reset().
 */
import type { BoardDefinition } from './types.js';

export const simBm1370Single: BoardDefinition = {
  id: 'sim-bm1370-1',
  description: 'Simulated single BM1370 (Bitaxe Gamma-like) on the sim binding',
  chip: 'BM1370',
  chains: [{ uartPath: 'sim:sim-bm1370-1', chipCount: 1 }],
  // Reset rate 115200, ESP-Miner's fast rate 1 Mbaud (bm13xx.md §1.1, §6).
  baud: { initial: 115_200, working: 1_000_000 },
  reset: { kind: 'sim', activeLow: true },
  powerEnable: undefined,
  defaultFrequencyMhz: 525,
  maxFrequencyMhz: 625,
  chipDifficulty: 256,
  voltageDomains: 1,
  coreVoltage: 1.15,
  sensors: [{ kind: 'sim', label: 'asic', celsius: 55 }],
  notes: undefined,
  simulated: true,
  // 0.25 MH/s (what the sim delivers on one shared core beside the daemon) with k = 24: one nonce per 2^(32+8-24) = 2^16
  // hashes, about 3-4 nonces/s, enough for a steady hashrate estimate.
  sim: { hashrate: 250_000, simTargetShift: 24 },
};
