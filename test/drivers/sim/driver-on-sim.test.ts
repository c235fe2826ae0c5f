/**
 * The real BM13xx driver (drivers/bm13xx/chain.ts over UartLink) brought up against SimBinding:
 * enumeration, addressing, baud switch and nonces that a host-side sha256d confirms under the
 * relaxed chip target. This is the sim's purpose (architecture.md Seam A), checked end to end.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { afterEach, describe, expect, it } from 'vitest';
import { Bm13xxChain } from '../../../drivers/bm13xx/chain.js';
import type { ChipModel } from '../../../drivers/bm13xx/chips.js';
import { SimBinding } from '../../../drivers/sim/sim-binding.js';
import type { SimChainOptions } from '../../../drivers/sim/sim-chain.js';
import { UartLink } from '../../../drivers/transport/uart-link.js';
import type { ChipWork, NonceResult } from '../../../drivers/types.js';
import { hexToBytes } from '../../../src/bytes/hex.js';
import { headerOfNonce } from '../../helpers/nonce-header.js';
import { readVectorJson } from '../../helpers/vectors.js';

const FAST = {
  enumerateIdleMs: 40,
  readIdleMs: 40,
  rampStepMs: 0,
  pllWriteGapMs: 0,
  perChipPauseMs: 0,
  bm1397AddressDelayMs: 0,
  baudSettleMs: 0,
};

const trip = readVectorJson<{ rebuilt_header_hex: string }>('bm13xx/bm1370_roundtrip.json');

const chains: Bm13xxChain[] = [];
afterEach(async () => {
  for (const c of chains.splice(0)) await c.close();
  SimBinding.reset();
});

function build(
  path: string,
  model: ChipModel,
  chipCount: number,
  sim: Partial<SimChainOptions>,
  workingBaud: number,
) {
  const simChain = SimBinding.createChain(path, { model, chipCount, ...sim });
  const chain = new Bm13xxChain({
    index: 0,
    model,
    expectedChipCount: chipCount,
    link: new UartLink({ binding: SimBinding, path }),
    reset: async () => simChain.reset(),
    frequencyMhz: 100,
    chipDifficulty: 1,
    workingBaud,
    timing: FAST,
  });
  chains.push(chain);
  return { chain, simChain };
}

/** The captured header as ChipWork (version 0x20000000, full rolling mask). */
function work(): ChipWork {
  const h = hexToBytes(trip.rebuilt_header_hex);
  const v = new DataView(h.buffer);
  return {
    version: 0x20000000,
    versionMask: 0x1fffe000,
    prevHash: h.slice(4, 36),
    merkleRoot: h.slice(36, 68),
    ntime: v.getUint32(68, true),
    nbits: v.getUint32(72, true),
    workId: 7,
  };
}

function zeroBits(header: Uint8Array): number {
  const d = sha256(sha256(header));
  let bits = 0;
  for (let i = 31; i >= 0; i--) {
    const b = d[i] ?? 0;
    if (b !== 0) return bits + Math.clz32(b) - 24;
    bits += 8;
  }
  return bits;
}

describe.each([
  ['BM1370', 2, 1_000_000],
  ['BM1366', 3, 1_000_000],
  ['BM1397', 1, 3_125_000],
] as const)('driver on the sim: %s x%i', (model, chips, baud) => {
  it('enumerates, switches baud and returns nonces that hash under the relaxed target', async () => {
    const shift = 20;
    const { chain, simChain } = build(
      `sim:${model}`,
      model,
      chips,
      { hashrate: 300_000, simTargetShift: shift },
      baud,
    );
    const info = await chain.init();
    expect(info.chipCount).toBe(chips);
    expect(info.baud).toBe(baud);
    expect(simChain.linkOk).toBe(true);
    expect(simChain.chips.map((c) => c.address)).toEqual(info.addresses);
    const results: NonceResult[] = [];
    chain.onNonce((r) => results.push(r));
    await chain.sendWork(work(), true);
    const end = Date.now() + 8000;
    while (results.length < 4 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    expect(results.length).toBeGreaterThanOrEqual(4);
    for (const r of results) {
      expect(r.work.workId).toBe(7);
      expect(zeroBits(headerOfNonce(r))).toBeGreaterThanOrEqual(32 - shift);
    }
  });
});

describe('re-initialising a running chain (flatline recovery)', () => {
  it('ramps back to the frequency last set, not the configured one, and keeps each chip its totals', async () => {
    const { chain, simChain } = build('sim:reinit', 'BM1366', 2, {}, 1_000_000);
    await chain.init();
    expect(await chain.setFrequency(200)).toBeCloseTo(200, 0);
    chain.reportHardwareError(1);
    const before = chain.stats().chips.map((c) => c.address);
    await chain.close();
    const info = await chain.init();
    expect(info.frequencyMhz).toBeCloseTo(200, 0);
    expect(simChain.chips.map((c) => Math.round(c.frequencyMhz))).toEqual([200, 200]);
    expect(chain.stats().chips.map((c) => c.address)).toEqual(before);
    expect(chain.stats().chips.map((c) => c.hardwareErrors)).toEqual([0, 1]);
  });
});
