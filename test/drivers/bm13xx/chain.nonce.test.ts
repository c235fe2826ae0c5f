import { afterEach, describe, expect, it } from 'vitest';
import { Bm13xxChain } from '../../../drivers/bm13xx/chain.js';
import type { ChipModel } from '../../../drivers/bm13xx/chips.js';
import { CHIPS } from '../../../drivers/bm13xx/chips.js';
import { parseCommand } from '../../../drivers/bm13xx/commands.js';
import { pllProblem } from '../../../drivers/bm13xx/probe.js';
import { encodeNonceReply } from '../../../drivers/bm13xx/replies.js';
import { UartLink } from '../../../drivers/transport/uart-link.js';
import type { ChipWork, NonceResult } from '../../../drivers/types.js';
import { bytesToHex, hexToBytes } from '../../../src/bytes/hex.js';
import { readVectorJson } from '../../helpers/vectors.js';
import { FAST, fakeChips, h } from './chain-helpers.js';

const PATH = '/dev/ttyMOCK';
let chain: Bm13xxChain | undefined;
afterEach(async () => {
  await chain?.close();
  chain = undefined;
});

async function ready(model: ChipModel, chipId: number, mhz: number, registers: Record<number, number> = {}) {
  const chips = fakeChips(PATH, chipId, 1, registers);
  const c = new Bm13xxChain({
    index: 3,
    model,
    expectedChipCount: 1,
    link: new UartLink({ binding: chips.port.binding, path: PATH }),
    reset: async () => {},
    frequencyMhz: mhz,
    chipDifficulty: 256,
    workingBaud: CHIPS[model].baudOptions[0]?.hostBaud ?? 115_200,
    timing: FAST,
    now: () => 42,
  });
  chain = c;
  await c.init();
  const results: NonceResult[] = [];
  c.onNonce((r) => results.push(r));
  const sentFrames = () => chips.frames();
  const reply = async (bytes: Uint8Array) => {
    chips.port.port().emitData(Buffer.from(bytes));
    await new Promise((r) => setTimeout(r, 5));
  };
  return { c, results, sentFrames, reply };
}

/** Header-order 32 bytes from a stratum prevhash (each 4-byte word byte-swapped, §7.1). */
function stratumPrev(hex: string): Uint8Array {
  const s = hexToBytes(hex);
  return Uint8Array.from({ length: 32 }, (_, i) => s[(i & ~3) + 3 - (i & 3)] ?? 0);
}

interface RoundTrip {
  rebuilt_header_hex: string;
  job_frame_hex: string;
  nonce_frame_hex: string;
  rolled_version: string;
  mining_submit: { nonce: string; version_bits: string };
  stratum_notify: { prevhash: string; version: string };
  version_mask: string;
}

describe('Bm13xxChain work and nonces (BM1370 capture round trip)', () => {
  const rt = readVectorJson<RoundTrip>('bm13xx/bm1370_roundtrip.json');
  const header = hexToBytes(rt.rebuilt_header_hex);
  const view = new DataView(header.buffer);
  const work: ChipWork = {
    version: Number.parseInt(rt.stratum_notify.version, 16),
    versionMask: Number.parseInt(rt.version_mask, 16),
    prevHash: stratumPrev(rt.stratum_notify.prevhash),
    merkleRoot: header.slice(36, 68),
    ntime: view.getUint32(68, true),
    nbits: view.getUint32(72, true),
    workId: 77,
  };

  it('sends the captured job frame when the ring reaches id 0x68, and turns the captured nonce into a result', async () => {
    const { c, results, sentFrames, reply } = await ready('BM1370', 0x1370, 525);
    const before = sentFrames().length;
    // 0x68 is the 15th id of the step-24 sequence (24, 48, ..., 80, 104).
    expect(CHIPS.BM1370.jobId.sequence.indexOf(0x68)).toBe(14);
    for (let i = 0; i < 14; i++) await c.sendWork({ ...work, workId: i }, false);
    await c.sendWork(work, false);
    const frames = sentFrames().slice(before);
    expect(frames).toHaveLength(15); // the mask is the init mask: no extra 0xA4 write
    expect(frames.at(-1)).toBe(h(rt.job_frame_hex));

    await reply(hexToBytes(rt.nonce_frame_hex));
    expect(results).toHaveLength(1);
    const r = results[0];
    expect(r?.work.workId).toBe(77);
    expect(r?.nonce.toString(16).padStart(8, '0')).toBe(rt.mining_submit.nonce);
    expect(r?.version.toString(16).toUpperCase()).toBe(rt.rolled_version);
    expect(((r?.version ?? 0) ^ work.version).toString(16).padStart(8, '0')).toBe(
      rt.mining_submit.version_bits,
    );
    expect(r).toMatchObject({ chain: 3, chipIndex: 0, coreId: 38, receivedAt: 42 });
    expect(c.stats()).toMatchObject({ nonces: 1, stale: 0, jobsSent: 15 });
    expect(c.stats().chips[0]).toMatchObject({ nonces: 1, lastNonceAt: 42 });
  });

  it('counts a nonce for a retired job as stale after a clean job, never as a result', async () => {
    const { c, results, reply } = await ready('BM1370', 0x1370, 525);
    for (let i = 0; i < 15; i++) await c.sendWork({ ...work, workId: i }, false);
    await c.sendWork(work, true);
    await reply(hexToBytes(rt.nonce_frame_hex));
    expect(results).toHaveLength(0);
    expect(c.stats()).toMatchObject({ nonces: 0, stale: 1 });
  });

  it('re-sends 0xA4 before the job when the version mask changes', async () => {
    const { c, sentFrames } = await ready('BM1370', 0x1370, 525);
    const before = sentFrames().length;
    await c.sendWork({ ...work, versionMask: 0x00ffe000 }, false);
    const frames = sentFrames().slice(before);
    // 0x90000000 | (0x00FFE000 >> 13) = 0x900007FF (§4.4)
    expect(parseCommand(hexToBytes(frames[0] ?? ''))).toMatchObject({
      kind: 'ok',
      command: { type: 'writeRegister', target: 'all', reg: 0xa4, value: 0x900007ff },
    });
    expect(frames).toHaveLength(2);
  });

  it('counts CRC errors and junk from the line in the chain stats', async () => {
    const { c, results, reply } = await ready('BM1370', 0x1370, 525);
    await c.sendWork(work, false);
    const bad = hexToBytes(rt.nonce_frame_hex);
    bad[3] = (bad[3] ?? 0) ^ 1;
    await reply(Uint8Array.of(0x00, 0x11, ...bad));
    expect(results).toHaveLength(0);
    expect(c.stats()).toMatchObject({ crcErrors: 1 });
    // 2 junk bytes + the 10 bytes of the torn frame walked over; its last byte waits for more input.
    expect(c.stats().junkBytes).toBe(12);
  });
});

describe('Bm13xxChain on the BM1397 (host midstates)', () => {
  const v = readVectorJson<{
    stratum_prevhash: string;
    version: string;
    nbits: string;
    ntime: string;
    merkle_root_header_order: string;
    job_frame_hex: string;
    midstate_state_words_big_endian: string;
  }>('bm13xx/bm1397_midstate.json');
  const work: ChipWork = {
    version: Number.parseInt(v.version, 16),
    versionMask: 0,
    prevHash: stratumPrev(v.stratum_prevhash),
    merkleRoot: hexToBytes(v.merkle_root_header_order),
    ntime: Number.parseInt(v.ntime, 16),
    nbits: Number.parseInt(v.nbits, 16),
    workId: 9,
  };

  it('computes the vector midstate on the host and frames it like the ESP-Miner job', async () => {
    const { c, sentFrames } = await ready('BM1397', 0x1397, 62.5);
    await c.sendWork(work, false);
    const frame = hexToBytes(sentFrames().at(-1) ?? '');
    const vector = hexToBytes(v.job_frame_hex);
    // The vector declares 4 midstates with only slot 0 filled; without rolling we declare 1.
    expect(frame[5]).toBe(1);
    expect(bytesToHex(frame.subarray(0, 5))).toBe(bytesToHex(vector.subarray(0, 5)));
    expect(bytesToHex(frame.subarray(6, 150))).toBe(bytesToHex(vector.subarray(6, 150)));
  });

  it('rolls 4 versions on the host and maps the midstate index of a nonce back to its version', async () => {
    const { c, results, sentFrames, reply } = await ready('BM1397', 0x1397, 62.5);
    await c.sendWork({ ...work, versionMask: 0x1fffe000 }, false);
    const parsed = parseCommand(hexToBytes(sentFrames().at(-1) ?? ''));
    if (parsed.kind !== 'ok' || parsed.command.type !== 'jobMidstate')
      throw new Error('no midstate job sent');
    const job = parsed.command.job;
    expect(job.numMidstates).toBe(4);
    expect(bytesToHex(job.midstates[0] ?? new Uint8Array())).toBe(v.midstate_state_words_big_endian);
    expect(new Set(job.midstates.map((m) => bytesToHex(m))).size).toBe(4);
    const rh = CHIPS.BM1397.jobId.toReply(job.jobId, 2);
    await reply(encodeNonceReply({ nonce: 0x0a029ed1, midstateNum: 0, resultHeader: rh }, 9));
    // A repeated nonce (the BM1397 sends duplicates) is dropped.
    await reply(encodeNonceReply({ nonce: 0x0a029ed1, midstateNum: 0, resultHeader: rh }, 9));
    expect(results).toHaveLength(1);
    expect(results[0]?.version).toBe(0x20004004);
    expect(results[0]?.nonce).toBe(0x0a029ed1);
  });
});

describe('setFrequency()', () => {
  it('ramps from the running frequency in 6.25 MHz steps and rewrites HCN', async () => {
    const { c, sentFrames } = await ready('BM1370', 0x1370, 525);
    const before = sentFrames().length;
    expect(await c.setFrequency(550)).toBe(550);
    const frames = sentFrames().slice(before);
    expect(frames.slice(0, 4).map((f) => f.slice(0, 12))).toEqual(Array(4).fill('55aa51090008'));
    // pll.csv 550 MHz row: 40 B0 02 30
    expect(parseCommand(hexToBytes(frames[3] ?? ''))).toMatchObject({
      kind: 'ok',
      command: { reg: 0x08, value: 0x40b00230 },
    });
    expect(parseCommand(hexToBytes(frames[4] ?? ''))).toMatchObject({ command: { reg: 0x10 } });
    expect(c.info()?.frequencyMhz).toBe(550);
    await expect(c.setFrequency(700)).rejects.toThrow(/625 MHz/);
  });
});

describe('probe()', () => {
  it('reads back chip id, address, PLL frequency, masks and UART rate as a plain object', async () => {
    const { c } = await ready('BM1370', 0x1370, 525, {
      8: 0xc0a80230, // locked + 40 A8 02 30 = 525 MHz
      20: 0x000000ff,
      164: 0x9000ffff,
      24: 0xf000c100,
      40: 0x11300200,
    });
    const dump = await c.probe();
    expect(dump).toEqual({
      model: 'BM1370',
      hostBaud: 1_000_000,
      addresses: [0],
      chips: [
        {
          address: 0,
          chipId: 0x1370,
          frequencyMhz: 525,
          pllLocked: true,
          ticketDifficulty: 256,
          versionMask: 0x1fffe000,
          miscControl: 0xf000c100,
          uartBaud: 1_041_667,
        },
      ],
    });
  });

  it('names the chips whose PLL reads back unlocked, and only those', async () => {
    const unlocked = await ready('BM1370', 0x1370, 525, { 8: 0x40a80230 }); // bit 31 clear
    const dump = await unlocked.c.probe();
    expect(dump.chips[0]?.pllLocked).toBe(false);
    expect(pllProblem(dump)).toBe(
      'PLL not locked on chip 0x0 (PLL0 bit 31 clear: no stable hash clock at the set frequency)',
    );
    const locked = await ready('BM1370', 0x1370, 525, { 8: 0xc0a80230 });
    expect(pllProblem(await locked.c.probe())).toBeUndefined();
  });
});
