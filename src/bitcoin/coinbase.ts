/**
 * The coinbase transaction a pool builds around an extranonce (BIP34, BIP141, SV2 §5 extended
 * jobs). Its non-witness serialisation is split where the extranonce goes, so that
 * prefix ‖ extranonce ‖ suffix is exactly the bytes whose sha256d is the coinbase txid
 * (NewExtendedMiningJob.coinbase_tx_prefix / coinbase_tx_suffix).
 */
import { concatBytes } from '@noble/hashes/utils.js';
import { ByteWriter } from '../bytes/writer.js';
import { writeCompactSize } from './compact-size.js';
import { sha256d } from './sha256d.js';
import { type Transaction, type TxOutput, writeOutputs } from './transaction.js';

/** Consensus bounds on a coinbase scriptSig (Bitcoin Core CheckTransaction). */
const COINBASE_SCRIPT_MIN = 2;
const COINBASE_SCRIPT_MAX = 100;
/** BIP141 commitment output header: OP_RETURN, push 36, tag aa21a9ed. */
const WITNESS_COMMITMENT_HEADER = Uint8Array.of(0x6a, 0x24, 0xaa, 0x21, 0xa9, 0xed);
const HALVING_INTERVAL = 210_000;

interface CoinbaseSpec {
  readonly version: number;
  /** Block height, pushed first in the scriptSig (BIP34). */
  readonly height: number;
  /** scriptSig bytes after the height push and before the extranonce (a pool tag). */
  readonly scriptSigPrefix?: Uint8Array;
  /** Bytes the extranonce fills (upstream prefix plus the miner's part). */
  readonly extranonceLength: number;
  /** scriptSig bytes after the extranonce. */
  readonly scriptSigSuffix?: Uint8Array;
  readonly sequence: number;
  readonly outputs: readonly TxOutput[];
  readonly locktime: number;
}

export interface CoinbaseSplit {
  /** Non-witness serialisation up to the extranonce. */
  readonly prefix: Uint8Array;
  /** Non-witness serialisation after the extranonce. */
  readonly suffix: Uint8Array;
  readonly extranonceLength: number;
}

/**
 * The height as Bitcoin Core's `CScript() << height` writes it: OP_0, OP_1..OP_16, or a minimal
 * little-endian CScriptNum push (a sign byte added when the top bit is set).
 */
export function bip34HeightScript(height: number): Uint8Array {
  if (!Number.isInteger(height) || height < 0 || height > 0x7fffffff)
    throw new RangeError(`block height must be 0..2^31-1, got ${height}`);
  if (height === 0) return Uint8Array.of(0x00);
  if (height <= 16) return Uint8Array.of(0x50 + height);
  const digits: number[] = [];
  for (let v = height; v > 0; v = Math.floor(v / 256)) digits.push(v % 256);
  if (((digits[digits.length - 1] ?? 0) & 0x80) !== 0) digits.push(0);
  return Uint8Array.of(digits.length, ...digits);
}

/** Block subsidy in satoshis at `height` (50 BTC halved every 210 000 blocks). */
export function blockSubsidy(height: number): bigint {
  const halvings = Math.floor(height / HALVING_INTERVAL);
  return halvings >= 64 ? 0n : 5_000_000_000n >> BigInt(halvings);
}

export function buildCoinbase(spec: CoinbaseSpec): CoinbaseSplit {
  return splitCoinbase({
    version: spec.version,
    scriptSigBefore: concatBytes(bip34HeightScript(spec.height), spec.scriptSigPrefix ?? new Uint8Array(0)),
    extranonceLength: spec.extranonceLength,
    scriptSigAfter: spec.scriptSigSuffix ?? new Uint8Array(0),
    sequence: spec.sequence,
    outputs: spec.outputs,
    locktime: spec.locktime,
  });
}

/** A coinbase from its raw parts (SetCustomMiningJob gives a scriptSig prefix, not a height). */
interface CoinbaseParts {
  readonly version: number;
  readonly scriptSigBefore: Uint8Array;
  readonly extranonceLength: number;
  readonly scriptSigAfter: Uint8Array;
  readonly sequence: number;
  readonly outputs: readonly TxOutput[];
  readonly locktime: number;
}

export function splitCoinbase(parts: CoinbaseParts): CoinbaseSplit {
  const before = parts.scriptSigBefore;
  const after = parts.scriptSigAfter;
  if (!Number.isInteger(parts.extranonceLength) || parts.extranonceLength < 0)
    throw new RangeError(`extranonce length must be a byte count, got ${parts.extranonceLength}`);
  const scriptLength = before.length + parts.extranonceLength + after.length;
  if (scriptLength < COINBASE_SCRIPT_MIN || scriptLength > COINBASE_SCRIPT_MAX)
    throw new RangeError(
      `coinbase scriptSig would be ${scriptLength} bytes; consensus allows ${COINBASE_SCRIPT_MIN}..${COINBASE_SCRIPT_MAX}`,
    );
  if (parts.outputs.length === 0) throw new RangeError('a coinbase needs at least one output');
  const head = new ByteWriter(64 + before.length);
  head.u32le(parts.version >>> 0);
  writeCompactSize(head, 1);
  head.bytes(new Uint8Array(32)).u32le(0xffffffff);
  writeCompactSize(head, scriptLength);
  head.bytes(before);
  const tail = new ByteWriter(64 + after.length + 40 * parts.outputs.length);
  tail.bytes(after).u32le(parts.sequence >>> 0);
  writeOutputs(tail, parts.outputs);
  tail.u32le(parts.locktime >>> 0);
  return { prefix: head.finish(), suffix: tail.finish(), extranonceLength: parts.extranonceLength };
}

/** The coinbase's non-witness bytes with this extranonce in place. */
export function assembleCoinbase(split: CoinbaseSplit, extranonce: Uint8Array): Uint8Array {
  if (extranonce.length !== split.extranonceLength)
    throw new RangeError(`extranonce needs ${split.extranonceLength} bytes, got ${extranonce.length}`);
  return concatBytes(split.prefix, extranonce, split.suffix);
}

/** BIP141: sha256d(witness root ‖ the coinbase witness's reserved value). */
export function witnessCommitment(witnessRoot: Uint8Array, reservedValue: Uint8Array): Uint8Array {
  if (witnessRoot.length !== 32 || reservedValue.length !== 32)
    throw new RangeError('witness root and reserved value need 32 bytes each');
  return sha256d(concatBytes(witnessRoot, reservedValue));
}

export function witnessCommitmentOutput(commitment: Uint8Array): TxOutput {
  if (commitment.length !== 32)
    throw new RangeError(`witness commitment needs 32 bytes, got ${commitment.length}`);
  return { value: 0n, scriptPubKey: concatBytes(WITNESS_COMMITMENT_HEADER, commitment) };
}

/** The commitment a coinbase carries: the last output that matches BIP141's pattern. */
export function findWitnessCommitment(coinbase: Transaction): Uint8Array | undefined {
  for (let i = coinbase.outputs.length - 1; i >= 0; i--) {
    const script = coinbase.outputs[i]?.scriptPubKey;
    if (
      script !== undefined &&
      script.length >= 38 &&
      WITNESS_COMMITMENT_HEADER.every((b, k) => script[k] === b)
    )
      return script.slice(6, 38);
  }
  return undefined;
}

/** The height a BIP34 coinbase scriptSig starts with. */
export function bip34Height(scriptSig: Uint8Array): number {
  const op = scriptSig[0];
  if (op === undefined) throw new RangeError('empty coinbase scriptSig has no BIP34 height');
  if (op === 0x00) return 0;
  if (op >= 0x51 && op <= 0x60) return op - 0x50;
  if (op < 1 || op > 4 || scriptSig.length < 1 + op)
    throw new RangeError(
      `coinbase scriptSig does not start with a height push (opcode 0x${op.toString(16)})`,
    );
  let height = 0;
  for (let i = op; i >= 1; i--) height = height * 256 + (scriptSig[i] ?? 0);
  return height;
}
