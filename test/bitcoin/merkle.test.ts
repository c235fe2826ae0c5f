import { describe, expect, it } from 'vitest';
import { merkleRootFromPath } from '../../src/bitcoin/merkle.js';
import { sha256d } from '../../src/bitcoin/sha256d.js';
import { bytesToHex, bytesToReversedHex, reversedHexToBytes } from '../../src/bytes/hex.js';

/** Merkle root of a whole level list, built bottom-up the way Bitcoin Core does (odd node paired with itself). */
function fullTreeRoot(leaves: readonly Uint8Array[]): Uint8Array {
  let level = [...leaves];
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) {
      const left = level[i] as Uint8Array;
      const right = level[i + 1] ?? left;
      next.push(sha256d(Uint8Array.from([...left, ...right])));
    }
    level = next;
  }
  return level[0] as Uint8Array;
}

describe('sha256d', () => {
  it('matches the published double SHA-256 of the empty string', () => {
    expect(bytesToHex(sha256d(new Uint8Array()))).toBe(
      '5df6e0e2761359d30a8275058e299fcc0381534545f55cf43e41983f5d4c9456',
    );
  });
});

describe('merkleRootFromPath', () => {
  it('rebuilds the merkle root of mainnet block 170 (coinbase + the first bitcoin payment)', () => {
    const coinbase = reversedHexToBytes('b1fea52486ce0c62bb442b530a3f0132b826c74e473d1f2c220bfa78111c5082');
    const payment = reversedHexToBytes('f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16');
    expect(bytesToReversedHex(merkleRootFromPath(coinbase, [payment]))).toBe(
      '7dac2c5666815c17a3b36427de37bb9d2e2c5ccec3f8633eb91a4205cb4c10ff',
    );
  });

  it('rebuilds the merkle root of mainnet block 100000 (four transactions) from the coinbase path', () => {
    const txids = [
      '8c14f0db3df150123e6f3dbbf30f8b955a8249b62ac1d1ff16284aefa3d06d87',
      'fff2525b8931402dd09222c50775608f75787bd2b87e56995a7bdd30f79702c4',
      '6359f0868171b1d194cbee1af2f16ea598ae8fad666d9b012c8ed2b79a236ec4',
      'e9a66845e05d5abc0ad04ec80f774a7e585c6e8db975962d069a522137b80c1d',
    ].map(reversedHexToBytes);
    const [cb, t1, t2, t3] = txids as [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
    const path = [t1, sha256d(Uint8Array.from([...t2, ...t3]))];
    const expected = 'f3e94742aca4b5ef85488dc37c06c3282295ffec960994b2c0d5ac2a25a95766';
    expect(bytesToReversedHex(merkleRootFromPath(cb, path))).toBe(expected);
    expect(bytesToReversedHex(fullTreeRoot(txids))).toBe(expected);
  });

  it('agrees with a from-scratch tree for every size from 1 to 9 transactions', () => {
    for (let n = 1; n <= 9; n++) {
      const leaves = Array.from({ length: n }, (_, i) => sha256d(Uint8Array.of(n, i)));
      // The coinbase path: at each level, the right sibling of the leftmost node.
      const path: Uint8Array[] = [];
      let level = leaves;
      while (level.length > 1) {
        path.push((level[1] ?? level[0]) as Uint8Array);
        const next: Uint8Array[] = [];
        for (let i = 0; i < level.length; i += 2) {
          const left = level[i] as Uint8Array;
          next.push(sha256d(Uint8Array.from([...left, ...(level[i + 1] ?? left)])));
        }
        level = next;
      }
      expect(bytesToHex(merkleRootFromPath(leaves[0] as Uint8Array, path))).toBe(
        bytesToHex(fullTreeRoot(leaves)),
      );
    }
  });

  it('returns a copy of the txid when the coinbase is the only transaction', () => {
    const txid = sha256d(Uint8Array.of(1));
    const root = merkleRootFromPath(txid, []);
    expect(root).toEqual(txid);
    expect(root).not.toBe(txid);
  });

  it('refuses hashes that are not 32 bytes, naming which', () => {
    expect(() => merkleRootFromPath(new Uint8Array(31), [])).toThrow('coinbase txid needs 32 bytes, got 31');
    expect(() => merkleRootFromPath(new Uint8Array(32), [new Uint8Array(32), new Uint8Array(33)])).toThrow(
      'merkle path[1] needs 32 bytes, got 33',
    );
  });
});
