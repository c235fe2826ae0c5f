/**
 * Digital control lines (architecture.md seam D): reset and power-enable from boards/. Levels are
 * logical: 1 = asserted, whatever the wiring; the line's polarity (`activeLow`, bm13xx.md §10.1:
 * NRST and POWER_EN are active low) is set once when it is opened. OnoffGpio drives a real line
 * through 'onoff' (sysfs), imported lazily so machines without GPIO still load this module;
 * SysfsGpio makes the same sysfs file writes under any root (onoff's root is fixed at
 * /sys/class/gpio), which is how a fake device root's lines are driven; FakeGpio records edges and
 * can call a hook (in simulation: reset -> SimChain.reset()).
 */
import { constants } from 'node:fs';
import { access, readdir, readFile, readlink, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { TransportError } from '../../src/errors.js';

export type Level = 0 | 1;

export interface Gpio {
  /** 1 = assert the line's function (e.g. hold the chips in reset), 0 = release. */
  write(level: Level): Promise<void>;
  read(): Promise<Level>;
  close(): Promise<void>;
}

interface OnoffOptions {
  readonly activeLow: boolean;
  /** Logical level driven the moment the line becomes an output (avoids a glitch on open). */
  readonly initial: Level;
}

export class OnoffGpio implements Gpio {
  private readonly line: OnoffLine;
  readonly sysfsNumber: number;

  private constructor(line: OnoffLine, sysfsNumber: number) {
    this.line = line;
    this.sysfsNumber = sysfsNumber;
  }

  /** Opens sysfs GPIO `sysfsNumber` (see sysfsGpioNumber) as an output. */
  static async open(sysfsNumber: number, options: OnoffOptions): Promise<OnoffGpio> {
    let mod: typeof import('onoff');
    try {
      mod = await import('onoff');
    } catch (error) {
      throw new TransportError(`gpio${sysfsNumber}`, 'the onoff GPIO module cannot load on this machine', {
        cause: error,
      });
    }
    if (!mod.Gpio.accessible)
      throw new TransportError(`gpio${sysfsNumber}`, 'sysfs GPIO is not accessible here');
    // onoff: 'high'/'low' direction sets the initial electrical level; activeLow inverts reads and writes.
    const electricalHigh = options.initial === 1 ? !options.activeLow : options.activeLow;
    const line = new mod.Gpio(sysfsNumber, electricalHigh ? 'high' : 'low', 'none', {
      activeLow: options.activeLow,
    });
    return new OnoffGpio(line, sysfsNumber);
  }

  write(level: Level): Promise<void> {
    return this.line.write(level);
  }

  async read(): Promise<Level> {
    return (await this.line.read()) === 1 ? 1 : 0;
  }

  async close(): Promise<void> {
    this.line.unexport();
  }
}

type OnoffLine = InstanceType<typeof import('onoff')['Gpio']>;

/**
 * The sysfs number of `line` on the character-device chip `chip` (e.g. gpiochip0 line 17):
 * the base of the /sys/class/gpio/gpiochip<base> entry whose `device` link names that chip, plus
 * the line. Needed because onoff speaks sysfs numbers and recent kernels put chip bases at 512+.
 */
export async function sysfsGpioNumber(chip: string, line: number, root = '/sys/class/gpio'): Promise<number> {
  let entries: string[];
  try {
    entries = await readdir(root);
  } catch (error) {
    throw new TransportError(root, 'no sysfs GPIO class here', { cause: error });
  }
  for (const entry of entries) {
    const base = /^gpiochip(\d+)$/.exec(entry)?.[1];
    if (base === undefined) continue;
    const device = await readlink(join(root, entry, 'device')).catch(() => undefined);
    if (device !== undefined && basename(device) === chip) return Number(base) + line;
  }
  throw new TransportError(root, `no sysfs gpiochip entry belongs to ${chip}`);
}

interface SysfsGpioOptions extends OnoffOptions {
  /** The gpio class directory: /sys/class/gpio, or a fake root's. */
  readonly root: string;
  /** Waits between looks for the exported line (injected in tests). */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Export waits: the kernel makes gpioN/ at once, udev's permission rule a little later. */
const EXPORT_WAITS_MS = [5, 10, 20, 40, 80, 160, 320, 640];

/**
 * A sysfs GPIO line under `root`, by the kernel's file protocol: `export` the number, wait for
 * gpioN/direction to be writable, `active_low` set so `value` is logical, `direction` high/low
 * for a glitch-free initial level, then `value` 0/1; `unexport` on close.
 */
export class SysfsGpio implements Gpio {
  readonly sysfsNumber: number;
  private readonly root: string;
  private readonly dir: string;

  private constructor(root: string, sysfsNumber: number) {
    this.root = root;
    this.sysfsNumber = sysfsNumber;
    this.dir = join(root, `gpio${sysfsNumber}`);
  }

  static async open(sysfsNumber: number, options: SysfsGpioOptions): Promise<SysfsGpio> {
    const line = new SysfsGpio(options.root, sysfsNumber);
    const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    const direction = join(line.dir, 'direction');
    const writable = () =>
      access(direction, constants.W_OK).then(
        () => true,
        () => false,
      );
    if (!(await writable())) {
      await line.put(join(options.root, 'export'), String(sysfsNumber));
      let ready = false;
      for (const ms of EXPORT_WAITS_MS) {
        await sleep(ms);
        ready = await writable();
        if (ready) break;
      }
      if (!ready)
        throw new TransportError(
          line.dir,
          `exported, but ${direction} did not become writable within ${EXPORT_WAITS_MS.reduce((a, b) => a + b)} ms`,
        );
    }
    await line.put(join(line.dir, 'active_low'), options.activeLow ? '1' : '0');
    const electricalHigh = options.initial === 1 ? !options.activeLow : options.activeLow;
    await line.put(direction, electricalHigh ? 'high' : 'low');
    return line;
  }

  write(level: Level): Promise<void> {
    return this.put(join(this.dir, 'value'), level === 1 ? '1' : '0');
  }

  async read(): Promise<Level> {
    const text = await readFile(join(this.dir, 'value'), 'utf8').catch((error: unknown) => {
      throw new TransportError(this.dir, 'value unreadable', { cause: error });
    });
    return text.trim() === '1' ? 1 : 0;
  }

  async close(): Promise<void> {
    await this.put(join(this.root, 'unexport'), String(this.sysfsNumber)).catch(() => {});
  }

  private async put(file: string, text: string): Promise<void> {
    try {
      await writeFile(file, text);
    } catch (error) {
      throw new TransportError(file, `cannot write "${text}"`, { cause: error });
    }
  }
}

export interface Edge {
  /** Logical level after the edge. */
  readonly level: Level;
  /** Electrical level on the pin (inverted when active low). */
  readonly electrical: Level;
  readonly at: number;
}

interface FakeGpioOptions {
  readonly activeLow: boolean;
  readonly initial?: Level;
  readonly now?: () => number;
  /** Called on every change of level (not on writes of the same level). */
  readonly onEdge?: (edge: Edge) => void;
}

export class FakeGpio implements Gpio {
  readonly edges: Edge[] = [];
  private level: Level;
  private closed = false;
  private readonly options: FakeGpioOptions;

  constructor(options: FakeGpioOptions) {
    this.options = options;
    this.level = options.initial ?? 0;
  }

  async write(level: Level): Promise<void> {
    if (this.closed) throw new TransportError('fake-gpio', 'write after close');
    if (level === this.level) return;
    this.level = level;
    const edge: Edge = {
      level,
      electrical: this.options.activeLow ? (level === 1 ? 0 : 1) : level,
      at: (this.options.now ?? performance.now.bind(performance))(),
    };
    this.edges.push(edge);
    this.options.onEdge?.(edge);
  }

  async read(): Promise<Level> {
    return this.level;
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

/**
 * The usual reset pulse (bm13xx.md §10.1, ESP-Miner): assert 100 ms, release, wait 100 ms.
 * `sleep` is injected so tests run without real time.
 */
export async function pulseReset(
  gpio: Gpio,
  sleep: (ms: number) => Promise<void>,
  holdMs = 100,
  settleMs = 100,
): Promise<void> {
  await gpio.write(1);
  await sleep(holdMs);
  await gpio.write(0);
  await sleep(settleMs);
}
