/**
 * The simulated chips really hash: each nonce reply they send, decoded with the driver's
 * decodeReply, rebuilds a header (from the captured jobs in bm1370_roundtrip.json and
 * bm1397_midstate.json) whose host-side sha256d meets the relaxed chip target. Also the reporting
 * gate, nonce-space split, noise after a rate change, the CPU bound and every fault.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { afterEach, describe, expect, it } from 'vitest';
import { CHIPS, chipIndexFromNonce } from '../../../drivers/bm13xx/chips.js';
import { readRegister, setChipAddress } from '../../../drivers/bm13xx/commands.js';
import {
  decodeReply,
  type NonceReply,
  type RegisterReply,
  replyCrcOk,
} from '../../../drivers/bm13xx/replies.js';
import { SimChain, type SimChainOptions } from '../../../drivers/sim/sim-chain.js';
import { hexToBytes } from '../../../src/bytes/hex.js';
import { bm13xxCommandVector, readVectorJson } from '../../helpers/vectors.js';

interface Roundtrip {
  job_frame_hex: string;
  rebuilt_header_hex: string;
}
interface Midstate {
  first_64_header_bytes: string;
  job_frame_hex: string;
  nbits: string;
  ntime: string;
  merkle4_wire: string;
}

const trip = readVectorJson<Roundtrip>('bm13xx/bm1370_roundtrip.json');
const ms = readVectorJson<Midstate>('bm13xx/bm1397_midstate.json');

const cmd = bm13xxCommandVector;

const open: SimChain[] = [];
afterEach(() => {
  for (const chain of open.splice(0)) chain.close();
});

function start(options: SimChainOptions) {
  const chain = new SimChain(options);
  open.push(chain);
  const rx: number[] = [];
  chain.onData((bytes) => rx.push(...bytes));
  return { chain, rx };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/**
 * Until the replies already queued have landed: the sim delivers each in a setImmediate queued
 * when the command was written, and one queued now runs after them however late the machine
 * runs it (a short sleep could come first on a starved event loop).
 */
const repliesLanded = () => new Promise((resolve) => setImmediate(resolve));

async function until(cond: () => boolean, timeoutMs = 8000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting for the simulator');
    await sleep(20);
  }
}

/** Whole frames of `size` bytes from the stream (the sim emits whole frames when faults are off). */
function split(rx: readonly number[], size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i + size <= rx.length; i += size) out.push(Uint8Array.from(rx.slice(i, i + size)));
  return out;
}

/** sha256d(header) as the little-endian 256-bit integer the targets compare against (bm13xx.md §9). */
function hashValue(header: Uint8Array): bigint {
  const h = sha256(sha256(header));
  let v = 0n;
  for (let i = 31; i >= 0; i--) v = (v << 8n) | BigInt(h[i] ?? 0);
  return v;
}

/** Chip target for ticket difficulty 2^n relaxed by 2^shift: hash must have 32 + n - shift zero bits. */
function relaxedTarget(n: number, shift: number): bigint {
  return (1n << BigInt(256 - 32 - n + shift)) - 1n;
}

const TICKET_4 = 'TICKET_MASK difficulty 4';

describe('real hashing', () => {
  it('BM1370: every nonce reply rebuilds the captured job into a header under the relaxed target', async () => {
    const shift = 20;
    const { chain, rx } = start({ model: 'BM1370', chipCount: 1, hashrate: 300_000, simTargetShift: shift });
    chain.write(cmd('broadcast write 0xA4'));
    chain.write(cmd('broadcast write 0x18 MISC_CONTROL = 0xF000C100 (BM1370)'));
    chain.write(cmd(TICKET_4));
    chain.write(hexToBytes(trip.job_frame_hex));
    await until(() => rx.length >= 11 * 5);
    const base = hexToBytes(trip.rebuilt_header_hex);
    const target = relaxedTarget(2, shift);
    for (const frame of split(rx, 11)) {
      const reply = decodeReply(frame, 'BM1370') as NonceReply;
      expect(reply.kind).toBe('nonce');
      expect(reply.jobId).toBe(0x68);
      const header = Uint8Array.from(base);
      new DataView(header.buffer).setUint32(0, (0x20000000 | reply.rolledBits) >>> 0, true);
      header.set(frame.subarray(2, 6), 76);
      const value = hashValue(header);
      expect(value <= target).toBe(true);
      // Byte 6: half bits of excess over the threshold the chip applied (32 + 2 - 20 = 14 bits).
      const zeroBits = 256 - value.toString(2).length;
      expect(reply.midstateNum).toBe(Math.min(255, 2 * (zeroBits - 14)));
      expect(reply.subcore).toBe((reply.versionField ?? -1) & 0xf);
    }
  });

  it('BM1397: nonces for midstate 0 of the ESP-Miner job hash under the relaxed target', async () => {
    const shift = 20;
    const { chain, rx } = start({ model: 'BM1397', chipCount: 1, hashrate: 400_000, simTargetShift: shift });
    chain.write(cmd(TICKET_4));
    chain.write(hexToBytes(ms.job_frame_hex));
    const slot0 = () => split(rx, 9).filter((f) => ((f[7] ?? 0) & 3) === 0);
    await until(() => slot0().length >= 3);
    const header = new Uint8Array(80);
    const view = new DataView(header.buffer);
    header.set(hexToBytes(ms.first_64_header_bytes), 0);
    header.set(hexToBytes(ms.merkle4_wire), 64);
    view.setUint32(68, Number.parseInt(ms.ntime, 16), true);
    view.setUint32(72, Number.parseInt(ms.nbits, 16), true);
    for (const frame of split(rx, 9)) {
      const reply = decodeReply(frame, 'BM1397') as NonceReply;
      expect(reply.jobId).toBe(0x04);
      expect(reply.versionField).toBeUndefined();
    }
    for (const frame of slot0()) {
      header.set(frame.subarray(2, 6), 76);
      expect(hashValue(header) <= relaxedTarget(2, shift)).toBe(true);
    }
  });

  it('BM1366 chain: the chips split the nonce space by address', async () => {
    const shift = 20;
    const { chain, rx } = start({ model: 'BM1366', chipCount: 2, hashrate: 400_000, simTargetShift: shift });
    chain.write(cmd('broadcast write 0xA4'));
    chain.write(cmd('broadcast write 0x18 MISC_CONTROL = 0xFF0FC100'));
    chain.write(cmd('chain inactive'));
    chain.write(setChipAddress(0x00));
    chain.write(setChipAddress(0x80));
    chain.write(cmd(TICKET_4));
    chain.write(hexToBytes(trip.job_frame_hex));
    const chipsSeen = () =>
      new Set(
        split(rx, 11).map((f) =>
          chipIndexFromNonce(CHIPS.BM1366, (decodeReply(f, 'BM1366') as NonceReply).nonceBe, 128),
        ),
      );
    await until(() => chipsSeen().size === 2);
    expect([...chipsSeen()].sort()).toEqual([0, 1]);
    const base = hexToBytes(trip.rebuilt_header_hex);
    for (const frame of split(rx, 11)) {
      const reply = decodeReply(frame, 'BM1366') as NonceReply;
      expect(reply.jobId).toBe(0x68);
      const header = Uint8Array.from(base);
      new DataView(header.buffer).setUint32(0, (0x20000000 | reply.rolledBits) >>> 0, true);
      header.set(frame.subarray(2, 6), 76);
      expect(hashValue(header) <= relaxedTarget(2, shift)).toBe(true);
    }
  });

  it('hashes but reports nothing until MISC_CONTROL opens reporting; counters still count', async () => {
    const { chain, rx } = start({ model: 'BM1370', chipCount: 1, hashrate: 300_000, simTargetShift: 20 });
    chain.write(cmd('broadcast write 0xA4'));
    chain.write(cmd(TICKET_4));
    chain.write(hexToBytes(trip.job_frame_hex));
    await until(() => chain.stats().hashes > 100_000);
    expect(rx).toHaveLength(0);
    chain.write(readRegister('all', 0x8c));
    await repliesLanded();
    const reply = decodeReply(Uint8Array.from(rx.slice(0, 11)), 'BM1370') as RegisterReply;
    expect(reply.reg).toBe(0x8c);
    // Difficulty-1 (relaxed to 12 bits) hits: about hashes / 4096.
    expect(reply.value).toBeGreaterThan(5);
  });

  it('turns nonces into line noise when the host leaves the chips rate', async () => {
    const { chain, rx } = start({ model: 'BM1370', chipCount: 1, hashrate: 300_000, simTargetShift: 22 });
    chain.write(cmd('broadcast write 0xA4'));
    chain.write(cmd('broadcast write 0x18 MISC_CONTROL = 0xF000C100 (BM1370)'));
    chain.write(hexToBytes(trip.job_frame_hex));
    await until(() => rx.length >= 11);
    chain.setHostBaud(3_125_000);
    await repliesLanded(); // frames already on the wire still arrive clean
    rx.length = 0;
    await until(() => rx.length >= 40);
    expect(rx.includes(0xaa)).toBe(false);
  });

  it('keeps its CPU share under maxBusyFraction even when asked for an impossible rate', async () => {
    const { chain } = start({
      model: 'BM1370',
      chipCount: 2,
      hashrate: 50_000_000,
      tickMs: 20,
      maxBusyFraction: 0.25,
      simTargetShift: 4,
    });
    chain.write(hexToBytes(trip.job_frame_hex));
    // CPU time this worker process really used, not the sim's own busy clock: on a loaded machine
    // a hashing slice that the OS preempts looks busy for the whole time it was not running.
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    await sleep(600);
    const wall = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const { busyMs, hashes } = chain.stats();
    expect(hashes).toBeGreaterThan(0);
    expect(busyMs).toBeGreaterThan(0);
    expect((cpu.user + cpu.system) / 1000 / wall).toBeLessThan(0.4);
  });
});

describe('faults', () => {
  const READ = 'broadcast read register 0x00 (CHIP_ID)';

  async function discovery(options: Partial<SimChainOptions>): Promise<{ bytes: number[]; chain: SimChain }> {
    const { chain, rx } = start({ model: 'BM1370', chipCount: 4, ...options });
    chain.write(cmd(READ));
    if (options.faults?.[0]?.replyLatencyMs) await sleep(300);
    else await repliesLanded();
    return { bytes: rx, chain };
  }

  it('a silent chip takes its address but never answers', async () => {
    const { chain, rx } = start({ model: 'BM1370', chipCount: 3, faults: { 1: { silent: true } } });
    chain.write(cmd('chain inactive'));
    for (const a of [0, 2, 4]) chain.write(setChipAddress(a));
    chain.write(cmd(READ));
    await repliesLanded();
    expect(chain.chips.map((c) => c.address)).toEqual([0, 2, 4]);
    expect(split(rx, 9).map((f) => f[6])).toEqual([0, 4]);
  });

  it('a missing chip leaves the chain one short', async () => {
    const { bytes, chain } = await discovery({ faults: { 2: { missing: true } } });
    expect(chain.chips.map((c) => c.position)).toEqual([0, 1, 3]);
    expect(bytes).toHaveLength(27);
  });

  it('bad CRC, flipped and dropped bytes spoil the replies', async () => {
    const clean = (await discovery({})).bytes;
    const badCrc = (await discovery({ faults: { 0: { badCrcRate: 1 } } })).bytes;
    expect(badCrc).toHaveLength(36);
    expect(replyCrcOk(Uint8Array.from(badCrc.slice(0, 9)))).toBe(false);
    expect(replyCrcOk(Uint8Array.from(badCrc.slice(9, 18)))).toBe(true);
    const flipped = (await discovery({ faults: { 3: { flipByteRate: 1 } } })).bytes;
    expect(flipped.slice(0, 27)).toEqual(clean.slice(0, 27));
    expect(flipped.slice(27).every((b, i) => b !== clean[27 + i])).toBe(true);
    const dropped = (await discovery({ seed: 7, faults: { 1: { dropByteRate: 0.5 } } })).bytes;
    expect(dropped.length).toBeGreaterThan(27);
    expect(dropped.length).toBeLessThan(36);
  });

  it('slow replies arrive after the configured latency', async () => {
    const { chain, rx } = start({ model: 'BM1370', chipCount: 1, faults: { 0: { replyLatencyMs: 150 } } });
    const t0 = performance.now();
    chain.write(cmd(READ));
    await until(() => rx.length === 9, 2000);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
  });

  it('a chip that stops returning nonces after N still answers register reads', async () => {
    const { chain, rx } = start({
      model: 'BM1370',
      chipCount: 1,
      hashrate: 300_000,
      simTargetShift: 22,
      faults: { 0: { stopNoncesAfter: 2 } },
    });
    chain.write(cmd('broadcast write 0xA4'));
    chain.write(cmd('broadcast write 0x18 MISC_CONTROL = 0xF000C100 (BM1370)'));
    chain.write(hexToBytes(trip.job_frame_hex));
    await until(() => rx.length >= 22);
    await until(() => chain.stats().hashes > 60_000);
    expect(rx).toHaveLength(22);
    chain.write(cmd(READ));
    await repliesLanded();
    expect(rx).toHaveLength(33);
  });
});
