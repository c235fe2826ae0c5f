import { describe, expect, it } from 'vitest';
import { CHIPS, type ChipModel, isChipModel } from '../../../drivers/bm13xx/chips.js';
import { decodePll, pllForFrequency, pllSetting, rampSteps } from '../../../drivers/bm13xx/pll.js';
import { bytesToHex, hexToBytes } from '../../../src/bytes/hex.js';
import { readVectorCsv } from '../../helpers/vectors.js';

const rows = readVectorCsv('bm13xx/pll.csv').map((r) => {
  const chip = r['chip'] ?? '';
  if (!isChipModel(chip)) throw new Error(`unknown chip ${chip} in pll.csv`);
  return {
    chip: chip as ChipModel,
    target: Number(r['target_mhz']),
    fb: Number(r['fb_div']),
    ref: Number(r['ref_div']),
    pd1: Number(r['post_div1']),
    pd2: Number(r['post_div2']),
    actual: Number(r['actual_mhz']),
    bytes: (r['register_bytes_0x08'] ?? '').replace(/ /g, '').toLowerCase(),
    kind: r['kind'] ?? '',
  };
});

describe('PLL divider search (ESP-Miner pll_get_parameters)', () => {
  it('reproduces the exact bytes of every derived and source-test row', () => {
    const pinned = rows.filter((r) => !r.kind.startsWith('captured'));
    expect(pinned.length).toBeGreaterThan(30);
    for (const r of pinned) {
      const s = pllForFrequency(r.chip, r.target);
      expect(bytesToHex(s.bytes), `${r.chip} ${r.target}`).toBe(r.bytes);
      expect(s.actualMhz).toBeCloseTo(r.actual, 3);
    }
  });

  it('gets within a step of every captured (older algorithm) row', () => {
    for (const r of rows.filter((x) => x.kind.startsWith('captured'))) {
      expect(Math.abs(pllForFrequency(r.chip, r.target).actualMhz - r.target)).toBeLessThan(1);
    }
  });

  it('refuses a frequency no divider set can reach', () => {
    expect(() => pllForFrequency('BM1370', 5000)).toThrow(RangeError);
  });
});

describe('PLL register encode/decode', () => {
  it('decodes every row (captured ones too) to its actual frequency and dividers', () => {
    for (const r of rows) {
      const d = decodePll(r.chip, hexToBytes(r.bytes));
      expect(d, r.bytes).toBeDefined();
      expect(d?.actualMhz).toBeCloseTo(r.actual, 3);
      expect([d?.fbDiv, d?.refDiv, d?.postDiv1, d?.postDiv2]).toEqual([r.fb, r.ref, r.pd1, r.pd2]);
    }
  });

  it('encodes explicit dividers to the captured bytes (VCO flag, post-divider rule per model)', () => {
    for (const r of rows) {
      expect(bytesToHex(pllSetting(r.chip, r.fb, r.ref, r.pd1, r.pd2).bytes), `${r.chip} ${r.target}`).toBe(
        r.bytes,
      );
    }
    // cgminer BM1397 200 MHz: post dividers as-is, flag 0x40 (command_frames.csv)
    expect(bytesToHex(pllSetting('BM1397', 240, 2, 3, 5).bytes)).toBe('40f00235');
  });

  it('refuses a zero divider on decode', () => {
    expect(decodePll('BM1370', hexToBytes('40A00030'))).toBeUndefined();
  });

  it('every model has an fbDiv range the default frequency fits', () => {
    for (const spec of Object.values(CHIPS)) {
      expect(pllForFrequency(spec.model, spec.defaultMhz).actualMhz).toBeCloseTo(spec.defaultMhz, 6);
    }
  });
});

describe('frequency ramp (§5.3)', () => {
  it('goes 50 -> 525 in 76 writes of 6.25 MHz', () => {
    const steps = rampSteps(50, 525);
    expect(steps).toHaveLength(76);
    expect(steps[0]).toBe(56.25);
    expect(steps[1]).toBe(62.5);
    expect(steps.at(-1)).toBe(525);
  });

  it('adds the exact target when it is off the grid, and steps down with ceil', () => {
    expect(rampSteps(50, 70)).toEqual([56.25, 62.5, 68.75, 70]);
    expect(rampSteps(100, 80)).toEqual([93.75, 87.5, 81.25, 80]);
  });

  it('writes once for a change under a step, never for no change', () => {
    expect(rampSteps(500, 503)).toEqual([503]);
    expect(rampSteps(500, 500)).toEqual([]);
  });
});
