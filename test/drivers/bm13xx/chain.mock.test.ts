import { afterEach, describe, expect, it } from 'vitest';
import { Bm13xxChain } from '../../../drivers/bm13xx/chain.js';
import { decodePll, rampSteps } from '../../../drivers/bm13xx/pll.js';
import { UartLink } from '../../../drivers/transport/uart-link.js';
import { hexToBytes } from '../../../src/bytes/hex.js';
import { ChipError, ConfigError } from '../../../src/errors.js';
import { cmd, FAST, fakeChips, h } from './chain-helpers.js';

const PATH = '/dev/ttyMOCK';
let chain: Bm13xxChain | undefined;
afterEach(async () => {
  await chain?.close();
  chain = undefined;
});

function makeChain(
  model: 'BM1370' | 'BM1366' | 'BM1397',
  chips: ReturnType<typeof fakeChips>,
  o: { count: number; mhz: number; baud: number },
) {
  let resets = 0;
  const c = new Bm13xxChain({
    index: 0,
    model,
    expectedChipCount: o.count,
    link: new UartLink({ binding: chips.port.binding, path: PATH }),
    reset: async () => {
      resets++;
    },
    frequencyMhz: o.mhz,
    chipDifficulty: 256,
    workingBaud: o.baud,
    timing: FAST,
  });
  chain = c;
  return { chain: c, resets: () => resets };
}

/** Split off the PLL ramp: every frame is a broadcast 0x08 write whose dividers give the step frequency. */
function checkRamp(model: 'BM1370' | 'BM1366' | 'BM1397', frames: string[], steps: number[]): void {
  expect(frames).toHaveLength(steps.length);
  frames.forEach((f, i) => {
    expect(f.slice(0, 12)).toBe('55aa51090008');
    expect(cmd(f.slice(4, 20))).toBe(f); // CRC5 valid
    expect(decodePll(model, hexToBytes(f.slice(12, 20)))?.actualMhz).toBeCloseTo(steps[i] ?? 0, 6);
  });
}

describe('Bm13xxChain bring-up on binding-mock', () => {
  it('BM1370 x1: the exact ESP-Miner init sequence, ramp 50->525, HCN, then 1 Mbaud', async () => {
    const chips = fakeChips(PATH, 0x1370, 1);
    const { chain: c, resets } = makeChain('BM1370', chips, { count: 1, mhz: 525, baud: 1_000_000 });
    const info = await c.init();
    expect(resets()).toBe(1);
    expect(info).toMatchObject({
      chipCount: 1,
      addresses: [0],
      frequencyMhz: 525,
      baud: 1_000_000,
      chipDifficulty: 256,
    });
    expect(info.nominalHashrate).toBeCloseTo(525e6 * 2040, -3);

    const A4 = h('55 AA 51 09 00 A4 90 00 FF FF 1C'); // command_frames.csv
    const frames = chips.frames();
    const prologue = [
      A4,
      A4,
      A4,
      h('55 AA 52 05 00 00 0A'),
      A4,
      h('55 AA 51 09 00 A8 00 07 00 00 03'),
      h('55 AA 51 09 00 18 F0 00 C1 00 04'),
      h('55 AA 53 05 00 00 03'),
      h('55 AA 40 05 00 00 1C'),
      h('55 AA 51 09 00 3C 80 00 8B 00 12'),
      cmd('51 09 00 3C 80 00 80 0C'),
      h('55 AA 51 09 00 14 00 00 00 FF 08'),
      h('55 AA 51 09 00 58 00 01 11 11 0D'),
      h('55 AA 41 09 00 A8 00 07 01 F0 15'),
      h('55 AA 41 09 00 18 F0 00 C1 00 0C'),
      h('55 AA 41 09 00 3C 80 00 8B 00 1A'),
      h('55 AA 41 09 00 3C 80 00 80 0C 19'),
      h('55 AA 41 09 00 3C 80 00 82 AA 05'),
      h('55 AA 51 09 00 B9 00 00 44 80 0D'),
      h('55 AA 51 09 00 54 00 00 00 02 18'),
      h('55 AA 51 09 00 B9 00 00 44 80 0D'),
      h('55 AA 51 09 00 3C 80 00 8D EE 1B'),
    ];
    expect(frames.slice(0, prologue.length)).toEqual(prologue);
    const steps = rampSteps(50, 525);
    const ramp = frames.slice(prologue.length, prologue.length + steps.length);
    checkRamp('BM1370', ramp, steps);
    expect(ramp.at(-1)).toBe(h('55 AA 51 09 00 08 40 A8 02 30 03')); // 525 MHz row of command_frames.csv
    expect(frames.slice(prologue.length + steps.length)).toEqual([
      cmd('51 09 00 10 00 0C 2F B7'), // HCN 798,647 = 0x000C2FB7 (§8.3)
      h('55 AA 51 09 00 28 11 30 02 00 03'),
    ]);
    // The host switched only after the chips were told (last write), and never before.
    const last = chips.port.events.at(-1);
    const beforeLast = chips.port.events.at(-2);
    expect(last).toEqual({ kind: 'baud', baud: 1_000_000 });
    expect(beforeLast?.kind === 'write' && beforeLast.bytes.toString('hex')).toBe(
      h('55 AA 51 09 00 28 11 30 02 00 03'),
    );
    expect(chips.port.bauds()).toEqual([115_200, 1_000_000]);
  });

  it('BM1366 x2: addresses 0 and 0x80, relay to chip 0, per-chip pass to both, A4 after HCN', async () => {
    const chips = fakeChips(PATH, 0x1366, 2);
    const { chain: c } = makeChain('BM1366', chips, { count: 2, mhz: 485, baud: 1_000_000 });
    const info = await c.init();
    expect(info.addresses).toEqual([0, 0x80]);
    const A4 = h('55 AA 51 09 00 A4 90 00 FF FF 1C');
    const perChip = (a: string) => [
      cmd(`41 09 ${a} A8 00 07 01 F0`),
      cmd(`41 09 ${a} 18 F0 00 C1 00`),
      cmd(`41 09 ${a} 3C 80 00 85 40`),
      cmd(`41 09 ${a} 3C 80 00 80 20`),
      cmd(`41 09 ${a} 3C 80 00 82 AA`),
    ];
    const prologue = [
      A4,
      A4,
      A4,
      h('55 AA 52 05 00 00 0A'),
      h('55 AA 51 09 00 A8 00 07 00 00 03'),
      h('55 AA 51 09 00 18 FF 0F C1 00 00'),
      h('55 AA 53 05 00 00 03'),
      h('55 AA 40 05 00 00 1C'),
      h('55 AA 40 05 80 00 10'), // "80 -> 10" (§1.3)
      h('55 AA 51 09 00 3C 80 00 85 40 0C'),
      h('55 AA 51 09 00 3C 80 00 80 20 19'),
      h('55 AA 51 09 00 14 00 00 00 FF 08'),
      h('55 AA 51 09 00 54 00 00 00 03 1D'),
      h('55 AA 51 09 00 58 02 11 11 11 06'),
      h('55 AA 41 09 00 2C 00 7C 00 03 03'),
      ...perChip('00'),
      ...perChip('80'),
    ];
    const frames = chips.frames();
    expect(frames.slice(0, prologue.length)).toEqual(prologue);
    const steps = rampSteps(50, 485);
    checkRamp('BM1366', frames.slice(prologue.length, prologue.length + steps.length), steps);
    expect(frames.at(prologue.length + steps.length - 1)).toBe(cmd('51 09 00 08 50 C2 02 40')); // pll.csv 485 row
    // HCN for 2 chips at 485 MHz: 2^32/128/2 x 25/485 x 0.5 = 432,402 = 0x00069912
    expect(frames.slice(prologue.length + steps.length)).toEqual([
      cmd('51 09 00 10 00 06 99 12'),
      A4,
      h('55 AA 51 09 00 28 11 30 02 00 03'),
    ]);
  });

  it('BM1397 x1: 9-byte discovery, no 0xA4, PLL steps as 0x70 x2 + 0x08 x2, then 3.125 Mbaud via 0x18', async () => {
    const chips = fakeChips(PATH, 0x1397, 1);
    const { chain: c } = makeChain('BM1397', chips, { count: 1, mhz: 62.5, baud: 3_125_000 });
    await c.init();
    const frames = chips.frames();
    const prologue = [
      h('55 AA 52 05 00 00 0A'),
      h('55 AA 53 05 00 00 03'),
      h('55 AA 40 05 00 00 1C'),
      cmd('51 09 00 80 00 00 00 00'),
      cmd('51 09 00 84 00 00 00 00'),
      cmd('51 09 00 20 00 00 00 01'),
      cmd('51 09 00 3C 80 00 80 74'),
      h('55 AA 51 09 00 14 00 00 00 FF 08'),
      cmd('51 09 00 68 C0 70 01 11'),
      cmd('51 09 00 28 06 00 00 0F'),
      h('55 AA 51 09 00 18 00 00 7A 31 15'),
    ];
    expect(frames.slice(0, prologue.length)).toEqual(prologue);
    const pll = frames.slice(prologue.length, -1);
    expect(pll).toHaveLength(2 * 4); // 56.25, 62.5
    const div = h('55 AA 51 09 00 70 0F 0F 0F 00 19');
    expect([pll[0], pll[1], pll[4], pll[5]]).toEqual([div, div, div, div]);
    expect(pll[2]).toBe(pll[3]);
    checkRamp('BM1397', [pll[2] ?? '', pll[6] ?? ''], [56.25, 62.5]);
    expect(frames.at(-1)).toBe(h('55 AA 51 09 00 18 00 00 60 31 00'));
    expect(chips.port.bauds()).toEqual([115_200, 3_125_000]);
  });

  it('refuses a chain whose chip count differs from the board with a ChipError', async () => {
    const chips = fakeChips(PATH, 0x1370, 2);
    const { chain: c } = makeChain('BM1370', chips, { count: 3, mhz: 525, baud: 1_000_000 });
    await expect(c.init()).rejects.toThrow(ChipError);
    await expect(c.init()).rejects.toThrow(/expected 3 BM1370 chips, 2 answered/);
  });

  it('refuses a foreign chip id', async () => {
    const chips = fakeChips(PATH, 0x1366, 1);
    const { chain: c } = makeChain('BM1370', chips, { count: 1, mhz: 525, baud: 1_000_000 });
    await expect(c.init()).rejects.toThrow(/one answered 0x1366/);
  });

  it('refuses a baud the model has no register value for, and a frequency above its maximum', () => {
    const chips = fakeChips(PATH, 0x1370, 1);
    expect(() => makeChain('BM1366', chips, { count: 1, mhz: 485, baud: 3_125_000 })).toThrow(ConfigError);
    expect(() => makeChain('BM1370', chips, { count: 1, mhz: 900, baud: 1_000_000 })).toThrow(/1\.\.625 MHz/);
  });
});
