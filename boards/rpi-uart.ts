/**
 * A Raspberry Pi wired straight to a single-chip hashboard (bm13xx.md §10.2): the Pi owns the
 * UART (/dev/serial0, the PL011 alias), drives NRST and POWER_EN from GPIO and reads an EMC2101
 * on /dev/i2c-1. One definition per chip model; the wiring is the same for all four.
 * Not from a source: the GPIO line numbers (BCM 17 reset, BCM 27 power enable) are our
 * suggested wiring, so check them against the actual hat before first power-up.
 */
import type { ChipModel } from '../drivers/bm13xx/chips.js';
import type { BoardDefinition } from './types.js';

interface ChipFacts {
  readonly chip: ChipModel;
  readonly name: string;
  readonly defaultMhz: number;
  readonly maxMhz: number;
  readonly workingBaud: number;
  readonly coreVoltage: number;
  /** EMC2101 settings for this chip's temperature diode, where a source gives them. */
  readonly diode?: { readonly ideality: number; readonly beta: number };
}

// Default/max MHz and core volts: ESP-Miner figures in bm13xx.md §8.1. Baud: §6 (BM1397 goes to
// 3.125 Mbaud via MISC_CONTROL; BM1366/68/70 to 1 Mbaud host rate). The PL011 needs a UART clock
// set high enough for 3.125 Mbaud (§10.2).
const FACTS: readonly ChipFacts[] = [
  {
    chip: 'BM1397',
    name: 'Bitaxe Max-like',
    defaultMhz: 425,
    maxMhz: 600,
    workingBaud: 3_125_000,
    coreVoltage: 1.4,
  },
  {
    chip: 'BM1366',
    name: 'Bitaxe Ultra-like',
    defaultMhz: 485,
    maxMhz: 575,
    workingBaud: 1_000_000,
    coreVoltage: 1.2,
  },
  {
    chip: 'BM1368',
    name: 'Bitaxe Supra-like',
    defaultMhz: 490,
    maxMhz: 575,
    workingBaud: 1_000_000,
    coreVoltage: 1.166,
  },
  {
    chip: 'BM1370',
    name: 'Bitaxe Gamma-like',
    defaultMhz: 525,
    maxMhz: 625,
    workingBaud: 1_000_000,
    coreVoltage: 1.15,
    // Bitaxe Gamma's EMC2101 settings for the BM1370 diode (bm13xx.md §10.1).
    diode: { ideality: 0x24, beta: 0x00 },
  },
];

function rpiUartBoard(facts: ChipFacts): BoardDefinition {
  const id = `rpi-uart-${facts.chip.toLowerCase()}`;
  return {
    id,
    description: `Raspberry Pi UART + GPIO to a single ${facts.chip} (${facts.name} hashboard)`,
    chip: facts.chip,
    chains: [{ uartPath: '/dev/serial0', chipCount: 1 }],
    baud: { initial: 115_200, working: facts.workingBaud },
    // NRST and POWER_EN are both active low (bm13xx.md §1.1, §10.1).
    reset: { kind: 'gpiochip', chip: 'gpiochip0', line: 17, activeLow: true },
    powerEnable: { kind: 'gpiochip', chip: 'gpiochip0', line: 27, activeLow: true },
    defaultFrequencyMhz: facts.defaultMhz,
    maxFrequencyMhz: facts.maxMhz,
    chipDifficulty: 256,
    voltageDomains: 1,
    coreVoltage: facts.coreVoltage,
    // Single-chip boards read the ASIC diode through an EMC2101 at 0x4C (bm13xx.md §10.1).
    sensors: [{ kind: 'emc2101', label: 'asic', bus: '/dev/i2c-1', address: 0x4c, ...facts.diode }],
    notes: 'GPIO lines 17/27 are a suggested wiring, not from a source; untested on hardware',
    simulated: false,
    sim: undefined,
  };
}

export const rpiUartBoards: readonly BoardDefinition[] = FACTS.map(rpiUartBoard);
