/**
 * Whole blocks: the 80-byte header, CompactSize transaction count, then the transactions in
 * their witness serialisation (what a node relays and what a found block is submitted as).
 */
import { ByteReader } from '../bytes/reader.js';
import { ByteWriter } from '../bytes/writer.js';
import { readCompactSize, writeCompactSize } from './compact-size.js';
import { HEADER_LENGTH } from './header.js';
import { readTransaction, type Transaction, writeTransaction } from './transaction.js';

interface Block {
  /** The 80 header bytes as hashed. */
  readonly header: Uint8Array;
  readonly transactions: readonly Transaction[];
}

export function parseBlock(bytes: Uint8Array): Block {
  const reader = new ByteReader(bytes, 'Block');
  reader.field = 'header';
  const header = reader.take(HEADER_LENGTH);
  reader.field = 'transaction count';
  const count = readCompactSize(reader);
  // Even an empty transaction takes 10 bytes: a larger count is corrupt input, not a big block.
  if (count > reader.remaining / 10)
    reader.fail(`${count} transactions cannot fit in ${reader.remaining} bytes`);
  const transactions: Transaction[] = [];
  for (let i = 0; i < count; i++) {
    reader.messageName = `Block.transactions[${i}]`;
    transactions.push(readTransaction(reader));
  }
  reader.messageName = 'Block';
  if (reader.remaining !== 0) reader.fail(`${reader.remaining} bytes after the last transaction`);
  return { header, transactions };
}

export function serialiseBlock(block: Block): Uint8Array {
  if (block.header.length !== HEADER_LENGTH)
    throw new RangeError(`block header needs ${HEADER_LENGTH} bytes, got ${block.header.length}`);
  const writer = new ByteWriter(HEADER_LENGTH + 512 * block.transactions.length);
  writer.bytes(block.header);
  writeCompactSize(writer, block.transactions.length);
  for (const tx of block.transactions) writeTransaction(writer, tx, true);
  return writer.finish();
}
