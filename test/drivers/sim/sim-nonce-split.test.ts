/**
 * Simulated chains split the nonce space the way the driver's CHIPS table says their model does
 * (bm13xx.md §2.3, §12.7): a BM1370 chain returns nonces with no address in bits 24..17, never two
 * chips the same (version, nonce), all under the relaxed ticket target; a BM1366 chain still stamps.
 * Host frames are the vector literals; nonces are checked with a host-side sha256d.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { afterEach, describe, expect, it } from 'vitest';
import { CHIPS, type ChipModel, chipIndexFromNonce } from '../../../drivers/bm13xx/chips.js';
import { setChipAddress } from '../../../drivers/bm13xx/commands.js';
import { decodeReply, type NonceReply } from '../../../drivers/bm13xx/replies.js';
import { splitFor } from '../../../drivers/sim/nonce-split.js';
import { SimChain } from '../../../drivers/sim/sim-chain.js';
import { NonceSearch } from '../../../drivers/sim/sim-hasher.js';
import { hexToBytes } from '../../../src/bytes/hex.js';
import { bm13xxCommandVector, readVectorJson } from '../../helpers/vectors.js';

interface Roundtrip {
  job_frame_hex: string;
  rebuilt_header_hex: string;
  stratum_notify: { version: string };
}

const trip = readVectorJson<Roundtrip>('bm13xx/bm1370_roundtrip.json');

const cmd = bm13xxCommandVector;

const open: SimChain[] = [];
afterEach(() => {
  for (const chain of open.splice(0)) chain.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const SHIFT = 24; // ticket difficulty 4 -> 32 + 2 - 24 = 10 zero bits: about one reply per 1024 hashes
const ADDRESSES = [0x00, 0x40, 0x80, 0xc0]; // interval 64 for 4 chips (§3 step 5)

/** A 4-chip chain brought up with the vector frames, mining the captured job, until `count` nonces. */
async function mine(model: ChipModel, misc: string, count: number): Promise<Uint8Array[]> {
  const chain = new SimChain({ model, chipCount: 4, hashrate: 400_000, simTargetShift: SHIFT });
  open.push(chain);
  const rx: number[] = [];
  chain.onData((bytes) => rx.push(...bytes));
  chain.write(cmd('broadcast write 0xA4'));
  chain.write(cmd(misc));
  chain.write(cmd('chain inactive'));
  for (const address of ADDRESSES) chain.write(setChipAddress(address));
  chain.write(cmd('TICKET_MASK difficulty 4'));
  chain.write(hexToBytes(trip.job_frame_hex));
  const end = Date.now() + 8000;
  while (rx.length < 11 * count) {
    if (Date.now() > end) throw new Error('timed out waiting for the simulator');
    await sleep(20);
  }
  const frames: Uint8Array[] = [];
  for (let i = 0; i + 11 <= rx.length; i += 11) frames.push(Uint8Array.from(rx.slice(i, i + 11)));
  return frames;
}

/** The captured job's header with a reply's rolled version and nonce bytes (bm13xx.md §2.3, §9). */
function headerOf(frame: Uint8Array, reply: NonceReply): Uint8Array {
  const header = hexToBytes(trip.rebuilt_header_hex);
  new DataView(header.buffer).setUint32(0, (0x20000000 | reply.rolledBits) >>> 0, true);
  header.set(frame.subarray(2, 6), 76);
  return header;
}

/** sha256d(header) as the little-endian integer targets compare against. */
function hashValue(header: Uint8Array): bigint {
  const h = sha256(sha256(header));
  let v = 0n;
  for (let i = 31; i >= 0; i--) v = (v << 8n) | BigInt(h[i] ?? 0);
  return v;
}

const RELAXED_TARGET = (1n << BigInt(256 - 32 - 2 + SHIFT)) - 1n;

describe('nonce split on simulated chains', () => {
  it('BM1370 4-chip chain: no address in bits 24..17, no duplicates, every nonce under target', async () => {
    const frames = await mine('BM1370', 'broadcast write 0x18 MISC_CONTROL = 0xF000C100 (BM1370)', 40);
    expect(frames.length).toBeGreaterThanOrEqual(40);
    const jobHeader = hexToBytes(trip.rebuilt_header_hex);
    new DataView(jobHeader.buffer).setUint32(0, Number.parseInt(trip.stratum_notify.version, 16), true);
    const space = {
      kind: 'rolling',
      header: jobHeader,
      versionMask16: 0xffff,
      subCores: 16,
      cores: 128,
    } as const;
    const shares = ADDRESSES.map(
      (address, i) => new NonceSearch(space, splitFor(CHIPS.BM1370, address, i, 4)),
    );
    const fields = new Set<number>();
    const candidates = new Set<string>();
    const chipsSeen = new Set<number>();
    for (const frame of frames) {
      const reply = decodeReply(frame, 'BM1370') as NonceReply;
      expect(reply.kind).toBe('nonce');
      expect(reply.jobId).toBe(0x68);
      expect(hashValue(headerOf(frame, reply)) <= RELAXED_TARGET).toBe(true);
      fields.add((reply.nonceBe >>> 17) & 0xff);
      candidates.add(`${reply.versionField}:${reply.nonceBe}`);
      // The driver must not pretend to know the chip (chips.ts nonceCarriesAddress false).
      expect(chipIndexFromNonce(CHIPS.BM1370, reply.nonceBe, 64)).toBeUndefined();
      // Exactly one chip's share of the space holds this candidate.
      const versionField = reply.versionField;
      if (versionField === undefined) throw new Error('BM1370 replies after 0xA4 carry a version field');
      const candidate = { nonceBe: reply.nonceBe, slot: reply.subcore, versionField };
      const owners = [0, 1, 2, 3].filter((i) => shares[i]?.indexOf(candidate) !== undefined);
      expect(owners).toHaveLength(1);
      chipsSeen.add(owners[0] ?? -1);
    }
    expect(candidates.size).toBe(frames.length);
    expect(chipsSeen).toEqual(new Set([0, 1, 2, 3]));
    // Stamped addresses would give at most 4 values (0x00/0x40/0x80/0xC0 plus counter bit 17: 8).
    expect(fields.size).toBeGreaterThan(8);
    expect([...fields].some((f) => !ADDRESSES.includes(f & 0xfe))).toBe(true);
  });

  it('BM1366 4-chip chain: every nonce still carries its chip address in bits 24..18', async () => {
    const frames = await mine('BM1366', 'broadcast write 0x18 MISC_CONTROL = 0xFF0FC100', 24);
    const chips = new Set<number | undefined>();
    const candidates = new Set<string>();
    for (const frame of frames) {
      const reply = decodeReply(frame, 'BM1366') as NonceReply;
      expect(hashValue(headerOf(frame, reply)) <= RELAXED_TARGET).toBe(true);
      expect(ADDRESSES).toContain(((reply.nonceBe >>> 18) & 0x7f) << 1);
      chips.add(chipIndexFromNonce(CHIPS.BM1366, reply.nonceBe, 64));
      candidates.add(`${reply.versionField}:${reply.nonceBe}`);
    }
    expect(chips).toEqual(new Set([0, 1, 2, 3]));
    expect(candidates.size).toBe(frames.length);
  });

  it('splits by the CHIPS table and counts only the chips present', () => {
    for (const model of ['BM1397', 'BM1366', 'BM1368', 'BM1370', 'BM1362'] as const) {
      expect(splitFor(CHIPS[model], 0x40, 1, 4).kind).toBe(
        CHIPS[model].nonceCarriesAddress ? 'address' : 'interleave',
      );
    }
    const chain = new SimChain({ model: 'BM1370', chipCount: 3, faults: { 1: { missing: true } } });
    open.push(chain);
    expect(chain.chips.map((c) => [c.position, c.chainIndex, c.chainLength])).toEqual([
      [0, 0, 2],
      [2, 1, 2],
    ]);
  });
});
