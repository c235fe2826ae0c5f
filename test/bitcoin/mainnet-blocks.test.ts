/**
 * src/bitcoin against real mainnet blocks (test/vectors/bitcoin/README.md): every txid, the
 * merkle root, the header hash and its proof of work, the coinbase's merkle path, BIP34 height
 * and witness commitment, and a byte-for-byte round trip. The block hashes come from the vector
 * file names (their source's own naming), not from our code.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseBlock, serialiseBlock } from '../../src/bitcoin/block.js';
import {
  assembleCoinbase,
  bip34Height,
  bip34HeightScript,
  buildCoinbase,
  findWitnessCommitment,
  witnessCommitment,
  witnessCommitmentOutput,
} from '../../src/bitcoin/coinbase.js';
import { parseHeader } from '../../src/bitcoin/header.js';
import { coinbaseMerklePath, merkleRoot, merkleRootFromPath } from '../../src/bitcoin/merkle.js';
import { sha256d } from '../../src/bitcoin/sha256d.js';
import { hashMeetsTarget, nbitsToTarget } from '../../src/bitcoin/target.js';
import { isCoinbase, serialiseTransaction, txid, wtxid } from '../../src/bitcoin/transaction.js';
import { bytesToHex, bytesToReversedHex, hexToBytes } from '../../src/bytes/hex.js';
import { DecodeError } from '../../src/errors.js';

const VECTORS = join(dirname(fileURLToPath(import.meta.url)), '..', 'vectors', 'bitcoin');

interface Vector {
  readonly hash: string;
  readonly bytes: Uint8Array;
  readonly segwit: boolean;
}

function load(hash: string, form: 'raw' | 'hex', segwit: boolean): Vector {
  const path = join(VECTORS, `mainnet_block_${hash}.${form}`);
  const bytes =
    form === 'raw' ? new Uint8Array(readFileSync(path)) : hexToBytes(readFileSync(path, 'utf8').trim());
  return { hash, bytes, segwit };
}

const small = load('00000000b0c5a240b2a61d2e75692224efd4cbecdf6eaf4cc2cf477ca7c270e7', 'hex', false);
const segwit = load('000000000000000000000c835b2adcaedc20fdf6ee440009c249452c726dafae', 'raw', true);
const blocks: Vector[] = [small, segwit];

/** The element, or a test failure naming what was missing. */
function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`${what} is missing`);
  return value;
}

describe.each(blocks)('mainnet block $hash', (vector) => {
  const block = parseBlock(vector.bytes);
  const header = parseHeader(block.header);
  const txids = block.transactions.map(txid);

  it('re-serialises byte for byte', () => {
    const again = serialiseBlock(block);
    // Buffer.equals: a deep equal over a megabyte array takes seconds here.
    expect(again.length).toBe(vector.bytes.length);
    expect(Buffer.from(again).equals(Buffer.from(vector.bytes))).toBe(true);
  });

  it('hashes to its block hash and meets its own nbits target', () => {
    const hash = sha256d(block.header);
    expect(bytesToReversedHex(hash)).toBe(vector.hash);
    expect(hashMeetsTarget(hash, nbitsToTarget(header.nbits))).toBe(true);
    // One bit of difference in the header must lose it (the check can fail).
    const tampered = block.header.slice();
    tampered[76] = (tampered[76] ?? 0) ^ 1;
    expect(hashMeetsTarget(sha256d(tampered), nbitsToTarget(header.nbits))).toBe(false);
  });

  it('rebuilds the header merkle root from every txid', () => {
    expect(block.transactions.length).toBeGreaterThan(1);
    expect(isCoinbase(need(block.transactions[0], 'coinbase'))).toBe(true);
    expect(block.transactions.slice(1).some(isCoinbase)).toBe(false);
    expect(bytesToHex(merkleRoot(txids))).toBe(bytesToHex(header.merkleRoot));
  });

  it('rebuilds the root from the coinbase txid and its merkle path', () => {
    const path = coinbaseMerklePath(txids.slice(1));
    expect(path.length).toBe(Math.ceil(Math.log2(txids.length)));
    expect(bytesToHex(merkleRootFromPath(need(txids[0], 'coinbase txid'), path))).toBe(
      bytesToHex(header.merkleRoot),
    );
    // Another coinbase under the same path gives another root.
    const other = need(txids[0], 'coinbase txid').slice();
    other[0] = (other[0] ?? 0) ^ 0x80;
    expect(bytesToHex(merkleRootFromPath(other, path))).not.toBe(bytesToHex(header.merkleRoot));
  });

  it('txids are over the non-witness serialisation', () => {
    for (const tx of block.transactions) {
      expect(bytesToHex(txid(tx))).toBe(bytesToHex(sha256d(serialiseTransaction(tx, false))));
    }
    const withWitness = block.transactions.filter((tx) => tx.inputs.some((i) => i.witness.length > 0));
    if (vector.segwit) {
      expect(withWitness.length).toBeGreaterThan(1);
      for (const tx of withWitness) expect(bytesToHex(wtxid(tx))).not.toBe(bytesToHex(txid(tx)));
    } else {
      expect(withWitness).toEqual([]);
    }
  });
});

describe('segwit coinbase (block 000…dafae)', () => {
  const block = parseBlock(segwit.bytes);
  const coinbase = need(block.transactions[0], 'coinbase');
  const input = need(coinbase.inputs[0], 'coinbase input');

  it('carries the BIP141 commitment to the wtxid root and its reserved value', () => {
    const wtxids = block.transactions.map((tx, i) => (i === 0 ? new Uint8Array(32) : wtxid(tx)));
    const reserved = need(input.witness[0], 'witness reserved value');
    expect(reserved.length).toBe(32);
    const commitment = witnessCommitment(merkleRoot(wtxids), reserved);
    expect(bytesToHex(need(findWitnessCommitment(coinbase), 'commitment'))).toBe(bytesToHex(commitment));
    const output = witnessCommitmentOutput(commitment);
    expect(
      coinbase.outputs.some(
        (o) => o.value === 0n && bytesToHex(o.scriptPubKey) === bytesToHex(output.scriptPubKey),
      ),
    ).toBe(true);
  });

  it('is rebuilt by buildCoinbase around an extranonce, height push first (BIP34)', () => {
    const height = bip34Height(input.scriptSig);
    const push = bip34HeightScript(height);
    expect(bytesToHex(input.scriptSig.subarray(0, push.length))).toBe(bytesToHex(push));
    expect(height).toBeGreaterThan(481_824); // segwit activation: this block must be after it
    const extranonceAt = push.length + 4;
    const extranonce = input.scriptSig.slice(extranonceAt, extranonceAt + 8);
    const split = buildCoinbase({
      version: coinbase.version,
      height,
      scriptSigPrefix: input.scriptSig.slice(push.length, extranonceAt),
      extranonceLength: 8,
      scriptSigSuffix: input.scriptSig.slice(extranonceAt + 8),
      sequence: input.sequence,
      outputs: coinbase.outputs,
      locktime: coinbase.locktime,
    });
    const stripped = assembleCoinbase(split, extranonce);
    expect(bytesToHex(stripped)).toBe(bytesToHex(serialiseTransaction(coinbase, false)));
    expect(bytesToHex(sha256d(stripped))).toBe(bytesToHex(txid(coinbase)));
    expect(() => assembleCoinbase(split, new Uint8Array(7))).toThrow('extranonce needs 8 bytes, got 7');
  });
});

describe('bad block bytes', () => {
  const bytes = small.bytes;

  it('a truncated block names where it ran out', () => {
    expect(() => parseBlock(bytes.subarray(0, bytes.length - 3))).toThrow(DecodeError);
    expect(() => parseBlock(bytes.subarray(0, bytes.length - 3))).toThrow(
      /Block\.transactions\[1\]\.locktime/,
    );
  });

  it('trailing bytes are refused', () => {
    const longer = new Uint8Array(bytes.length + 1);
    longer.set(bytes);
    expect(() => parseBlock(longer)).toThrow('1 bytes after the last transaction');
  });

  it('a non-minimal CompactSize is refused (it would not re-serialise)', () => {
    const bad = new Uint8Array(bytes.length + 2);
    bad.set(bytes.subarray(0, 80));
    bad.set([0xfd, need(bytes[80], 'tx count'), 0x00], 80);
    bad.set(bytes.subarray(81), 83);
    expect(() => parseBlock(bad)).toThrow(/non-minimal CompactSize 2/);
  });
});
