/**
 * A Raspberry Pi wired straight to a Bitaxe Gamma-class hashboard (one BM1370) whose core
 * regulator is a TPS546D24A: the Pi owns the UART (/dev/serial0), drives NRST from a GPIO line and
 * talks PMBus to the TPS546 at 0x24 and to the EMC2101 at 0x4C (fan and the ASIC's diode) on
 * /dev/i2c-1 (bm13xx.md §10.1-10.2). The TPS546 is switched by PMBus OPERATION, so the board has
 * no power-enable line. Regulator profile, voltage range and settle time are the Gamma's
 * (ESP-Miner, mujina). Not from a source: NRST on BCM 17 is our suggested wiring.
 */
import type { BoardDefinition } from './types.js';

const I2C = '/dev/i2c-1';

export const rpiTps546Bm1370: BoardDefinition = {
  id: 'rpi-tps546-bm1370',
  description: 'Raspberry Pi UART + GPIO + I2C to a TPS546-powered BM1370 hashboard (Bitaxe Gamma-like)',
  chip: 'BM1370',
  chains: [{ uartPath: '/dev/serial0', chipCount: 1 }],
  baud: { initial: 115_200, working: 1_000_000 },
  reset: { kind: 'gpiochip', chip: 'gpiochip0', line: 17, activeLow: true },
  powerEnable: undefined,
  defaultFrequencyMhz: 525,
  maxFrequencyMhz: 625,
  chipDifficulty: 256,
  voltageDomains: 1,
  coreVoltage: 1.15,
  sensors: [{ kind: 'emc2101', label: 'asic', bus: I2C, address: 0x4c, ideality: 0x24, beta: 0x00 }],
  power: {
    regulator: { kind: 'tps546', bus: I2C, address: 0x24, profile: '5v-single' },
    fan: { kind: 'emc2101', label: 'fan', bus: I2C, address: 0x4c },
    coreVoltageMv: { min: 1000, max: 1250, default: 1150 },
    settleMs: 500,
  },
  notes:
    'NRST on BCM 17 is a suggested wiring; the TPS546 and EMC2101 are on the Pi I2C bus; checked against the simulated board (fake device root) only',
  simulated: false,
  sim: undefined,
};
