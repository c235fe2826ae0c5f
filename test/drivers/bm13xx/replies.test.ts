import { describe, expect, it } from 'vitest';
import { addressInterval, CHIPS, chipIndexFromNonce, isChipModel } from '../../../drivers/bm13xx/chips.js';
import {
  decodeReply,
  encodeNonceReply,
  encodeRegisterReply,
  type NonceReply,
  replyCrcOk,
} from '../../../drivers/bm13xx/replies.js';
import { bytesToHex, hexToBytes } from '../../../src/bytes/hex.js';
import { DecodeError } from '../../../src/errors.js';
import { readVectorCsv } from '../../helpers/vectors.js';

const rows = readVectorCsv('bm13xx/response_frames.csv');
const int = (s: string | undefined): number => Number.parseInt(s ?? '', 16);

describe('decodeReply vs response_frames.csv', () => {
  it('decodes register answers (9 and 11 bytes)', () => {
    const regs = rows.filter((r) => r['type'] === '0');
    expect(regs.length).toBe(3);
    for (const r of regs) {
      const model = r['chip'] ?? '';
      if (!isChipModel(model)) throw new Error(model);
      expect(decodeReply(hexToBytes(r['frame_hex'] ?? ''), model)).toEqual({
        kind: 'register',
        value: int(r['register_value']),
        chipAddress: int(r['chip_addr']),
        reg: int(r['reg_addr']),
      });
    }
  });

  it('decodes every captured nonce into the fields the captures document', () => {
    const nonces = rows.filter((r) => r['type'] === '4');
    expect(nonces.length).toBe(8);
    for (const r of nonces) {
      const model = r['chip'] ?? '';
      if (!isChipModel(model)) throw new Error(model);
      const d = decodeReply(hexToBytes(r['frame_hex'] ?? ''), model) as NonceReply;
      const what = r['frame_hex'];
      expect(d.kind, what).toBe('nonce');
      expect(d.nonce, what).toBe(int(r['header_nonce']));
      expect(d.nonceBe, what).toBe(int(r['nonce_msb_first']));
      expect(d.coreId, what).toBe(Number(r['core_id']));
      expect(d.midstateNum, what).toBe(int(r['byte6']));
      expect(d.resultHeader, what).toBe(int(r['result_header']));
      expect(d.jobId, what).toBe(Number(r['esp_job_id']));
      expect(d.subcore, what).toBe(Number(r['subcore']));
      expect(d.versionField, what).toBe(int(r['version_field']));
      expect(d.rolledBits, what).toBe(int(r['rolled_bits']));
    }
  });

  it('gives the BM1362 capture chip address 0xDC from the nonce, and none on BM1370', () => {
    const bm1362 = rows.find((r) => r['chip'] === 'BM1362');
    const d = decodeReply(hexToBytes(bm1362?.['frame_hex'] ?? ''), 'BM1362') as NonceReply;
    // ESP-Miner: (nonce_be >> 17) & 0xFF = the chip address; S19j Pro chains use interval 2.
    expect(d.addressField).toBe(int(bm1362?.['chip_addr_from_nonce']));
    expect(chipIndexFromNonce(CHIPS.BM1362, d.nonceBe, 2)).toBe(0xdc / 2);
    expect(chipIndexFromNonce(CHIPS.BM1370, d.nonceBe, addressInterval(2))).toBeUndefined();
  });

  it('maps nonces from chips at odd addresses back to their own chip (address bit 0 is not carried)', () => {
    // BM1366 x3: interval 85, addresses 0x00, 0x55, 0xAA. Bits 24..18 carry address bits 7..1 and
    // bit 17 is a counter bit, so chip 1 shows up as 0x54 or 0x55 in the address field.
    const interval = addressInterval(3);
    expect(interval).toBe(85);
    const withField = (field: number): number => (0x26 << 25) | ((field & 0xff) << 17) | 0x1234;
    expect(chipIndexFromNonce(CHIPS.BM1366, withField(0x54), interval)).toBe(1);
    expect(chipIndexFromNonce(CHIPS.BM1366, withField(0x55), interval)).toBe(1);
    expect(chipIndexFromNonce(CHIPS.BM1366, withField(0xaa), interval)).toBe(2);
    expect(chipIndexFromNonce(CHIPS.BM1366, withField(0xab), interval)).toBe(2);
    expect(chipIndexFromNonce(CHIPS.BM1366, withField(0x01), interval)).toBe(0);
  });

  it('throws DecodeError on a flipped bit, a short frame and a wrong preamble', () => {
    const good = hexToBytes('AA 55 4C 03 52 75 0C D2 05 A2 9C');
    expect(replyCrcOk(good)).toBe(true);
    const flipped = Uint8Array.from(good);
    flipped[4] = (flipped[4] ?? 0) ^ 0x10;
    expect(replyCrcOk(flipped)).toBe(false);
    expect(() => decodeReply(flipped, 'BM1370')).toThrow(DecodeError);
    expect(() => decodeReply(good.subarray(0, 10), 'BM1370')).toThrow(/9 or 11 bytes/);
    const pre = Uint8Array.from(good);
    pre[0] = 0x55;
    expect(() => decodeReply(pre, 'BM1370')).toThrow(/AA 55/);
  });
});

describe('reply encoders reproduce the captures', () => {
  it('re-encodes every register answer', () => {
    for (const r of rows.filter((x) => x['type'] === '0')) {
      const frame = hexToBytes(r['frame_hex'] ?? '');
      const bytes = encodeRegisterReply(
        { value: int(r['register_value']), chipAddress: int(r['chip_addr']), reg: int(r['reg_addr']) },
        frame.length as 9 | 11,
      );
      expect(bytesToHex(bytes)).toBe(bytesToHex(frame));
    }
  });

  it('re-encodes every nonce from header nonce, byte 6, job id + sub-core and version field', () => {
    for (const r of rows.filter((x) => x['type'] === '4')) {
      const model = r['chip'] ?? '';
      if (!isChipModel(model)) throw new Error(model);
      const rh = CHIPS[model].jobId.toReply(Number(r['esp_job_id']), Number(r['subcore']));
      expect(rh).toBe(int(r['result_header']));
      const bytes = encodeNonceReply(
        {
          nonce: int(r['header_nonce']),
          midstateNum: int(r['byte6']),
          resultHeader: rh,
          versionField: int(r['version_field']),
        },
        11,
      );
      expect(bytesToHex(bytes)).toBe(bytesToHex(hexToBytes(r['frame_hex'] ?? '')));
    }
  });

  it('builds a 9-byte BM1397 nonce whose midstate index and job id decode back', () => {
    const rh = CHIPS.BM1397.jobId.toReply(0x2c, 3);
    const frame = encodeNonceReply({ nonce: 0x12345678, midstateNum: 0, resultHeader: rh }, 9);
    const d = decodeReply(frame, 'BM1397') as NonceReply;
    expect([d.kind, d.jobId, d.subcore, d.nonce, d.versionField]).toEqual([
      'nonce',
      0x2c,
      3,
      0x12345678,
      undefined,
    ]);
    expect(frame[8] ?? 0).toBeGreaterThanOrEqual(0x80);
  });
});
