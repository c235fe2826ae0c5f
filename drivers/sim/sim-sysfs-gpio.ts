/**
 * A fake /sys/class/gpio for a simulated board under a device root: the gpiochip<base> entries
 * whose `device` link names each chip, the `export`/`unexport` files, and for each exported line
 * a gpioN/ with `direction`, `active_low` and `value`, behaving as the kernel's: writing
 * `direction` high/low drives that electrical level, `value` is logical through `active_low`.
 * The host writes real files; inotify (fs.watch) tells the simulator, which reports every
 * electrical change, so a reset line really resets the simulated chain.
 */
import { type FSWatcher, mkdirSync, readFileSync, rmSync, symlinkSync, watch, writeFileSync } from 'node:fs';
import { join } from 'node:path';

interface GpioChipEntry {
  /** The character-device name the board definition uses (gpiochip0). */
  readonly name: string;
  /** Its sysfs base number (512 on recent Raspberry Pi kernels). */
  readonly base: number;
  readonly lines: number;
}

interface LineState {
  direction: 'in' | 'out';
  activeLow: boolean;
  electrical: 0 | 1;
  readonly watcher: FSWatcher;
}

export interface SysfsGpioServer {
  readonly root: string;
  /** The electrical level of an exported output, undefined while unexported or an input. */
  level(sysfsNumber: number): 0 | 1 | undefined;
  close(): void;
}

export function serveSysfsGpio(
  root: string,
  chips: readonly GpioChipEntry[],
  onLevel: (sysfsNumber: number, electrical: 0 | 1) => void,
): SysfsGpioServer {
  mkdirSync(root, { recursive: true });
  for (const chip of chips) {
    const entry = join(root, `gpiochip${chip.base}`);
    mkdirSync(entry, { recursive: true });
    rmSync(join(entry, 'device'), { force: true });
    symlinkSync(join('..', '..', '..', 'devices', 'platform', 'soc', chip.name), join(entry, 'device'));
    writeFileSync(join(entry, 'base'), `${chip.base}\n`);
    writeFileSync(join(entry, 'ngpio'), `${chip.lines}\n`);
  }
  writeFileSync(join(root, 'export'), '');
  writeFileSync(join(root, 'unexport'), '');
  const lines = new Map<number, LineState>();
  const valid = (n: number): boolean =>
    Number.isInteger(n) && chips.some((c) => n >= c.base && n < c.base + c.lines);

  const read = (file: string): string => {
    try {
      return readFileSync(file, 'utf8').trim();
    } catch {
      return '';
    }
  };
  const drive = (n: number, state: LineState, electrical: 0 | 1): void => {
    if (state.direction === 'out' && state.electrical === electrical) return;
    state.direction = 'out';
    state.electrical = electrical;
    onLevel(n, electrical);
  };
  const exportLine = (n: number): void => {
    if (!valid(n) || lines.has(n)) return;
    const dir = join(root, `gpio${n}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'direction'), 'in\n');
    writeFileSync(join(dir, 'active_low'), '0\n');
    writeFileSync(join(dir, 'value'), '0\n');
    const watcher = watch(dir, (_event, name) => {
      const state = lines.get(n);
      if (state === undefined) return;
      if (name === 'active_low') state.activeLow = read(join(dir, 'active_low')) === '1';
      else if (name === 'direction') {
        const d = read(join(dir, 'direction'));
        if (d === 'high') drive(n, state, 1);
        else if (d === 'low') drive(n, state, 0);
        else if (d === 'in') state.direction = 'in';
      } else if (name === 'value' && state.direction === 'out') {
        const v = read(join(dir, 'value'));
        if (v !== '0' && v !== '1') return;
        const logical = v === '1' ? 1 : 0;
        drive(n, state, state.activeLow ? (logical === 1 ? 0 : 1) : logical);
      }
    });
    lines.set(n, { direction: 'in', activeLow: false, electrical: 0, watcher });
  };
  const unexportLine = (n: number): void => {
    const state = lines.get(n);
    if (state === undefined) return;
    state.watcher.close();
    lines.delete(n);
    rmSync(join(root, `gpio${n}`), { recursive: true, force: true });
  };
  const rootWatcher = watch(root, (_event, name) => {
    if (name !== 'export' && name !== 'unexport') return;
    const text = read(join(root, name));
    if (text === '') return;
    const n = Number(text);
    if (name === 'export') exportLine(n);
    else unexportLine(n);
  });
  return {
    root,
    level: (n) => {
      const state = lines.get(n);
      return state?.direction === 'out' ? state.electrical : undefined;
    },
    close: () => {
      rootWatcher.close();
      for (const n of [...lines.keys()]) unexportLine(n);
    },
  };
}
