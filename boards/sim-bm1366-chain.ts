/**
 * Simulated chain of six BM1366s, shaped like a Bitaxe Hex (bm13xx.md §10.3: 6 chips, 485 MHz):
 * a chip count that is not a power of two, so the address interval (256/6 = 42) and the
 * nonce-space split are exercised. Six chips at 0.6 MH/s total keep a 2-core machine usable.
 */
import type { BoardDefinition } from './types.js';

export const simBm1366Chain: BoardDefinition = {
  id: 'sim-bm1366-chain',
  description: 'Simulated chain of 6 BM1366 (Bitaxe Hex-like) on the sim binding',
  chip: 'BM1366',
  chains: [{ uartPath: 'sim:sim-bm1366-chain', chipCount: 6 }],
  baud: { initial: 115_200, working: 1_000_000 },
  reset: { kind: 'sim', activeLow: true },
  powerEnable: undefined,
  defaultFrequencyMhz: 485,
  maxFrequencyMhz: 575,
  chipDifficulty: 256,
  voltageDomains: 3,
  coreVoltage: 1.2,
  sensors: [{ kind: 'sim', label: 'board', celsius: 60 }],
  notes: undefined,
  simulated: true,
  sim: { hashrate: 600_000, simTargetShift: 24 },
};
