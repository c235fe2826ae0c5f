import { describe, expect, it } from 'vitest';
import {
  type Command,
  chainInactive,
  jobFull,
  jobMidstate,
  parseCommand,
  readRegister,
  setChipAddress,
  writeRegister,
} from '../../../drivers/bm13xx/commands.js';
import { crc16 } from '../../../drivers/bm13xx/crc.js';
import { REGISTERS } from '../../../drivers/bm13xx/registers.js';
import { bytesToHex, hexToBytes } from '../../../src/bytes/hex.js';
import { readVectorCsv, readVectorJson } from '../../helpers/vectors.js';

const hex = (s: string): string => s.replace(/ /g, '').toLowerCase();

function encode(c: Command): Uint8Array {
  switch (c.type) {
    case 'setAddress':
      return setChipAddress(c.address);
    case 'writeRegister':
      return writeRegister(c.target, c.reg, c.value);
    case 'readRegister':
      return readRegister(c.target, c.reg);
    case 'chainInactive':
      return chainInactive();
    case 'jobFull':
      return jobFull(c.job);
    case 'jobMidstate':
      return jobMidstate(c.job);
  }
}

describe('command encoders vs command_frames.csv', () => {
  it('encodes the documented literals byte for byte', () => {
    expect(bytesToHex(readRegister('all', 0x00))).toBe(hex('55 AA 52 05 00 00 0A'));
    expect(bytesToHex(readRegister(0x02, 0x00))).toBe(hex('55 AA 42 05 02 00 13'));
    expect(bytesToHex(chainInactive())).toBe(hex('55 AA 53 05 00 00 03'));
    const addrCrc: Record<number, string> = { 0: '1c', 2: '01', 4: '03', 6: '1e', 8: '07' };
    for (const [a, crc] of Object.entries(addrCrc)) {
      expect(bytesToHex(setChipAddress(Number(a)))).toBe(
        `55aa4005${Number(a).toString(16).padStart(2, '0')}00${crc}`,
      );
    }
    expect(bytesToHex(writeRegister('all', 0xa4, 0x9000ffff))).toBe(hex('55 AA 51 09 00 A4 90 00 FF FF 1C'));
    expect(bytesToHex(writeRegister('all', 0x28, 0x11300200))).toBe(hex('55 AA 51 09 00 28 11 30 02 00 03'));
    expect(bytesToHex(writeRegister('all', 0x14, REGISTERS.TICKET_MASK.encode(256)))).toBe(
      hex('55 AA 51 09 00 14 00 00 00 FF 08'),
    );
    expect(bytesToHex(writeRegister(0x00, 0x2c, 0x007c0003))).toBe(hex('55 AA 41 09 00 2C 00 7C 00 03 03'));
    expect(bytesToHex(writeRegister(0x01, 0x00, 0x13700001))).toBe(hex('55 AA 41 09 01 00 13 70 00 01 0A'));
  });

  it('parses every captured frame and re-encodes it to the same bytes', () => {
    const rows = readVectorCsv('bm13xx/command_frames.csv');
    for (const row of rows) {
      const frame = hexToBytes(row['frame_hex'] ?? '');
      const r = parseCommand(frame);
      expect(r.kind, row['frame_hex']).toBe('ok');
      if (r.kind !== 'ok') continue;
      expect(r.length).toBe(frame.length);
      expect(bytesToHex(encode(r.command))).toBe(bytesToHex(frame));
    }
  });

  it('parses captured frames into the fields the sources describe', () => {
    const p = (s: string) => parseCommand(hexToBytes(s));
    expect(p('55 AA 51 09 00 A4 90 00 FF FF 1C')).toMatchObject({
      kind: 'ok',
      command: { type: 'writeRegister', target: 'all', reg: 0xa4, value: 0x9000ffff },
    });
    expect(p('55 AA 41 09 00 A8 00 07 01 F0 15')).toMatchObject({
      command: { type: 'writeRegister', target: 0, reg: 0xa8, value: 0x000701f0 },
    });
    expect(p('55 AA 40 05 06 00 1E')).toMatchObject({ command: { type: 'setAddress', address: 6 } });
    expect(p('55 AA 42 05 02 00 13')).toMatchObject({ command: { type: 'readRegister', target: 2, reg: 0 } });
    expect(p('55 AA 53 05 00 00 03')).toMatchObject({ command: { type: 'chainInactive' } });
  });

  it('reports incomplete input, a bad CRC and junk as values with a resync hint', () => {
    expect(parseCommand(hexToBytes('55 AA 51 09 00 A4'))).toEqual({ kind: 'incomplete' });
    expect(parseCommand(hexToBytes('55'))).toEqual({ kind: 'incomplete' });
    expect(parseCommand(hexToBytes('55 AA 51 09 00 A4 90 00 FF FF 1D'))).toEqual({
      kind: 'invalid',
      reason: 'crc',
      skip: 1,
    });
    expect(parseCommand(hexToBytes('00 55 AA 53'))).toMatchObject({ kind: 'invalid', skip: 1 });
    expect(parseCommand(hexToBytes('55 AA 51 07 00 A4 90 00 FF FF 1C'))).toMatchObject({ reason: 'length' });
  });
});

interface RoundTrip {
  job_frame_hex: string;
  job_header_byte: string;
  rebuilt_header_hex: string;
  stratum_notify: { version: string; prevhash: string };
}

describe('job frames vs job_frames.json', () => {
  const { frames } = readVectorJson<{ frames: { frame_hex: string; chip: string }[] }>(
    'bm13xx/job_frames.json',
  );

  it('builds the BM1370 capture job (id 0x68, CRC 72 1C) from header fields', () => {
    const rt = readVectorJson<RoundTrip>('bm13xx/bm1370_roundtrip.json');
    const header = hexToBytes(rt.rebuilt_header_hex);
    const view = new DataView(header.buffer);
    // The stratum prevhash with each 4-byte word byte-swapped is header order (§7.1).
    const stratumPrev = hexToBytes(rt.stratum_notify.prevhash);
    const prevFromStratum = new Uint8Array(32);
    for (let i = 0; i < 32; i++) prevFromStratum[i] = stratumPrev[(i & ~3) + 3 - (i & 3)] ?? 0;
    expect(bytesToHex(header.subarray(4, 36))).toBe(bytesToHex(prevFromStratum));
    const frame = jobFull({
      jobId: Number.parseInt(rt.job_header_byte, 16),
      nbits: view.getUint32(72, true),
      ntime: view.getUint32(68, true),
      merkleRoot: header.subarray(36, 68),
      prevHash: prevFromStratum,
      version: Number.parseInt(rt.stratum_notify.version, 16),
    });
    expect(bytesToHex(frame)).toBe(hex(rt.job_frame_hex));
  });

  it('parses all three job frames and re-encodes them exactly', () => {
    for (const f of frames) {
      const r = parseCommand(hexToBytes(f.frame_hex));
      expect(r.kind).toBe('ok');
      if (r.kind === 'ok') expect(bytesToHex(encode(r.command))).toBe(hex(f.frame_hex));
    }
  });

  it('parses the second BM1370 capture into its header fields', () => {
    const r = parseCommand(hexToBytes(frames[1]?.frame_hex ?? ''));
    expect(r).toMatchObject({
      kind: 'ok',
      length: 88,
      command: {
        type: 'jobFull',
        job: { jobId: 0x18, version: 0x20000000, nbits: 0x1701fa38, ntime: 0x68d617dc },
      },
    });
  });

  it('frames a job by the chip format even with the factory LEN byte 0x36', () => {
    // LEN sits under the CRC16, so a factory-style frame is rebuilt with LEN 0x36 and a fresh CRC.
    const frame = hexToBytes(frames[0]?.frame_hex ?? '');
    frame[3] = 0x36;
    const crc = crc16(frame.subarray(2, 86));
    frame[86] = crc >> 8;
    frame[87] = crc & 0xff;
    expect(parseCommand(frame)).toMatchObject({ kind: 'invalid', reason: 'job length' });
    expect(parseCommand(frame, { jobFormat: 'full' })).toMatchObject({
      kind: 'ok',
      length: 88,
      command: { type: 'jobFull', job: { jobId: 0x68 } },
    });
  });

  it('builds the BM1397 midstate job (4 declared midstates, slot 0 filled, CRC 6B 1D)', () => {
    const v = readVectorJson<{
      midstate_state_words_big_endian: string;
      merkle4_wire: string;
      nbits: string;
      ntime: string;
      job_frame_hex: string;
    }>('bm13xx/bm1397_midstate.json');
    const frame = jobMidstate({
      jobId: 0x04,
      numMidstates: 4,
      nbits: Number.parseInt(v.nbits, 16),
      ntime: Number.parseInt(v.ntime, 16),
      merkle4: hexToBytes(v.merkle4_wire),
      midstates: [hexToBytes(v.midstate_state_words_big_endian)],
    });
    expect(bytesToHex(frame)).toBe(hex(v.job_frame_hex));
  });
});
