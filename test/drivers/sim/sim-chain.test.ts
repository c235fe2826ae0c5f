/**
 * SimChain and SimChip against captured bytes (command_frames.csv, response_frames.csv): chip-id
 * answers byte for byte, address assignment, register read-back, bad CRC ignored, baud mismatch,
 * reset. Frames the host sends are the vector literals, not our encoders' output.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { readRegister, writeRegister } from '../../../drivers/bm13xx/commands.js';
import { decodeReply, type RegisterReply, replyCrcOk } from '../../../drivers/bm13xx/replies.js';
import { SimChain, type SimChainOptions } from '../../../drivers/sim/sim-chain.js';
import { bytesToHex, hexToBytes } from '../../../src/bytes/hex.js';
import { bm13xxCommandVector, readVectorCsv } from '../../helpers/vectors.js';

const responses = readVectorCsv('bm13xx/response_frames.csv');

/** A command frame from the vectors, found by its description. */
const cmd = bm13xxCommandVector;

function resp(note: string): string {
  const row = responses.find((r) => (r['note'] ?? '').startsWith(note));
  if (row === undefined) throw new Error(`no response vector "${note}"`);
  return bytesToHex(hexToBytes(row['frame_hex'] ?? ''));
}

const READ_CHIP_ID = 'broadcast read register 0x00 (CHIP_ID)';
const VERSION_MASK = 'broadcast write 0xA4';

const open: SimChain[] = [];
afterEach(() => {
  for (const chain of open.splice(0)) chain.close();
});

/** A chain plus everything it sent to the host. */
function harness(options: Partial<SimChainOptions> & { chipCount?: number } = {}) {
  const chain = new SimChain({ model: 'BM1370', chipCount: 1, ...options });
  open.push(chain);
  const rx: number[] = [];
  chain.onData((bytes) => rx.push(...bytes));
  return {
    chain,
    rx,
    /** Sends frames, waits for the replies to land, returns and clears what arrived. */
    async send(...frames: Uint8Array[]): Promise<Uint8Array> {
      for (const f of frames) chain.write(f);
      await settle();
      return Uint8Array.from(rx.splice(0));
    },
  };
}

/**
 * With no delay: until the replies already queued have landed. The sim delivers each reply in a
 * setImmediate queued when the command was written; an immediate queued now runs after them,
 * however late the machine runs it (a zero timeout could come first on a starved loop).
 */
function settle(ms = 0): Promise<void> {
  return new Promise((resolve) => (ms === 0 ? setImmediate(resolve) : setTimeout(resolve, ms)));
}

function frames(bytes: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i + size <= bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

describe('SimChip registers', () => {
  it('answers the captured chip-id read in 9 bytes, then 11 after 0xA4', async () => {
    const h = harness();
    expect(bytesToHex(await h.send(cmd(READ_CHIP_ID)))).toBe(resp('9-byte chip-id reply'));
    expect(bytesToHex(await h.send(cmd(VERSION_MASK), cmd(READ_CHIP_ID)))).toBe(
      resp('11-byte chip-id reply'),
    );
  });

  it('answers the captured power-on MISC_CONTROL read', async () => {
    const h = harness();
    expect(bytesToHex(await h.send(readRegister('all', 0x18)))).toBe(resp('9-byte read of MISC_CONTROL'));
  });

  it('writes a register and reads it back with a valid CRC5', async () => {
    const h = harness();
    const reply = await h.send(
      cmd('broadcast write 0x14 TICKET_MASK for difficulty 256'),
      readRegister('all', 0x14),
    );
    expect(reply).toHaveLength(9);
    expect(replyCrcOk(reply)).toBe(true);
    expect(bytesToHex(reply.subarray(2, 8))).toBe('000000ff0014');
    expect(h.chain.chips[0]?.ticketDifficulty).toBe(256);
  });

  it('ignores a command whose CRC5 is wrong, as the silicon does', async () => {
    const h = harness();
    const bad = cmd('broadcast write 0x14 TICKET_MASK for difficulty 256');
    bad[bad.length - 1] = (bad[bad.length - 1] ?? 0) ^ 0x01;
    const badRead = cmd(READ_CHIP_ID);
    badRead[badRead.length - 1] = 0x0b;
    expect(await h.send(bad, badRead)).toHaveLength(0);
    expect(h.chain.chips[0]?.reg(0x14)).toBe(0);
    expect(h.chain.stats().badFrames).toBe(2);
    // The stream resyncs: the next good frame is answered.
    expect(await h.send(cmd(READ_CHIP_ID))).toHaveLength(9);
  });

  it('survives junk and split writes between frames', async () => {
    const h = harness();
    const read = cmd(READ_CHIP_ID);
    h.chain.write(Uint8Array.of(0x00, 0x13, 0x55));
    h.chain.write(read.subarray(0, 3));
    expect(await h.send(read.subarray(3))).toHaveLength(9);
  });
});

describe('SimChain addressing', () => {
  it('gives addresses in chain order after chain-inactive', async () => {
    const h = harness({ chipCount: 4 });
    const discovery = await h.send(cmd(READ_CHIP_ID));
    expect(frames(discovery, 9).map((f) => bytesToHex(f))).toEqual(
      Array(4).fill(resp('9-byte chip-id reply')),
    );
    await h.send(
      cmd('chain inactive'),
      cmd('set chip address 0x00'),
      cmd('set chip address 0x02'),
      cmd('set chip address 0x04'),
      cmd('set chip address 0x06'),
    );
    expect(h.chain.chips.map((c) => c.address)).toEqual([0, 2, 4, 6]);
    const all = frames(await h.send(cmd(READ_CHIP_ID)), 9).map(
      (f) => decodeReply(f, 'BM1370') as RegisterReply,
    );
    expect(all.map((r) => [r.value & 0xff, r.chipAddress])).toEqual([
      [0, 0],
      [2, 2],
      [4, 4],
      [6, 6],
    ]);
    const one = await h.send(cmd('read register 0x00 of chip at address 0x02'));
    expect(one).toHaveLength(9);
    expect((decodeReply(one, 'BM1370') as RegisterReply).chipAddress).toBe(2);
    // Per-chip write reaches only chip 0x04.
    await h.send(writeRegister(4, 0x14, 0x000000ff));
    expect(h.chain.chips.map((c) => c.reg(0x14))).toEqual([0, 0, 0xff, 0]);
  });

  it('ignores set-address when no chip is in addressing mode', async () => {
    const h = harness({ chipCount: 2 });
    await h.send(cmd('set chip address 0x02'));
    expect(h.chain.chips.map((c) => c.address)).toEqual([0, 0]);
  });
});

describe('SimChain baud', () => {
  const BAUD_1M = 'broadcast write 0x28 UART_BAUD = 0x11300200';

  it('goes deaf when the host rate differs from the chips, both ways', async () => {
    const h = harness({ chipCount: 2 });
    await h.send(cmd(BAUD_1M));
    expect(h.chain.chips.map((c) => c.baud)).toEqual([1_041_667, 1_041_667]);
    // Host still at 115200: commands are lost, and replies (if any) are noise.
    const heard = await h.send(cmd(READ_CHIP_ID));
    expect(heard).toHaveLength(0);
    expect(h.chain.linkOk).toBe(false);
    h.chain.setHostBaud(1_000_000);
    expect(h.chain.linkOk).toBe(true);
    expect(await h.send(cmd(READ_CHIP_ID))).toHaveLength(18);
  });

  it('loses the baud write itself when the host switches first (init-order bug)', async () => {
    const h = harness();
    h.chain.setHostBaud(1_000_000);
    await h.send(cmd(BAUD_1M), cmd(READ_CHIP_ID));
    expect(h.chain.chips[0]?.baud).toBe(115_741);
    expect(h.chain.stats().lostBytes).toBeGreaterThan(0);
  });
});

describe('SimChain reset', () => {
  it('puts every chip back to power-on state and stops hashing', async () => {
    const h = harness({ chipCount: 2, hashrate: 50_000 });
    await h.send(
      cmd(VERSION_MASK),
      cmd('chain inactive'),
      cmd('set chip address 0x00'),
      cmd('set chip address 0x02'),
      cmd('broadcast write 0x28 UART_BAUD = 0x11300200'),
    );
    h.chain.setHostBaud(1_000_000);
    h.chain.write(hexToBytes(JOB_1370));
    await settle(120);
    const before = h.chain.stats().hashes;
    expect(before).toBeGreaterThan(0);
    expect(h.chain.chips.every((c) => c.hashing)).toBe(true);
    h.chain.reset();
    expect(h.chain.chips.some((c) => c.hashing)).toBe(false);
    await settle(100);
    expect(h.chain.stats().hashes).toBe(before);
    expect(h.chain.chips.map((c) => [c.address, c.baud, c.replyLength])).toEqual([
      [0, 115_741, 9],
      [0, 115_741, 9],
    ]);
    // The host must drop back to the reset rate (bm13xx.md §6).
    h.chain.setHostBaud(115_200);
    expect(await h.send(cmd(READ_CHIP_ID))).toHaveLength(18);
  });
});

/** The captured BM1370 job (bm1370_roundtrip.json / job_frames.json). */
const JOB_1370 =
  '55 AA 21 56 68 01 00 00 00 00 04 3A 02 17 D7 68 54 68 55 19 A7 CB 04 4F 88 72 63 55 91 9E 61 A9 8B CF 71 A0 C2 87 95 EA 54 DB 8C 36 41 4B 06 DD F5 F0 00 00 00 00 00 00 00 00 96 52 01 00 1D 39 96 BC A3 F4 67 0D FC D4 F2 01 C1 62 B9 6D FD 55 64 6B 00 00 00 20 72 1C';

describe('SimChain runtime faults', () => {
  it('silences, spoils and heals one chip while the chain runs', async () => {
    const h = harness({ chipCount: 2 });
    const clean = await h.send(cmd(READ_CHIP_ID));
    expect(frames(clean, 9).map(bytesToHex)).toEqual([
      resp('9-byte chip-id reply'),
      resp('9-byte chip-id reply'),
    ]);
    h.chain.setFaults(1, { silent: true });
    expect(bytesToHex(await h.send(cmd(READ_CHIP_ID)))).toBe(resp('9-byte chip-id reply'));
    h.chain.setFaults(1, { flipByteRate: 1 });
    const spoiled = await h.send(cmd(READ_CHIP_ID));
    expect(spoiled).toHaveLength(18);
    expect(bytesToHex(spoiled.subarray(0, 9))).toBe(resp('9-byte chip-id reply'));
    expect(bytesToHex(spoiled.subarray(9))).not.toBe(resp('9-byte chip-id reply'));
    h.chain.setFaults(1, {});
    expect(bytesToHex(await h.send(cmd(READ_CHIP_ID)))).toBe(bytesToHex(clean));
  });

  it('a hung chip answers nothing until the chain is reset or loses power; a silent (dead) one stays silent', async () => {
    const h = harness({ chipCount: 3 });
    const one = resp('9-byte chip-id reply');
    h.chain.setFaults(1, { hung: true });
    h.chain.setFaults(2, { silent: true });
    expect(frames(await h.send(cmd(READ_CHIP_ID)), 9).map(bytesToHex)).toEqual([one]);
    h.chain.reset(); // NRST pulse
    expect(frames(await h.send(cmd(READ_CHIP_ID)), 9).map(bytesToHex)).toEqual([one, one]);
    h.chain.setFaults(1, { hung: true });
    h.chain.setPowered(false); // the core rail drops
    h.chain.setPowered(true);
    expect(frames(await h.send(cmd(READ_CHIP_ID)), 9).map(bytesToHex)).toEqual([one, one]);
  });

  it('refuses a chip going missing at runtime and a position that is not there', () => {
    const h = harness({ chipCount: 2 });
    expect(() => h.chain.setFaults(0, { missing: true })).toThrow('cannot go missing');
    expect(() => h.chain.setFaults(2, { silent: true })).toThrow('no chip at position 2');
  });
});
