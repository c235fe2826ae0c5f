import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Edge, FakeGpio, pulseReset, sysfsGpioNumber } from '../../../drivers/peripherals/gpio.js';
import { TransportError } from '../../../src/errors.js';

describe('FakeGpio', () => {
  it('records logical and electrical edges with timestamps for an active-low line', async () => {
    let now = 1000;
    const gpio = new FakeGpio({ activeLow: true, now: () => now });
    await gpio.write(1);
    now = 1100;
    await gpio.write(1);
    await gpio.write(0);
    expect(gpio.edges).toEqual([
      { level: 1, electrical: 0, at: 1000 },
      { level: 0, electrical: 1, at: 1100 },
    ]);
    expect(await gpio.read()).toBe(0);
  });

  it('calls the hook on each edge, so a fake reset line can reset a simulated chain', async () => {
    const resets: number[] = [];
    const seen: Edge[] = [];
    const gpio = new FakeGpio({
      activeLow: true,
      now: () => 5,
      onEdge: (edge) => {
        seen.push(edge);
        if (edge.level === 1) resets.push(edge.at);
      },
    });
    let t = 0;
    await pulseReset(gpio, async (ms) => {
      t += ms;
    });
    expect(resets).toEqual([5]);
    expect(seen.map((e) => e.electrical)).toEqual([0, 1]);
    expect(t).toBe(200);
  });

  it('refuses writes after close', async () => {
    const gpio = new FakeGpio({ activeLow: false });
    await gpio.close();
    await expect(gpio.write(1)).rejects.toBeInstanceOf(TransportError);
  });
});

describe('sysfsGpioNumber', () => {
  let root: string;
  beforeAll(async () => {
    // A fake /sys/class/gpio: gpiochip512 belongs to gpiochip0, gpiochip570 to gpiochip1.
    root = await mkdtemp(join(tmpdir(), 'sv2miner-gpio-'));
    for (const [entry, chip] of [
      ['gpiochip512', 'gpiochip0'],
      ['gpiochip570', 'gpiochip1'],
    ] as const) {
      await mkdir(join(root, entry));
      await symlink(`../../../devices/platform/soc/${chip}`, join(root, entry, 'device'));
    }
    await mkdir(join(root, 'export-not-a-chip'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('adds the chip base to the line offset', async () => {
    expect(await sysfsGpioNumber('gpiochip0', 17, root)).toBe(529);
    expect(await sysfsGpioNumber('gpiochip1', 2, root)).toBe(572);
  });

  it('fails with a TransportError naming the chip when it is not there', async () => {
    await expect(sysfsGpioNumber('gpiochip9', 1, root)).rejects.toThrow(
      'no sysfs gpiochip entry belongs to gpiochip9',
    );
  });
});
