import { describe, expect, it } from 'vitest';
import { CHIP_MODELS } from '../../../drivers/bm13xx/chips.js';
import { hashCountingNumber, initPlan } from '../../../drivers/bm13xx/init-plan.js';

const opts = { ticketDifficulty: 256, versionMaskValue: 0x9000ffff };

describe('hashCountingNumber (§8.3)', () => {
  it('gives the documented examples', () => {
    expect(hashCountingNumber('BM1370', 525, 1)).toBe(798_647); // 0x000C2FB7
    expect(hashCountingNumber('BM1366', 485, 1)).toBe(864_804); // 0x000D3224
    expect(hashCountingNumber('BM1362', 525, 126)).toBe(0x1381); // S19j Pro factory constant
    expect(hashCountingNumber('BM1397', 425, 1)).toBeUndefined();
  });
});

describe('initPlan (§4.2)', () => {
  it('every family enumerates once, addresses once, ramps once and switches baud once', () => {
    for (const model of CHIP_MODELS) {
      const ops = initPlan(model, opts).map((s) => s.op);
      for (const op of ['enumerate', 'chainInactive', 'assignAddresses', 'ramp', 'baud'] as const) {
        expect(
          ops.filter((o) => o === op),
          `${model} ${op}`,
        ).toHaveLength(1);
      }
      expect(ops.indexOf('enumerate')).toBeLessThan(ops.indexOf('chainInactive'));
      expect(ops.indexOf('chainInactive')).toBeLessThan(ops.indexOf('assignAddresses'));
    }
  });

  it('writes 0xA4 before discovery on BM1366+ (x3, x4 on BM1368) and never on the BM1397', () => {
    const a4Before = (model: (typeof CHIP_MODELS)[number]) => {
      const plan = initPlan(model, opts);
      const end = plan.findIndex((s) => s.op === 'enumerate');
      return plan.slice(0, end).filter((s) => s.op === 'write' && s.reg === 0xa4).length;
    };
    expect(a4Before('BM1370')).toBe(3);
    expect(a4Before('BM1366')).toBe(3);
    expect(a4Before('BM1368')).toBe(4);
    expect(a4Before('BM1362')).toBe(1);
    expect(a4Before('BM1397')).toBe(0);
    expect(initPlan('BM1397', opts).some((s) => s.op === 'write' && s.reg === 0xa4)).toBe(false);
  });

  it('BM1368 pauses after each chip; BM1362 goes fast before its ramp (factory order)', () => {
    expect(initPlan('BM1368', opts).find((s) => s.op === 'perChip')).toMatchObject({
      pause: 'perChipPauseMs',
    });
    const ops = initPlan('BM1362', opts).map((s) => s.op);
    expect(ops.indexOf('baud')).toBeLessThan(ops.indexOf('ramp'));
  });
});
