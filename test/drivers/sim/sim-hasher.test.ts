/**
 * The sim's hashing engine against outside truth: it must land on the captured BM1370 share
 * (bm1370_roundtrip.json) and the ESP-Miner BM1397 midstate, and every hit it reports must pass a
 * host-side double SHA-256 done with @noble/hashes directly. Also the two nonce-space splits:
 * address stamping (BM1366) and the BM1370 interleave, which leaves no address field.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { LOW25, scramble25, unscramble25 } from '../../../drivers/sim/nonce-split.js';
import { depositBits, type Hit, NonceSearch, rolledVersion } from '../../../drivers/sim/sim-hasher.js';
import { sha256MidstateWords } from '../../../src/bitcoin/sha256-midstate.js';
import { bytesToHex, hexToBytes } from '../../../src/bytes/hex.js';
import { readVectorJson } from '../../helpers/vectors.js';

interface Roundtrip {
  rebuilt_header_hex: string;
  stratum_notify: { version: string };
  leading_zero_bits: number;
}
interface Midstate {
  first_64_header_bytes: string;
  midstate_state_words_big_endian: string;
}

const trip = readVectorJson<Roundtrip>('bm13xx/bm1370_roundtrip.json');

/** The captured header with the job's own version (the chip rolls from there). */
function jobHeader(): Uint8Array {
  const header = hexToBytes(trip.rebuilt_header_hex);
  new DataView(header.buffer).setUint32(0, Number.parseInt(trip.stratum_notify.version, 16), true);
  return header;
}

/** Host-side check: leading zero bits of sha256d(header) as a little-endian integer. */
function hostZeroBits(header: Uint8Array): number {
  const h = sha256(sha256(header));
  let bits = 0;
  for (let i = 31; i >= 0; i--) {
    const b = h[i] ?? 0;
    if (b !== 0) return bits + Math.clz32(b) - 24;
    bits += 8;
  }
  return bits;
}

describe('NonceSearch (rolling, BM1370 layout)', () => {
  it('finds the captured share at its place in the search order', () => {
    const search = new NonceSearch(
      { kind: 'rolling', header: jobHeader(), versionMask16: 0xffff, subCores: 16, cores: 128 },
      0,
    );
    // Captured nonce 4C 03 52 75, version field 05A2 (bm13xx.md §2.3): core 38, sub-core 2,
    // counter = nonce_be bits 17..0, version batch = field >> 4.
    const nonceBe = 0x4c035275;
    const rest = (0x05a2 >> 4) * 2 ** 25 + (nonceBe & 0x3ffff) * 128 + (nonceBe >>> 25);
    search.seek(rest * 16 + 2);
    const hits: Hit[] = [];
    expect(search.run(1, 40, (h) => hits.push(h))).toBe(1);
    expect(hits).toHaveLength(1);
    const hit = hits[0];
    expect(hit && bytesToHex(hit.nonceBytes)).toBe('4c035275');
    expect(hit?.versionField).toBe(0x05a2);
    expect(hit?.core).toBe(38);
    expect(hit?.slot).toBe(2);
    expect(hit?.zeroBits).toBe(trip.leading_zero_bits);
  });

  it('finds the captured share in the interleaved share of exactly one chip', () => {
    const space = {
      kind: 'rolling',
      header: jobHeader(),
      versionMask16: 0xffff,
      subCores: 16,
      cores: 128,
    } as const;
    const captured = { nonceBe: 0x4c035275, slot: 2, versionField: 0x05a2 };
    for (const count of [1, 3, 4]) {
      const owners = Array.from({ length: count }, (_, index) => {
        const search = new NonceSearch(space, { kind: 'interleave', index, count });
        return { search, at: search.indexOf(captured) };
      }).filter((o) => o.at !== undefined);
      expect(owners).toHaveLength(1);
      const owner = owners[0];
      if (owner?.at === undefined) throw new Error('no owner');
      owner.search.seek(owner.at);
      const hits: Hit[] = [];
      expect(owner.search.run(1, 40, (h) => hits.push(h))).toBe(1);
      expect(hits.map((h) => [bytesToHex(h.nonceBytes), h.versionField, h.core, h.slot, h.zeroBits])).toEqual(
        [['4c035275', 0x05a2, 38, 2, trip.leading_zero_bits]],
      );
    }
  });

  it('reports only hits that a host-side sha256d confirms, and misses none', () => {
    const header = jobHeader();
    const search = new NonceSearch(
      { kind: 'rolling', header, versionMask16: 0xffff, subCores: 16, cores: 128 },
      6,
    );
    const hits: Hit[] = [];
    expect(search.run(40_000, 8, (h) => hits.push(h))).toBe(40_000);
    // 1 in 256 on average: a broken engine would report none or far too many.
    expect(hits.length).toBeGreaterThan(80);
    expect(hits.length).toBeLessThan(260);
    for (const hit of hits) {
      const h = Uint8Array.from(header);
      const view = new DataView(h.buffer);
      view.setUint32(0, rolledVersion(0x20000000, 0xffff, hit.versionField), true);
      h.set(hit.nonceBytes, 76);
      expect(hostZeroBits(h)).toBe(hit.zeroBits);
      expect(hit.zeroBits).toBeGreaterThanOrEqual(8);
      expect((hit.nonceBe >>> 18) & 0x7f).toBe(6 >>> 1); // address bits 7..1 stamped in 24..18
      expect(hit.versionField & 0xf).toBe(hit.slot);
    }
  });

  it('rolls only the version bits under the mask', () => {
    expect(depositBits(0b111, 0b1010_0001)).toBe(0b1010_0001);
    expect(depositBits(0b10, 0b1100)).toBe(0b1000);
    expect(rolledVersion(0x3fffe004, 0x0003, 0b10)).toBe(0x20004004 | 0x1fff8000);
    const search = new NonceSearch(
      { kind: 'rolling', header: jobHeader(), versionMask16: 0x0300, subCores: 16, cores: 128 },
      0,
    );
    expect(search.total).toBe(4 * 2 ** 25);
    const fields = new Set<number>();
    search.run(4000, 0, (h) => fields.add(h.versionField));
    expect([...fields].sort((a, b) => a - b)).toEqual([0, 0x100, 0x200, 0x300]);
  });

  it('stops when its share of the space is used up', () => {
    const search = new NonceSearch(
      { kind: 'rolling', header: jobHeader(), versionMask16: 0, subCores: 16, cores: 128 },
      0,
    );
    expect(search.total).toBe(2 ** 25);
    search.seek(2 ** 25 - 3);
    expect(search.run(100, 0, () => {})).toBe(3);
    expect(search.exhausted).toBe(true);
  });
});

describe('nonce split without an address field (BM1370)', () => {
  it('scramble25 is a bijection on 25 bits', () => {
    // unscramble(scramble(x)) = x for every x proves scramble25 injective, hence a permutation.
    // Local bindings: the test runner turns imports into property reads, 2^25 times over.
    const [forward, inverse, low25] = [scramble25, unscramble25, LOW25];
    for (let x = 0; x <= low25; x++) {
      const y = forward(x);
      if (y > low25 || inverse(y) !== x) expect.fail(`not a bijection at ${x}`);
    }
  });

  it('chips share 2^25 counter values per core between them, each exactly once', () => {
    const space = {
      kind: 'rolling',
      header: jobHeader(),
      versionMask16: 0,
      subCores: 16,
      cores: 128,
    } as const;
    const totals = [0, 1, 2].map(
      (index) => new NonceSearch(space, { kind: 'interleave', index, count: 3 }).total,
    );
    expect(totals.reduce((a, b) => a + b)).toBe(2 ** 25 * 128);
    expect(() => new NonceSearch(space, { kind: 'interleave', index: 3, count: 3 })).toThrow(RangeError);
  });

  it('4 chips: disjoint candidates, and nonce bits 24..17 vary instead of carrying the chip', () => {
    const header = jobHeader();
    const space = { kind: 'rolling', header, versionMask16: 0xffff, subCores: 16, cores: 128 } as const;
    const seen = new Set<number>();
    const perChipField: Set<number>[] = [];
    const searches = [0, 1, 2, 3].map(
      (index) => new NonceSearch(space, { kind: 'interleave', index, count: 4 }),
    );
    searches.forEach((search, chip) => {
      const fields = new Set<number>();
      // 24 counter steps of all 128 cores x 16 sub-cores.
      search.run(24 * 2048, 0, (hit) => {
        seen.add(hit.versionField * 2 ** 32 + hit.nonceBe);
        fields.add((hit.nonceBe >>> 17) & 0xff);
        const owners = searches.map((s) => s.indexOf(hit));
        if (owners.filter((o) => o !== undefined).length !== 1 || owners[chip] === undefined)
          expect.fail(`candidate ${hit.nonceBe.toString(16)} owned by ${owners}`);
      });
      perChipField.push(fields);
    });
    expect(seen.size).toBe(4 * 24 * 2048);
    // A counting sweep would give one value per chip; 24 scrambled counters give nearly 24.
    for (const fields of perChipField) expect(fields.size).toBeGreaterThanOrEqual(16);
    // Sampled hits check out against a host-side sha256d like the address layout's.
    const hits: Hit[] = [];
    searches[1]?.run(30_000, 8, (h) => hits.push(h));
    expect(hits.length).toBeGreaterThan(40);
    for (const hit of hits) {
      const h = Uint8Array.from(header);
      new DataView(h.buffer).setUint32(0, rolledVersion(0x20000000, 0xffff, hit.versionField), true);
      h.set(hit.nonceBytes, 76);
      expect(hostZeroBits(h)).toBe(hit.zeroBits);
    }
  });
});

describe('NonceSearch (midstates, BM1397 layout)', () => {
  const ms = readVectorJson<Midstate>('bm13xx/bm1397_midstate.json');

  it('computes the ESP-Miner midstate', () => {
    const first64 = hexToBytes(ms.first_64_header_bytes);
    const header = new Uint8Array(80);
    header.set(first64);
    const state = sha256MidstateWords(header);
    const be = new Uint8Array(32);
    state.forEach((w, i) => {
      new DataView(be.buffer).setUint32(i * 4, w);
    });
    expect(bytesToHex(be)).toBe(ms.midstate_state_words_big_endian);
  });

  it('hashes each midstate slot like the full header with that version', () => {
    const base = jobHeader();
    const versions = [0x20000000, 0x20002000];
    const headers = versions.map((v) => {
      const h = Uint8Array.from(base);
      new DataView(h.buffer).setUint32(0, v, true);
      return h;
    });
    const search = new NonceSearch(
      {
        kind: 'midstates',
        midstates: headers.map(sha256MidstateWords),
        tail: base.subarray(64, 76),
        cores: 128,
      },
      2,
    );
    const hits: Hit[] = [];
    search.run(20_000, 6, (h) => hits.push(h));
    expect(hits.length).toBeGreaterThan(150);
    expect(new Set(hits.map((h) => h.slot))).toEqual(new Set([0, 1]));
    for (const hit of hits) {
      const h = Uint8Array.from(headers[hit.slot] ?? new Uint8Array(80));
      h.set(hit.nonceBytes, 76);
      expect(hostZeroBits(h)).toBe(hit.zeroBits);
      expect(hit.versionField).toBe(0);
    }
  });
});
