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

/**
 * emberOne/00 (256 Foundation, hardware repo emberone00-pcb): twelve BM1362 in series on one
 * 12-17 V rail, ~100 W, ~3.5 TH/s. The core rail is an LM25119 buck trimmed by a DS4432U+ at
 * 0x48 (BOM; network R6/R7/R11 as skot/emberone-miner drives it: 2.875..4.324 V for the string,
 * 3.6 V untrimmed), an INA260 beside it (address not published), TMP1075 at 0x4A and TMP451 at
 * 0x49 (mujina). No fan controller on the board: fans belong to the control board.
 */
export const emberOne00: BoardDefinition = {
  id: 'emberone00',
  description: '256 Foundation emberOne/00: 12x BM1362 in series behind an RP2040 USB bridge',
  chip: 'BM1362',
  chains: [{ uartPath: DATA, chipCount: 12 }],
  // mujina and emberone-miner open the data port at 115200; the link stays there as on the Gamma.
  baud: { initial: 115_200, working: 115_200 },
  // emberone-miner: bridge GPIO 0 is ASIC reset (low = reset, 500 ms each way), GPIO 1 is PWR_EN
  // (high = on, asserted 100 ms after the DAC is set). mujina: GPIO 2 is VDDIO_EN, high, 5 ms.
  reset: { kind: 'bridge', controlPort: CONTROL, pin: 0, activeLow: true },
  powerEnable: { kind: 'bridge', controlPort: CONTROL, pin: 1, activeLow: false },
  ioEnable: { kind: 'bridge', controlPort: CONTROL, pin: 2, activeLow: false },
  // No source gives an emberOne frequency; 525 MHz is the S19j Pro BM1362 figure (§10.3).
  defaultFrequencyMhz: 525,
  maxFrequencyMhz: 800,
  chipDifficulty: 256,
  // All twelve chips in series: the buck's output is twelve times the per-chip core voltage.
  voltageDomains: 12,
  coreVoltage: 0.3,
  sensors: [
    { kind: 'tmp1075', label: 'left-pcb', bus: `bridge:${CONTROL}`, address: 0x4a },
    { kind: 'tmp451', label: 'chip0', bus: `bridge:${CONTROL}`, address: 0x49, offsetC: -7 },
  ],
  power: {
    regulator: {
      kind: 'ds4432u',
      bus: `bridge:${CONTROL}`,
      address: 0x48,
      network: 'emberone-lm25119',
      monitorAddress: undefined,
    },
    fan: undefined,
    // The DAC reaches 2876..4324 mV for the string = 240..360 mV per chip; 300 mV is the buck's
    // untrimmed 3.6 V. The S19j Pro runs its BM1362 near 0.31-0.33 V per domain.
    coreVoltageMv: { min: 240, max: 360, default: 300 },
    // emberone-miner holds reset 500 ms after power, then releases it and waits 500 ms.
    settleMs: 500,
    enableOrder: 'after-voltage',
  },
  notes:
    'GPIO 0/1 (reset, PWR_EN) are from emberone-miner for board v2, GPIO 2 (VDDIO_EN) from mujina; the firmware index map has changed between releases: check it. INA260 not read (address unknown). Checked against the simulated board only',
  simulated: false,
  sim: undefined,
};
