/**
 * Extended jobs through the work pipeline: the miner extranonce is rolled inside its own space
 * (never touching the pool's prefix), every work item's merkle root equals a from-scratch
 * computation (node:crypto, not src/bitcoin), and a share carries exactly the extranonce, ntime,
 * version and nonce whose header hashes below the job target.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ChipWork } from '../../drivers/types.js';
import { leBytesToBigInt } from '../../src/bitcoin/target.js';
import { bytesToHex } from '../../src/bytes/hex.js';
import { Dispatcher } from '../../src/work/dispatcher.js';
import {
  coinbaseFor,
  extranonceCount,
  MAX_EXTRANONCE_COUNT,
  merkleRootFor,
  minerExtranonce,
} from '../../src/work/extranonce.js';
import type { ExtendedJob, ExtendedTemplate, Share } from '../../src/work/job.js';
import { FakeChain, ManualClock } from './helpers/fakes.js';

const dsha = (b: Uint8Array): Uint8Array =>
  new Uint8Array(createHash('sha256').update(createHash('sha256').update(b).digest()).digest());
const cat = (...parts: Uint8Array[]): Uint8Array => Uint8Array.from(parts.flatMap((p) => [...p]));
const bytes = (n: number, seed: number): Uint8Array =>
  Uint8Array.from({ length: n }, (_, i) => (seed + i * 7) & 0xff);

/** From scratch: coinbase bytes, txid, then pair up the path by hand. */
function expectedRoot(t: ExtendedTemplate, extranonce: Uint8Array): Uint8Array {
  let node = dsha(cat(t.coinbasePrefix, t.extranoncePrefix, extranonce, t.coinbaseSuffix));
  for (const sibling of t.merklePath) node = dsha(cat(node, sibling));
  return node;
}

function headerHash(w: ChipWork, version: number, nonce: number): Uint8Array {
  const h = new Uint8Array(80);
  const v = new DataView(h.buffer);
  v.setUint32(0, version, true);
  h.set(w.prevHash, 4);
  h.set(w.merkleRoot, 36);
  v.setUint32(68, w.ntime, true);
  v.setUint32(72, w.nbits, true);
  v.setUint32(76, nonce, true);
  return dsha(h);
}

function template(extranonceSize: number): ExtendedTemplate {
  return {
    coinbasePrefix: bytes(42, 1),
    coinbaseSuffix: bytes(60, 99),
    merklePath: [bytes(32, 3), bytes(32, 5), bytes(32, 9)],
    extranoncePrefix: Uint8Array.of(0xaa, 0xbb, 0xcc),
    extranonceSize,
  };
}

function extendedJob(t: ExtendedTemplate, overrides: Partial<ExtendedJob> = {}): ExtendedJob {
  return {
    pool: 'pool-x',
    channelId: 4,
    jobId: 21,
    version: 0x20000000,
    versionMask: 0x1fffe000,
    prevHash: bytes(32, 200),
    ntime: 1_700_000_000,
    maxNtime: 1_700_000_000,
    nbits: 0x1d00ffff,
    target: 1n << 248n,
    clean: true,
    extended: t,
    ...overrides,
  };
}

describe('the miner extranonce space', () => {
  it('counts 256^size extranonces, capped at 2^48, and refuses sizes SV2 cannot carry', () => {
    expect(extranonceCount(0)).toBe(1);
    expect(extranonceCount(2)).toBe(65536);
    expect(extranonceCount(5)).toBe(2 ** 40);
    expect(extranonceCount(6)).toBe(MAX_EXTRANONCE_COUNT);
    expect(extranonceCount(32)).toBe(MAX_EXTRANONCE_COUNT);
    expect(() => extranonceCount(33)).toThrow('extranonce size must be 0..32 bytes, got 33');
  });

  it('writes index i big-endian into exactly size bytes and refuses an index outside the space', () => {
    expect(bytesToHex(minerExtranonce(0x0102, 4))).toBe('00000102');
    expect(bytesToHex(minerExtranonce(2 ** 40 + 5, 8))).toBe('0000010000000005');
    expect(bytesToHex(minerExtranonce(0, 0))).toBe('');
    expect(() => minerExtranonce(256, 1)).toThrow('extranonce index 256 is outside the 1-byte miner space');
  });

  it('builds the coinbase as prefix | pool extranonce prefix | miner extranonce | suffix', () => {
    const t = template(2);
    const cb = coinbaseFor(t, Uint8Array.of(0x11, 0x22));
    expect(bytesToHex(cb)).toBe(`${bytesToHex(t.coinbasePrefix)}aabbcc1122${bytesToHex(t.coinbaseSuffix)}`);
    expect(() => coinbaseFor(t, Uint8Array.of(1))).toThrow('miner extranonce must be 2 bytes, got 1');
  });

  it('gives the merkle root of a from-scratch computation for every extranonce of a 1-byte space', () => {
    const t = template(1);
    const roots = new Set<string>();
    for (let i = 0; i < 256; i++) {
      const en = minerExtranonce(i, 1);
      const root = bytesToHex(merkleRootFor(t, en));
      expect(root).toBe(bytesToHex(expectedRoot(t, en)));
      roots.add(root);
    }
    expect(roots.size).toBe(256);
  });
});

describe('Dispatcher: extended jobs', () => {
  function setup() {
    // No chip rolling and no host version bits: every work item is one (extranonce, ntime) pair.
    const chain = new FakeChain(0, { chipModel: 'none', nominalHashrate: 2 ** 32 });
    const clock = new ManualClock();
    const shares: Share[] = [];
    const dispatcher = new Dispatcher({
      chains: [chain],
      clock,
      onShare: (s) => shares.push(s),
      // Chip target 2^255: half of all hashes are chip nonces, so the test finds them quickly.
      simTargetShift: 31,
    });
    return { chain, clock, shares, dispatcher };
  }

  it('rolls the extranonce through the whole miner space before ntime, never touching the pool prefix', async () => {
    const { chain, clock, dispatcher } = setup();
    const t = template(1);
    const job = extendedJob(t, { versionMask: 0, maxNtime: 1_700_000_000 + 5 });
    await dispatcher.setJob(job);
    // Refresh every 500 ms (2^32 nonces at 2^32 H/s, half of it): 300 work items.
    clock.advance(299 * 500);
    expect(chain.sent).toHaveLength(300);
    const byRoot = new Map<string, number>();
    for (let i = 0; i < 256; i++) byRoot.set(bytesToHex(expectedRoot(t, minerExtranonce(i, 1))), i);
    const walked = chain.sent.map((s) => ({
      en: byRoot.get(bytesToHex(s.work.merkleRoot)),
      ntime: s.work.ntime,
    }));
    // Every root is one the pool's prefix with a 1-byte miner extranonce gives; none other.
    expect(walked.every((w) => w.en !== undefined)).toBe(true);
    expect(walked.slice(0, 256).map((w) => w.en)).toEqual([...Array(256).keys()]);
    expect(walked.slice(0, 256).every((w) => w.ntime === job.ntime)).toBe(true);
    // The space is used up: ntime moves on, the extranonce starts again at 0.
    expect(walked.slice(256).map((w) => w.en)).toEqual([...Array(44).keys()]);
    expect(walked.slice(256).every((w) => w.ntime === job.ntime + 1)).toBe(true);
    dispatcher.stop();
  });

  it('rolls ntime only when the channel gives the miner no extranonce bytes', async () => {
    const { chain, clock, dispatcher } = setup();
    const t = template(0);
    await dispatcher.setJob(extendedJob(t, { versionMask: 0, maxNtime: 1_700_000_010 }));
    clock.advance(2 * 500);
    expect(chain.sent.map((s) => s.work.ntime)).toEqual([1_700_000_000, 1_700_000_001, 1_700_000_002]);
    const root = bytesToHex(expectedRoot(t, new Uint8Array()));
    expect(chain.sent.every((s) => bytesToHex(s.work.merkleRoot) === root)).toBe(true);
    dispatcher.stop();
  });

  it('gives two chains different extranonces of the same job at once', async () => {
    const chains = [new FakeChain(0), new FakeChain(1)];
    const dispatcher = new Dispatcher({ chains, clock: new ManualClock(), onShare: () => {} });
    const t = template(4);
    await dispatcher.setJob(extendedJob(t));
    const [a, b] = chains.map((c) => c.sent[0]?.work as ChipWork) as [ChipWork, ChipWork];
    expect(bytesToHex(a.merkleRoot)).toBe(bytesToHex(expectedRoot(t, minerExtranonce(0, 4))));
    expect(bytesToHex(b.merkleRoot)).toBe(bytesToHex(expectedRoot(t, minerExtranonce(1, 4))));
    // With extranonces to spare no ntime is rolled and no lanes are cut from the chips' bits.
    expect([a.ntime, b.ntime]).toEqual([1_700_000_000, 1_700_000_000]);
    expect([a.versionMask, b.versionMask]).toEqual([0x1fffe000, 0x1fffe000]);
    dispatcher.stop();
  });

  it('submits a share whose extranonce, ntime, version and nonce hash below the job target', async () => {
    const { chain, clock, shares, dispatcher } = setup();
    const t = template(4);
    const job = extendedJob(t, { versionMask: 0, maxNtime: 1_700_000_100 });
    await dispatcher.setJob(job);
    clock.advance(3 * 500);
    const work = chain.sent[3]?.work as ChipWork;
    // Search on the CPU, from scratch, for one nonce that meets the job target (1 in 256) and
    // one that only meets the chip target.
    let good: number | undefined;
    let chipOnly: number | undefined;
    const chipTarget = (1n << 255n) - 1n;
    for (let n = 0; good === undefined || chipOnly === undefined; n++) {
      const value = leBytesToBigInt(headerHash(work, job.version, n));
      if (value <= job.target) good ??= n;
      else if (value <= chipTarget) chipOnly ??= n;
    }
    chain.emit(work, chipOnly as number);
    chain.emit(work, good as number);
    expect(shares).toHaveLength(1);
    const share = shares[0] as Share;
    expect(share).toMatchObject({ pool: 'pool-x', channelId: 4, jobId: 21, nonce: good, ntime: work.ntime });
    expect(bytesToHex(share.extranonce ?? new Uint8Array(9))).toBe('00000003');
    // Rebuild the header from the share alone (plus the job) and hash it from scratch.
    const root = expectedRoot(t, share.extranonce as Uint8Array);
    const rebuilt = headerHash({ ...work, merkleRoot: root }, share.version, share.nonce);
    expect(leBytesToBigInt(rebuilt) <= job.target).toBe(true);
    dispatcher.stop();
  });
});
