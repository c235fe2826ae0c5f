import { describe, expect, it } from 'vitest';
import { crc5, crc16 } from '../../../drivers/bm13xx/crc.js';
import { hexToBytes } from '../../../src/bytes/hex.js';
import { readVectorCsv, readVectorJson } from '../../helpers/vectors.js';

describe('crc5', () => {
  it('has the documented check value CRC5(52 05 00 00) = 0x0A', () => {
    expect(crc5(hexToBytes('52050000'))).toBe(0x0a);
  });

  it('reproduces the CRC byte of every captured and derived command frame', () => {
    const rows = readVectorCsv('bm13xx/command_frames.csv');
    expect(rows.length).toBeGreaterThan(30);
    for (const row of rows) {
      const frame = hexToBytes(row['frame_hex'] ?? '');
      const body = frame.subarray(2, frame.length - 1);
      expect(crc5(body), row['frame_hex']).toBe(frame[frame.length - 1]);
    }
  });

  it('checks every captured response both ways: payload+TYPE bits, and whole-frame residue 0', () => {
    for (const row of readVectorCsv('bm13xx/response_frames.csv')) {
      const frame = hexToBytes(row['frame_hex'] ?? '');
      const last = frame[frame.length - 1] ?? 0;
      expect(crc5(frame.subarray(2), (frame.length - 3) * 8 + 3)).toBe(Number(row['crc5']));
      expect(last & 0x1f).toBe(Number(row['crc5']));
      expect(crc5(frame.subarray(2))).toBe(0);
    }
  });

  it('rejects a bit length beyond the input', () => {
    expect(() => crc5(new Uint8Array(1), 9)).toThrow(RangeError);
  });
});

describe('crc16 (CCITT-FALSE)', () => {
  it('has the catalogue check value 0x29B1 for "123456789"', () => {
    expect(crc16(new TextEncoder().encode('123456789'))).toBe(0x29b1);
  });

  it('reproduces the CRC16 of every job frame vector', () => {
    const { frames } = readVectorJson<{ frames: { frame_hex: string; crc16: string }[] }>(
      'bm13xx/job_frames.json',
    );
    expect(frames).toHaveLength(3);
    for (const f of frames) {
      const frame = hexToBytes(f.frame_hex);
      expect(crc16(frame.subarray(2, frame.length - 2))).toBe(Number.parseInt(f.crc16, 16));
    }
  });
});
