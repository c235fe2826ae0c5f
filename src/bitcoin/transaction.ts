/**
 * Bitcoin transactions: parse and serialise, with and without BIP144 witness data, and the two
 * ids. The txid is sha256d over the non-witness form (what the block's merkle root commits to
 * and what SV2's coinbase_tx_prefix/suffix describe); the wtxid includes the witness.
 */
import { ByteReader } from '../bytes/reader.js';
import { ByteWriter } from '../bytes/writer.js';
import { readCompactSize, writeCompactSize } from './compact-size.js';
import { sha256d } from './sha256d.js';

/** 21 million BTC in satoshis: no output may carry more (Bitcoin Core MoneyRange). */
const MAX_MONEY = 2_100_000_000_000_000n;

interface TxInput {
  /** Internal byte order; all zero in a coinbase. */
  readonly prevTxid: Uint8Array;
  readonly prevIndex: number;
  readonly scriptSig: Uint8Array;
  readonly sequence: number;
  /** BIP141 witness stack; empty for a non-witness input. */
  readonly witness: readonly Uint8Array[];
}

export interface TxOutput {
  /** Satoshis. */
  readonly value: bigint;
  readonly scriptPubKey: Uint8Array;
}

export interface Transaction {
  readonly version: number;
  readonly inputs: readonly TxInput[];
  readonly outputs: readonly TxOutput[];
  readonly locktime: number;
}

export function hasWitness(tx: Transaction): boolean {
  return tx.inputs.some((input) => input.witness.length > 0);
}

/** Reads one transaction at the reader's offset (either serialisation). */
export function readTransaction(reader: ByteReader): Transaction {
  reader.field = 'version';
  const version = reader.u32le();
  // BIP144: marker 0x00 (where a non-witness tx has its input count, never 0) then flag 0x01.
  let segwit = false;
  if (reader.remaining >= 2 && reader.bytes[reader.offset] === 0 && reader.bytes[reader.offset + 1] !== 0) {
    reader.field = 'witness flag';
    reader.u8();
    const flag = reader.u8();
    if (flag !== 1) reader.fail(`witness flag must be 1, got ${flag}`, reader.offset - 1);
    segwit = true;
  }
  reader.field = 'input count';
  const inputCount = readCompactSize(reader);
  const partial: { prevTxid: Uint8Array; prevIndex: number; scriptSig: Uint8Array; sequence: number }[] = [];
  for (let i = 0; i < inputCount; i++) {
    reader.field = `inputs[${i}]`;
    const prevTxid = reader.take(32);
    const prevIndex = reader.u32le();
    const scriptSig = reader.take(readCompactSize(reader));
    const sequence = reader.u32le();
    partial.push({ prevTxid, prevIndex, scriptSig, sequence });
  }
  const outputs = readOutputs(reader);
  const inputs: TxInput[] = partial.map((input, i) => {
    if (!segwit) return { ...input, witness: [] };
    reader.field = `inputs[${i}].witness`;
    const items: Uint8Array[] = [];
    const count = readCompactSize(reader);
    for (let k = 0; k < count; k++) items.push(reader.take(readCompactSize(reader)));
    return { ...input, witness: items };
  });
  if (segwit && !inputs.some((input) => input.witness.length > 0))
    reader.fail('witness serialisation with every witness empty (BIP144 forbids it)');
  reader.field = 'locktime';
  const locktime = reader.u32le();
  return { version, inputs, outputs, locktime };
}

export function parseTransaction(bytes: Uint8Array): Transaction {
  const reader = new ByteReader(bytes, 'Transaction');
  const tx = readTransaction(reader);
  if (reader.remaining !== 0) reader.fail(`${reader.remaining} bytes after the transaction`);
  return tx;
}

/** CompactSize count, then each output (value, script): a transaction's output list. */
export function readOutputs(reader: ByteReader): TxOutput[] {
  reader.field = 'output count';
  const outputCount = readCompactSize(reader);
  const outputs: TxOutput[] = [];
  for (let i = 0; i < outputCount; i++) {
    reader.field = `outputs[${i}]`;
    const value = reader.u64le();
    if (value > MAX_MONEY) reader.fail(`output value ${value} exceeds 21 million BTC`, reader.offset - 8);
    outputs.push({ value, scriptPubKey: reader.take(readCompactSize(reader)) });
  }
  return outputs;
}

export function writeOutputs(writer: ByteWriter, outputs: readonly TxOutput[]): void {
  writeCompactSize(writer, outputs.length);
  for (const output of outputs) {
    if (output.value < 0n || output.value > MAX_MONEY)
      throw new RangeError(`output value must be 0..${MAX_MONEY} satoshis, got ${output.value}`);
    writer.u64le(output.value);
    writeCompactSize(writer, output.scriptPubKey.length);
    writer.bytes(output.scriptPubKey);
  }
}

/** Appends the transaction; `witness` false gives the txid serialisation. */
export function writeTransaction(writer: ByteWriter, tx: Transaction, witness: boolean): void {
  const segwit = witness && hasWitness(tx);
  writer.u32le(tx.version >>> 0);
  if (segwit) writer.u8(0).u8(1);
  writeCompactSize(writer, tx.inputs.length);
  for (const input of tx.inputs) {
    if (input.prevTxid.length !== 32)
      throw new RangeError(`prevTxid needs 32 bytes, got ${input.prevTxid.length}`);
    writer.bytes(input.prevTxid).u32le(input.prevIndex >>> 0);
    writeCompactSize(writer, input.scriptSig.length);
    writer.bytes(input.scriptSig).u32le(input.sequence >>> 0);
  }
  writeOutputs(writer, tx.outputs);
  if (segwit) {
    for (const input of tx.inputs) {
      writeCompactSize(writer, input.witness.length);
      for (const item of input.witness) {
        writeCompactSize(writer, item.length);
        writer.bytes(item);
      }
    }
  }
  writer.u32le(tx.locktime >>> 0);
}

export function serialiseTransaction(tx: Transaction, witness = true): Uint8Array {
  const writer = new ByteWriter(256);
  writeTransaction(writer, tx, witness);
  return writer.finish();
}

export function txid(tx: Transaction): Uint8Array {
  return sha256d(serialiseTransaction(tx, false));
}

export function wtxid(tx: Transaction): Uint8Array {
  return sha256d(serialiseTransaction(tx, true));
}

export function isCoinbase(tx: Transaction): boolean {
  const only = tx.inputs.length === 1 ? tx.inputs[0] : undefined;
  return only !== undefined && only.prevIndex === 0xffffffff && only.prevTxid.every((b) => b === 0);
}
