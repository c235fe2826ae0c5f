import { describe, expect, it } from 'vitest';
import {
  assembleCoinbase,
  bip34Height,
  bip34HeightScript,
  blockSubsidy,
  buildCoinbase,
} from '../../src/bitcoin/coinbase.js';
import { coinbaseMerklePath, merkleRoot, merkleRootFromPath } from '../../src/bitcoin/merkle.js';
import { sha256d } from '../../src/bitcoin/sha256d.js';
import { isCoinbase, parseTransaction, txid } from '../../src/bitcoin/transaction.js';
import { bytesToHex } from '../../src/bytes/hex.js';

describe('BIP34 height push (Bitcoin Core CScript() << height)', () => {
  it.each([
    [0, '00'],
    [1, '51'],
    [16, '60'],
    [17, '0111'],
    [127, '017f'],
    [128, '028000'],
    [255, '02ff00'],
    [256, '020001'],
    [32767, '02ff7f'],
    [32768, '03008000'],
    [8_388_608, '0400008000'],
    [840_000, '0340d10c'],
  ])('height %i → %s, and back', (height, hex) => {
    expect(bytesToHex(bip34HeightScript(height))).toBe(hex);
    expect(bip34Height(bip34HeightScript(height))).toBe(height);
  });

  it('refuses heights no script number holds', () => {
    expect(() => bip34HeightScript(-1)).toThrow('block height must be 0..2^31-1, got -1');
    expect(() => bip34HeightScript(2 ** 31)).toThrow(RangeError);
  });
});

it('subsidy halves every 210 000 blocks', () => {
  expect(blockSubsidy(0)).toBe(5_000_000_000n);
  expect(blockSubsidy(209_999)).toBe(5_000_000_000n);
  expect(blockSubsidy(210_000)).toBe(2_500_000_000n);
  expect(blockSubsidy(840_000)).toBe(312_500_000n);
  expect(blockSubsidy(64 * 210_000)).toBe(0n);
});

describe('buildCoinbase', () => {
  const spec = {
    version: 2,
    height: 1,
    scriptSigPrefix: new TextEncoder().encode('/tag/'),
    extranonceLength: 12,
    sequence: 0xffffffff,
    outputs: [{ value: 5_000_000_000n, scriptPubKey: Uint8Array.of(0x51) }],
    locktime: 0,
  };

  it('prefix ‖ extranonce ‖ suffix parses as a coinbase with the extranonce in its scriptSig', () => {
    const split = buildCoinbase(spec);
    const extranonce = Uint8Array.from({ length: 12 }, (_, i) => i + 1);
    const bytes = assembleCoinbase(split, extranonce);
    const tx = parseTransaction(bytes);
    expect(isCoinbase(tx)).toBe(true);
    const script = tx.inputs[0]?.scriptSig ?? new Uint8Array(0);
    expect(bytesToHex(script)).toBe(`51${bytesToHex(spec.scriptSigPrefix)}${bytesToHex(extranonce)}`);
    expect(bip34Height(script)).toBe(1);
    expect(tx.outputs).toEqual(spec.outputs);
    expect(bytesToHex(txid(tx))).toBe(bytesToHex(sha256d(bytes)));
  });

  it('different extranonces give different merkle roots under one path', () => {
    const split = buildCoinbase(spec);
    const others = [sha256d(Uint8Array.of(1)), sha256d(Uint8Array.of(2)), sha256d(Uint8Array.of(3))];
    const path = coinbaseMerklePath(others);
    const roots = [0, 1].map((k) => {
      const cb = sha256d(assembleCoinbase(split, new Uint8Array(12).fill(k)));
      const root = merkleRootFromPath(cb, path);
      expect(bytesToHex(root)).toBe(bytesToHex(merkleRoot([cb, ...others])));
      return bytesToHex(root);
    });
    expect(roots[0]).not.toBe(roots[1]);
  });

  it('keeps the scriptSig inside consensus bounds', () => {
    expect(() => buildCoinbase({ ...spec, extranonceLength: 100 })).toThrow(
      'coinbase scriptSig would be 106 bytes; consensus allows 2..100',
    );
    expect(() => buildCoinbase({ ...spec, scriptSigPrefix: new Uint8Array(0), extranonceLength: 0 })).toThrow(
      'coinbase scriptSig would be 1 bytes',
    );
    expect(() => buildCoinbase({ ...spec, outputs: [] })).toThrow('a coinbase needs at least one output');
  });
});

describe('coinbaseMerklePath', () => {
  it('is empty for a coinbase-only block and every length rebuilds the full root', () => {
    expect(coinbaseMerklePath([])).toEqual([]);
    const ids = Array.from({ length: 12 }, (_, i) => sha256d(Uint8Array.of(i)));
    for (let n = 1; n <= ids.length; n++) {
      const all = ids.slice(0, n);
      const path = coinbaseMerklePath(all.slice(1));
      expect(bytesToHex(merkleRootFromPath(all[0] ?? new Uint8Array(32), path))).toBe(
        bytesToHex(merkleRoot(all)),
      );
    }
  });

  it('refuses values that are not 32 bytes', () => {
    expect(() => coinbaseMerklePath([new Uint8Array(31)])).toThrow('txids[0] needs 32 bytes, got 31');
    expect(() => merkleRootFromPath(new Uint8Array(32), [new Uint8Array(33)])).toThrow(
      'path[0] needs 32 bytes, got 33',
    );
  });
});
