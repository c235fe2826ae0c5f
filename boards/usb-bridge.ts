/**
 * Boards whose chips sit behind a USB bridge with a control port and a data port (bm13xx.md §10.2):
 * a Bitaxe Gamma running bitaxe-raw (ESP32-S3, two CDC-ACM ports: port 0 control, port 1 the raw
 * BM13xx UART at 115200) and the 256 Foundation EmberOne00 (RP2040, same packet protocol, 12x
 * BM1362). Reset, power and sensors go through the control port's GPIO/I2C pages, not Linux GPIO.
 */
import type { BoardDefinition } from './types.js';

// Linux numbers CDC-ACM interfaces in enumeration order: control = ttyACM0, data = ttyACM1 when
// the bridge is the only ACM device. Override by udev symlinks on a real rig.
const CONTROL = '/dev/ttyACM0';
const DATA = '/dev/ttyACM1';

export const bitaxeGammaUsb: BoardDefinition = {
  id: 'bitaxe-gamma-usb',
  description: 'Bitaxe Gamma (BM1370) over USB with bitaxe-raw firmware (control + data CDC-ACM ports)',
  chip: 'BM1370',
  chains: [{ uartPath: DATA, chipCount: 1 }],
  // The transparent UART is opened at 115200 (§10.2); whether the bridge follows a host baud
  // change is not documented, so the link stays at the reset rate (one 88-byte job ~ 7.6 ms).
  baud: { initial: 115_200, working: 115_200 },
  // mujina on bitaxe-raw: GPIO 0 low while configuring power, then high (§10.1).
  reset: { kind: 'bridge', controlPort: CONTROL, pin: 0, activeLow: true },
  powerEnable: undefined,
  defaultFrequencyMhz: 525,
  maxFrequencyMhz: 625,
  chipDifficulty: 256,
  voltageDomains: 1,
  // mujina Gamma: 1.15 V on the TPS546 at 0x24 (§10.1).
  coreVoltage: 1.15,
  sensors: [
    { kind: 'emc2101', label: 'asic', bus: `bridge:${CONTROL}`, address: 0x4c, ideality: 0x24, beta: 0x00 },
  ],
  power: {
    // TPS546D24A at 0x24, ESP-Miner's 5 V single-phase profile (VOUT 1.0-2.0 V); EMC2101 fan.
    regulator: { kind: 'tps546', bus: `bridge:${CONTROL}`, address: 0x24, profile: '5v-single' },
    fan: { kind: 'emc2101', label: 'fan', bus: `bridge:${CONTROL}`, address: 0x4c },
    // ESP-Miner offers the BM1370 1000-1250 mV, default 1150 (device_config.h).
    coreVoltageMv: { min: 1000, max: 1250, default: 1150 },
    // mujina holds reset 500 ms while configuring power, then releases it (§10.1).
    settleMs: 500,
  },
  notes:
    'reset pin, TPS546 and EMC2101 go through the bitaxe-raw control port; the power sequence is checked against the simulated board only',
  simulated: false,
  sim: undefined,
};

export const emberOne00: BoardDefinition = {
  id: 'emberone00',
  description: '256 Foundation EmberOne00: 12x BM1362 behind an RP2040 USB bridge',
  chip: 'BM1362',
  chains: [{ uartPath: DATA, chipCount: 12 }],
  baud: { initial: 115_200, working: 115_200 },
  reset: undefined,
  // Bridge GPIO index 2 = VDDIO_EN, 5 ms settle (§10.2); polarity inferred active high.
  powerEnable: { kind: 'bridge', controlPort: CONTROL, pin: 2, activeLow: false },
  // mujina gives no frequency; 525 MHz is the S19j Pro BM1362 figure (§10.3), inferred.
  defaultFrequencyMhz: 525,
  maxFrequencyMhz: 800,
  chipDifficulty: 256,
  voltageDomains: 1,
  coreVoltage: undefined,
  sensors: [
    { kind: 'tmp1075', label: 'left-pcb', bus: `bridge:${CONTROL}`, address: 0x4a },
    { kind: 'tmp451', label: 'chip0', bus: `bridge:${CONTROL}`, address: 0x49, offsetC: -7 },
  ],
  notes: 'mujina has not implemented hashing on it yet (§10.2); frequency, voltage domains and reset unknown',
  simulated: false,
  sim: undefined,
};
