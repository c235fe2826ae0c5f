import { describe, expect, it } from 'vitest';
import { CHIPS } from '../../../drivers/bm13xx/chips.js';
import { JobRing } from '../../../drivers/bm13xx/job-ring.js';
import { readVectorJson } from '../../helpers/vectors.js';

describe('chip job-id sequences (§7.4)', () => {
  it('BM1370 cycles 16 ids in steps of 24 and includes the captured id 0x68', () => {
    const seq = CHIPS.BM1370.jobId.sequence;
    expect(seq.slice(0, 6)).toEqual([24, 48, 72, 96, 120, 16]);
    expect(new Set(seq).size).toBe(16);
    expect(seq.every((id) => (id & 0x87) === 0)).toBe(true); // bits 6..3 only
    const rt = readVectorJson<{ job_header_byte: string }>('bm13xx/bm1370_roundtrip.json');
    expect(seq).toContain(Number.parseInt(rt.job_header_byte, 16));
  });

  it('BM1366 steps by 8 (16 ids), BM1397 by 4 (32 ids)', () => {
    expect(CHIPS.BM1366.jobId.sequence).toEqual(Array.from({ length: 16 }, (_, i) => ((i + 1) * 8) % 128));
    expect(CHIPS.BM1397.jobId.sequence).toHaveLength(32);
    expect(CHIPS.BM1397.jobId.sequence.every((id) => id % 4 === 0)).toBe(true);
  });
});

describe('JobRing', () => {
  it('hands out ids in chip order and looks them up', () => {
    const ring = new JobRing<string>(CHIPS.BM1370.jobId.sequence);
    expect(ring.next('a', false)).toBe(24);
    expect(ring.next('b', false)).toBe(48);
    expect(ring.get(24)).toBe('a');
    expect(ring.get(48)).toBe('b');
    expect(ring.get(72)).toBeUndefined();
  });

  it('retires earlier slots on clean', () => {
    const ring = new JobRing<string>([8, 16, 24]);
    ring.next('a', false);
    ring.next('b', false);
    expect(ring.next('c', true)).toBe(24);
    expect([ring.get(8), ring.get(16), ring.get(24)]).toEqual([undefined, undefined, 'c']);
  });

  it('overwrites a slot when its id comes round again', () => {
    const ring = new JobRing<string>([8, 16]);
    ring.next('a', false);
    ring.next('b', false);
    expect(ring.next('c', false)).toBe(8);
    expect(ring.get(8)).toBe('c');
    expect(ring.size).toBe(2);
  });
});
