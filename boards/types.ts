/**
 * What a board is, as data (architecture.md "boards/", bm13xx.md §10.3 "Board definitions in
 * boards/ should record"): chip model and count per UART chain, baud plan, reset and power-enable
 * lines with polarity, frequency limits, ticket difficulty, sensors, and for simulated boards the
 * simulation parameters. No behaviour lives here; src/main.ts turns a definition into objects.
 */
import type { ChipModel } from '../drivers/bm13xx/chips.js';

/** A digital control line. `activeLow` means "asserted" = electrical 0 (NRST, POWER_EN: bm13xx.md §10.1). */
export type ControlLine =
  /** A Linux GPIO: character-device chip name and line offset (libgpiod numbering). */
  | {
      readonly kind: 'gpiochip';
      readonly chip: string;
      readonly line: number;
      readonly activeLow: boolean;
      /** The sysfs gpio class directory when not /sys/class/gpio (a fake device root: withDevRoot). */
      readonly sysfsRoot?: string | undefined;
    }
  /** A pin behind a USB bridge's control port (bitaxe-raw GPIO page 0x06, bm13xx.md §10.2). */
  | {
      readonly kind: 'bridge';
      readonly controlPort: string;
      readonly pin: number;
      readonly activeLow: boolean;
    }
  /** A FakeGpio the composition root wires to the simulated chain (reset -> SimChain.reset()). */
  | { readonly kind: 'sim'; readonly activeLow: boolean };

export interface ChainDefinition {
  /** Serial device, or `sim:<board id>` for the simulator's binding. */
  readonly uartPath: string;
  readonly chipCount: number;
}

/** The link opens at the chips' reset rate and switches after init (bm13xx.md §1.1, §6). */
interface BaudPlan {
  readonly initial: number;
  readonly working: number;
}

export type SensorDefinition =
  /** An I2C temperature device; `bus` is /dev/i2c-N or `bridge:<control port>`. */
  | {
      readonly kind: 'emc2101' | 'tmp1075' | 'tmp451';
      readonly label: string;
      readonly bus: string;
      readonly address: number;
      /** Added to every reading (EmberOne TMP451 remote diode: -7 C, bm13xx.md §10.2). */
      readonly offsetC?: number;
      /** EMC2101 diode ideality and beta compensation for the ASIC's diode (Gamma: 0x24, 0; §10.1). */
      readonly ideality?: number;
      readonly beta?: number;
    }
  /** A Linux hwmon or thermal_zone file in millidegrees (drivers/peripherals/thermal.ts). */
  | { readonly kind: 'sysfs'; readonly label: string; readonly path: string }
  /** The simulator's fixed or scripted temperature. */
  | { readonly kind: 'sim'; readonly label: string; readonly celsius: number };

/**
 * Simulation parameters. A CPU simulator does a few MH/s, so at a real ticket difficulty (256:
 * one nonce per 2^40 hashes) it would never report anything. The simulated chips therefore hash
 * for real but report a nonce when sha256d(header) meets the ticket target widened by
 * 2^simTargetShift ("share target relaxation"). The pipeline uses the same widened target as
 * its chip target (src/work/target.ts ticketTarget(d, simTargetShift)), so every reported nonce is
 * still checked by a real host-side double SHA-256, and hashrate is weighted by 2^(N - shift).
 */
interface SimParams {
  /** Hashes per second of the whole simulated board (split over its chips). */
  readonly hashrate: number;
  /** k: the chip target is 2^k times easier than the ticket mask says. */
  readonly simTargetShift: number;
}

/** The TPS546 configurations in drivers/power/tps546-profiles.ts, by name. */
export type Tps546ProfileName = '5v-single' | '12v-three-domains' | '12v-two-phase';

/** The core regulator; `bus` is /dev/i2c-N or `bridge:<control port>` as for sensors. */
export type RegulatorDefinition =
  | {
      readonly kind: 'tps546';
      readonly bus: string;
      readonly address: number;
      readonly profile: Tps546ProfileName;
    }
  /**
   * DS4432U+ trimming a buck switched by the board's power enable (TPS40305 on the older Bitaxes,
   * LM25119 on the emberOne/00; drivers/power/ds4432u.ts); INA260 beside it where its address is known.
   */
  | {
      readonly kind: 'ds4432u';
      readonly bus: string;
      readonly address: number;
      readonly network: Ds4432uNetworkName;
      readonly monitorAddress: number | undefined;
    };

/** The DS4432U feedback networks in drivers/power/ds4432u.ts, by name. */
export type Ds4432uNetworkName = 'bitaxe-tps40305' | 'emberone-lm25119';

export interface FanDefinition {
  readonly kind: 'emc2101' | 'emc2302' | 'emc2103';
  readonly label: string;
  readonly bus: string;
  readonly address: number;
}

/**
 * How the board's core is powered and in what order (bm13xx.md §10.1): up = power enable (if
 * any), regulator configured and on at the core voltage, `settleMs`, reset released, chip init;
 * down = chips held in reset, regulator off, power enable released.
 */
export interface PowerDefinition {
  readonly regulator: RegulatorDefinition;
  readonly fan: FanDefinition | undefined;
  /** Per chip, millivolts: what config and the AxeOS PATCH may ask for. */
  readonly coreVoltageMv: { readonly min: number; readonly max: number; readonly default: number };
  /** After the rail is up, before reset is released. */
  readonly settleMs: number;
  /**
   * 'before-regulator' (default): the enable is asserted, then the regulator is set (ESP-Miner).
   * 'after-voltage': the DAC is trimmed first and the buck enabled on the trimmed value, so it
   * never starts at its untrimmed nominal (emberOne/00: voltage, 100 ms, PWR_EN).
   */
  readonly enableOrder?: 'before-regulator' | 'after-voltage';
}

interface BoardCommon {
  readonly id: string;
  readonly description: string;
  readonly chip: ChipModel;
  readonly chains: readonly ChainDefinition[];
  readonly baud: BaudPlan;
  /** Chip reset (NRST), active low on every board found (bm13xx.md §1.1, §10.1). */
  readonly reset: ControlLine | undefined;
  /** Core regulator enable, where the board has one. */
  readonly powerEnable: ControlLine | undefined;
  /**
   * The chips' I/O supply enable, where it is switched apart from the core (emberOne/00 VDDIO_EN):
   * asserted first on power-up, released last on power-down.
   */
  readonly ioEnable?: ControlLine | undefined;
  readonly defaultFrequencyMhz: number;
  readonly maxFrequencyMhz: number;
  /** Ticket-mask difficulty the chips are programmed with (bm13xx.md §4.3: every Bitaxe uses 256). */
  readonly chipDifficulty: number;
  /** Series voltage domains: regulator target = core V x domains (bm13xx.md §10.1). */
  readonly voltageDomains: number;
  readonly coreVoltage: number | undefined;
  readonly sensors: readonly SensorDefinition[];
  /**
   * Hardware boards only, set by `run --sim-target-shift k` for a simulated board served on ptys:
   * the host checks nonces against the chip target relaxed by 2^k, as its simulated chips report.
   */
  readonly hostTargetShift?: number;
  /** Core regulator, fan and power-up order, where sv2miner powers the board itself. */
  readonly power?: PowerDefinition;
  /** What is known to be unverified on real hardware; printed by `sv2miner boards`. */
  readonly notes: string | undefined;
}

export type BoardDefinition =
  | (BoardCommon & { readonly simulated: true; readonly sim: SimParams })
  | (BoardCommon & { readonly simulated: false; readonly sim: undefined });

/** Total chips on a board. */
export function boardChipCount(board: BoardDefinition): number {
  return board.chains.reduce((sum, chain) => sum + chain.chipCount, 0);
}
