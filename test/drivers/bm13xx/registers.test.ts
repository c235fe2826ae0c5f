import { describe, expect, it } from 'vitest';
import {
  REGISTERS,
  registerName,
  ticketDifficulty,
  uartBaudFromRegister,
} from '../../../drivers/bm13xx/registers.js';
import { bytesToHex, hexToBytes } from '../../../src/bytes/hex.js';
import { readVectorCsv } from '../../helpers/vectors.js';

describe('TICKET_MASK (0x14)', () => {
  const rows = readVectorCsv('bm13xx/ticket_mask.csv');

  it('encodes every difficulty of ticket_mask.csv to its wire bytes', () => {
    expect(rows.length).toBeGreaterThan(10);
    for (const row of rows) {
      const d = Number(row['difficulty']);
      expect(bytesToHex(REGISTERS.TICKET_MASK.encode(d)), `D=${d}`).toBe(
        (row['register_wire_bytes'] ?? '').replace(/ /g, '').toLowerCase(),
      );
    }
  });

  it('decodes the wire bytes back to the difficulty', () => {
    for (const row of rows) {
      expect(REGISTERS.TICKET_MASK.decode(hexToBytes(row['register_wire_bytes'] ?? ''))).toBe(
        Number(row['difficulty']),
      );
    }
  });

  it('rounds a non-power-of-two difficulty down after ceil, like ESP-Miner', () => {
    expect(ticketDifficulty(300)).toBe(256);
    expect(ticketDifficulty(255.5)).toBe(256);
    expect(ticketDifficulty(254)).toBe(128);
    expect(ticketDifficulty(0.3)).toBe(1);
  });
});

describe('structured registers', () => {
  it('MIDSTATE_CONFIG 0x9000FFFF is the full mask 0x1FFFE000', () => {
    expect(REGISTERS.MIDSTATE_CONFIG.decode(hexToBytes('9000FFFF'))).toEqual({
      control: 0x9000,
      mask: 0x1fffe000,
    });
    expect(bytesToHex(REGISTERS.MIDSTATE_CONFIG.encode({ control: 0x9000, mask: 0x1fffe000 }))).toBe(
      '9000ffff',
    );
  });

  it('CHIP_ID decodes type, core byte and address', () => {
    expect(REGISTERS.CHIP_ID.decode(hexToBytes('13620300'))).toEqual({
      chipId: 0x1362,
      coreNum: 3,
      address: 0,
    });
  });

  it('PLL0 decodes the bit fields of 50 D2 02 40', () => {
    expect(REGISTERS.PLL0.decode(hexToBytes('50D20240'))).toEqual({
      locked: false,
      enabled: true,
      vcoHigh: true,
      fbDiv: 210,
      refDiv: 2,
      postDiv1Field: 4,
      postDiv2Field: 0,
    });
  });

  it('UART_BAUD divider gives the documented rates', () => {
    expect(uartBaudFromRegister(0x11300200)).toBe(1_041_667);
    expect(uartBaudFromRegister(0x01300000)).toBe(3_125_000);
    expect(uartBaudFromRegister(0x01301a00)).toBe(115_741);
  });

  it('names addresses from the table and formats unknown ones', () => {
    expect(registerName(0xa4)).toBe('MIDSTATE_CONFIG');
    expect(registerName(0xfe)).toBe('REG_0xFE');
  });
});
