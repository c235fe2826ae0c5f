import { sha256 } from '@noble/hashes/sha2.js';
import { afterEach, describe, expect, it } from 'vitest';
import { Bm13xxChain } from '../../../drivers/bm13xx/chain.js';
import type { ChipModel } from '../../../drivers/bm13xx/chips.js';
import { SimBinding } from '../../../drivers/sim/sim-binding.js';
import { UartLink } from '../../../drivers/transport/uart-link.js';
import type { NonceResult } from '../../../drivers/types.js';
import { ChipError } from '../../../src/errors.js';
import { headerOfNonce } from '../../helpers/nonce-header.js';
import { FAST } from './chain-helpers.js';

// Integration with helper D's simulated board: the driver's bytes must be understood by a chip
// model written independently from the same reference, and its answers must come back as nonces.
let chain: Bm13xxChain | undefined;
afterEach(async () => {
  await chain?.close();
  chain = undefined;
  SimBinding.reset();
});

function simChain(model: ChipModel, count: number, expected: number, baud: number, mhz: number): Bm13xxChain {
  const path = `sim:${model}-${count}`;
  SimBinding.createChain(path, { model, chipCount: count });
  chain = new Bm13xxChain({
    index: 0,
    model,
    expectedChipCount: expected,
    link: new UartLink({ binding: SimBinding, path }),
    reset: async () => {},
    frequencyMhz: mhz,
    chipDifficulty: 1,
    workingBaud: baud,
    timing: FAST,
  });
  return chain;
}

const work = {
  version: 0x20000000,
  versionMask: 0x1fffe000,
  prevHash: new Uint8Array(32).fill(3),
  merkleRoot: new Uint8Array(32).fill(5),
  ntime: 0x68546800,
  nbits: 0x17023a04,
  workId: 1,
};

describe('Bm13xxChain on the simulated board', () => {
  it('BM1370 x2: enumerates, switches to 1 Mbaud and gets nonces back', async () => {
    const c = simChain('BM1370', 2, 2, 1_000_000, 100);
    const info = await c.init();
    expect(info).toMatchObject({ chipCount: 2, addresses: [0, 128], baud: 1_000_000 });
    const got: NonceResult[] = [];
    c.onNonce((r) => got.push(r));
    await c.sendWork(work, true);
    const deadline = Date.now() + 8000;
    while (got.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(got.length).toBeGreaterThan(0);
    expect(got[0]?.work.workId).toBe(1);
    for (const r of got) {
      expect(r.version & ~work.versionMask).toBe(work.version);
      // Rebuild the header (bm13xx.md §9) and hash it: the sim reports hashes with >= 16 zero bits
      // (ticket difficulty 1 relaxed by its simTargetShift 16), so the top 2 bytes of h are zero.
      const h = sha256(sha256(headerOfNonce(r)));
      expect([h[31], h[30]]).toEqual([0, 0]);
    }
  });

  it('refuses a board definition that promises more chips than answer', async () => {
    const c = simChain('BM1366', 2, 3, 1_000_000, 100);
    await expect(c.init()).rejects.toThrow(ChipError);
  });

  it('BM1370 x4: reads the nonce counter of every chip, and each grows while the chips hash', async () => {
    const path = 'sim:BM1370-counters';
    SimBinding.createChain(path, { model: 'BM1370', chipCount: 4, hashrate: 400_000, simTargetShift: 24 });
    const c = new Bm13xxChain({
      index: 0,
      model: 'BM1370',
      expectedChipCount: 4,
      link: new UartLink({ binding: SimBinding, path }),
      reset: async () => {},
      frequencyMhz: 100,
      chipDifficulty: 1,
      workingBaud: 1_000_000,
      timing: FAST,
    });
    chain = c;
    expect(await c.readNonceCounters()).toEqual([]); // not ready: nothing read
    await c.init();
    expect(c.noncesNameTheirChip).toBe(false);
    expect(c.needsCounterReads).toBe(true);
    await c.sendWork(work, true);
    const first = await c.readNonceCounters();
    expect(first.map((r) => r.chipIndex).sort()).toEqual([0, 1, 2, 3]);
    // At 100 k hashes/s per chip and one count per 2^8 hashes: hundreds of counts a second on an
    // idle machine. Read again until every chip has counted past 20 (a loaded machine just takes
    // longer); a counter that never moves or a chip missing from the reads fails.
    const grew = (second: readonly { chipIndex: number; count: number }[]) =>
      first.every((f) => (second.find((r) => r.chipIndex === f.chipIndex)?.count ?? f.count) - f.count > 20);
    let second = await c.readNonceCounters();
    for (const deadline = performance.now() + 10_000; !grew(second) && performance.now() < deadline; ) {
      await new Promise((r) => setTimeout(r, 100));
      second = await c.readNonceCounters();
    }
    expect(second.map((r) => r.chipIndex).sort()).toEqual([0, 1, 2, 3]);
    for (const r of second) {
      const before = first.find((f) => f.chipIndex === r.chipIndex)?.count ?? Number.POSITIVE_INFINITY;
      expect(r.count - before).toBeGreaterThan(20);
    }
  });
});
