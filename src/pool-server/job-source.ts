/**
 * The simulated chain behind the local pool: a deterministic prev-hash chain ("blocks" every N s or
 * when a share meets nbits), a fixed nbits, and real job templates on it: a coinbase paying the
 * block subsidy with the BIP34 height and a BIP141 witness commitment, split around the pool's
 * extranonce space, and a merkle path over a few simulated transactions. The prev hashes and
 * transactions are not on any real chain, but every byte is built and checked as a real block's
 * would be (sv2.md §5.2, §6.3), so extended-channel clients rebuild the same merkle roots.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes } from '@noble/hashes/utils.js';
import {
  blockSubsidy,
  buildCoinbase,
  witnessCommitment,
  witnessCommitmentOutput,
} from '../bitcoin/coinbase.js';
import { coinbaseMerklePath, merkleRoot } from '../bitcoin/merkle.js';
import { sha256d } from '../bitcoin/sha256d.js';
import type { ChainTip, JobTemplate } from '../channels/server/job-template.js';

export type { ChainTip } from '../channels/server/job-template.js';

/** A mainnet-like nbits (difficulty ≈ 8·10^13): the demo never finds a block with it. */
export const DEFAULT_NBITS = 0x17027726;
/** Base version: BIP9 top bits 001 and nothing else, as real templates carry. */
const DEFAULT_JOB_VERSION = 0x20000000;
/** Simulated non-coinbase transactions per block: enough for a merkle path two levels deep. */
const DEFAULT_SIMULATED_TRANSACTIONS = 3;
/** Coinbase tag, after the height push (ASCII, like pools' signatures). */
const COINBASE_TAG = new TextEncoder().encode('/sv2miner/');
/** P2WSH of OP_TRUE: a real, standard output script that needs no key the pool would hold. */
export const DEFAULT_PAYOUT_SCRIPT = concatBytes(Uint8Array.of(0x00, 0x20), sha256(Uint8Array.of(0x51)));

const TAG = new TextEncoder().encode('sv2miner local pool');

function u32le(v: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, v >>> 0, true);
  return out;
}

/**
 * A fake block hash: sha256d of the previous one and the height, with the top 4 bytes of the
 * integer (the last 4 wire bytes) zeroed so it looks like a real block hash in explorers' order.
 */
export function nextPrevHash(previous: Uint8Array, height: number): Uint8Array {
  const h = sha256d(concatBytes(TAG, previous, u32le(height)));
  h.fill(0, 28);
  return h;
}

/** Txids of the simulated transactions of the block on `tip` (they have no witness: wtxid = txid). */
function simulatedTxids(tip: ChainTip, count: number): Uint8Array[] {
  return Array.from({ length: count }, (_, i) => sha256d(concatBytes(TAG, tip.prevHash, u32le(i))));
}

interface JobSourceOptions {
  readonly nbits?: number;
  readonly version?: number;
  /** Unix seconds. */
  readonly nowSec: () => number;
  /** Seeds the genesis prev hash (different pools, different chains). */
  readonly seed?: Uint8Array;
  /** Bytes the coinbase reserves for extranonce (prefix plus the downstream's part). */
  readonly extranonceSpace: number;
  readonly simulatedTransactions?: number;
  readonly payoutScript?: Uint8Array;
}

interface TipWork {
  readonly tip: ChainTip;
  readonly merklePath: Uint8Array[];
  readonly commitment: Uint8Array;
}

/** Holds the current tip; `advance` makes the next simulated block, `template` the next job. */
export class JobSource {
  readonly nbits: number;
  readonly version: number;
  private readonly nowSec: () => number;
  private readonly extranonceSpace: number;
  private readonly simulatedTransactions: number;
  private readonly payoutScript: Uint8Array;
  private current: TipWork;
  private templateCounter = 0;

  constructor(options: JobSourceOptions) {
    this.nbits = options.nbits ?? DEFAULT_NBITS;
    this.version = options.version ?? DEFAULT_JOB_VERSION;
    this.nowSec = options.nowSec;
    this.extranonceSpace = options.extranonceSpace;
    this.simulatedTransactions = options.simulatedTransactions ?? DEFAULT_SIMULATED_TRANSACTIONS;
    // Bounded so a template stays cheap and its merkle path far inside SEQ0_255.
    if (
      !Number.isInteger(this.simulatedTransactions) ||
      this.simulatedTransactions < 0 ||
      this.simulatedTransactions > 4096
    )
      throw new RangeError(`simulated transactions must be 0..4096, got ${this.simulatedTransactions}`);
    this.payoutScript = options.payoutScript ?? DEFAULT_PAYOUT_SCRIPT;
    const genesis = nextPrevHash(options.seed ?? new Uint8Array(32), 0);
    this.current = this.workFor({
      height: 1,
      prevHash: genesis,
      nbits: this.nbits,
      minNtime: options.nowSec(),
    });
  }

  get tip(): ChainTip {
    return this.current.tip;
  }

  /**
   * Moves to a new block. `foundHash` (a share that met nbits) becomes the new prev hash, as it
   * would on a real chain; otherwise the next hash of the fake chain is used.
   */
  advance(foundHash?: Uint8Array): ChainTip {
    const prev = this.current.tip;
    const prevHash =
      foundHash === undefined ? nextPrevHash(prev.prevHash, prev.height + 1) : foundHash.slice();
    // A new block's time may not go backwards (median-time-past in spirit).
    const minNtime = Math.max(this.nowSec(), prev.minNtime + 1);
    this.current = this.workFor({ height: prev.height + 1, prevHash, nbits: this.nbits, minNtime });
    return this.current.tip;
  }

  /** ntime an active job announces now: the tip time, or the wall clock if later. */
  activeNtime(): number {
    return Math.max(this.current.tip.minNtime, this.nowSec());
  }

  /**
   * The next job template on the current tip. A counter in the coinbase scriptSig makes every
   * template's coinbase, and so every job's merkle root, different from all others.
   */
  template(): JobTemplate {
    const { tip, merklePath, commitment } = this.current;
    this.templateCounter = (this.templateCounter + 1) >>> 0;
    const coinbase = buildCoinbase({
      version: 2,
      height: tip.height,
      scriptSigPrefix: concatBytes(COINBASE_TAG, u32le(this.templateCounter)),
      extranonceLength: this.extranonceSpace,
      sequence: 0xffffffff,
      outputs: [
        { value: blockSubsidy(tip.height), scriptPubKey: this.payoutScript },
        witnessCommitmentOutput(commitment),
      ],
      locktime: 0,
    });
    return { version: this.version, coinbase, merklePath };
  }

  private workFor(tip: ChainTip): TipWork {
    const txids = simulatedTxids(tip, this.simulatedTransactions);
    // BIP141: the coinbase's wtxid counts as zero; the simulated transactions carry no witness.
    const witnessRoot = merkleRoot([new Uint8Array(32), ...txids]);
    return {
      tip,
      merklePath: coinbaseMerklePath(txids),
      commitment: witnessCommitment(witnessRoot, new Uint8Array(32)),
    };
  }
}
