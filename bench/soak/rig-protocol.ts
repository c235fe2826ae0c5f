/**
 * The messages between the campaign and its rig process (rig-process.ts): commands to the
 * simulated hardware one way, state samples and the daemon's books the other.
 */

export interface RigSpec {
  readonly board: string;
  /** Simulated hashes per second for the whole board. */
  readonly hashrate: number;
  /** Target relaxation 2^k of the simulated chips (boards/types.ts SimParams). */
  readonly simTargetShift: number;
}

export type RigCommand =
  | { readonly type: 'line'; readonly dropByteRate: number; readonly flipByteRate: number }
  | { readonly type: 'chip'; readonly position: number; readonly dead: boolean }
  | { readonly type: 'quiet' }
  | { readonly type: 'ledger' }
  /** A full GC (the rig runs with --expose-gc), so RSS readings are not decided by garbage. */
  | { readonly type: 'gc' };

export interface RigSample {
  readonly at: number;
  /** URL of the pool the client is on (null: none). */
  readonly currentPool: string | null;
  readonly poolState: string | null;
  /** The current pool's channel has an active job. */
  readonly hasJob: boolean;
  readonly miningChains: number;
}

/**
 * The daemon's books, read in one synchronous pass. Host-side flow of a nonce:
 * chain entry = chainStale + chainNonces; chainNonces = workStale + hwErrors + chipNonces;
 * chipNonces = belowTarget + duplicates + shares; shares = submitted + clientStale + localStale;
 * submitted = accepted + rejected + unacknowledged + inFlight.
 */
export interface RigLedger {
  readonly pid: number;
  /** Nonce replies the simulated chips put on the line (before line faults). */
  readonly simNoncesEmitted: number;
  readonly chainStale: number;
  readonly chainNonces: number;
  readonly crcErrors: number;
  readonly junkBytes: number;
  readonly workStale: number;
  readonly hwErrors: number;
  readonly chipNonces: number;
  readonly belowTarget: number;
  readonly duplicates: number;
  readonly shares: number;
  readonly submitted: number;
  readonly accepted: number;
  readonly rejected: number;
  readonly unacknowledged: number;
  readonly inFlight: number;
  readonly clientStale: number;
  readonly staleByReason: Readonly<Record<string, number>>;
  readonly localStale: number;
  /** Flatline recovery: chain re-initialisations, and chains disabled after failed ones. */
  readonly chainRecoveries?: number;
  readonly chainsDisabled?: number;
}

export type RigMessage =
  | { readonly type: 'sample'; readonly sample: RigSample }
  | { readonly type: 'ledger'; readonly ledger: RigLedger }
  | { readonly type: 'gc-done'; readonly memory: RigMemory };

/** process.memoryUsage() of the rig right after a full collection, MB. */
export interface RigMemory {
  readonly rssMb: number;
  readonly heapUsedMb: number;
  readonly heapTotalMb: number;
  /** C++ objects bound to JS ones, Buffers' backing stores included. */
  readonly externalMb: number;
  readonly arrayBuffersMb: number;
  /** False when the rig had no gc() (not run with --expose-gc): the figures include garbage. */
  readonly collected: boolean;
}
