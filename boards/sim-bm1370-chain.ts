/**
 * Simulated chain of four BM1370s on one UART: addressing with interval 64 and the nonce-space
 * split (bm13xx.md §3, §8.2). Real multi-BM1370 boards (GammaDuo/Turbo, S21 Pro) are in §10.3.
 */
import type { BoardDefinition } from './types.js';

export const simBm1370Chain: BoardDefinition = {
  id: 'sim-bm1370-chain',
  description: 'Simulated chain of 4 BM1370 on the sim binding',
  chip: 'BM1370',
  chains: [{ uartPath: 'sim:sim-bm1370-chain', chipCount: 4 }],
  baud: { initial: 115_200, working: 1_000_000 },
  reset: { kind: 'sim', activeLow: true },
  powerEnable: undefined,
  defaultFrequencyMhz: 525,
  maxFrequencyMhz: 625,
  chipDifficulty: 256,
  voltageDomains: 1,
  coreVoltage: 1.15,
  sensors: [{ kind: 'sim', label: 'board', celsius: 58 }],
  notes: undefined,
  simulated: true,
  // 0.6 MH/s in total at k = 24: about 9 nonces/s across the chain.
  sim: { hashrate: 600_000, simTargetShift: 24 },
};
