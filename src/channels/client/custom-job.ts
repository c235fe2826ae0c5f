/**
 * The client side of a custom job (spec 05 §5.3.18–5.3.20; used by a Job Declarator Client):
 * the coinbase split a SetCustomMiningJob describes, and the requests in flight until the pool
 * answers .Success (with the job id to mine under) or .Error. Pure; bounded.
 */
import type { MessageFields } from '../../sv2/messages/registry.js';

export type CustomJobFields = Omit<MessageFields<'SetCustomMiningJob'>, 'channel_id' | 'request_id'>;

/** Largest scriptSig consensus allows in a coinbase (BIP34 height included). */
const MAX_SCRIPT_SIG = 100;

/**
 * The coinbase around the full extranonce, non-witness serialisation (what the txid hashes):
 * version | 1 input | null prevout | scriptSig length | coinbase_prefix ‖ extranonce ‖ nSequence |
 * outputs (serialised with their count, as SetCustomMiningJob carries them) | locktime.
 * coinbase_prefix already ends with the push opcode for the extranonce (SRI's JobFactory).
 */
export function customJobCoinbase(
  f: CustomJobFields,
  fullExtranonceSize: number,
): { readonly prefix: Uint8Array; readonly suffix: Uint8Array } {
  const scriptSigLength = f.coinbase_prefix.length + fullExtranonceSize;
  if (scriptSigLength > MAX_SCRIPT_SIG)
    throw new RangeError(
      `custom job scriptSig would be ${scriptSigLength} bytes (coinbase_prefix ${f.coinbase_prefix.length} + extranonce ${fullExtranonceSize}), consensus allows ${MAX_SCRIPT_SIG}`,
    );
  const prefix = new Uint8Array(4 + 1 + 32 + 4 + 1 + f.coinbase_prefix.length);
  const pv = new DataView(prefix.buffer);
  pv.setUint32(0, f.coinbase_tx_version >>> 0, true);
  prefix[4] = 1;
  // prevout: 32 zero bytes (already zero) then index 0xffffffff.
  pv.setUint32(37, 0xffffffff, true);
  // Under 0xfd a CompactSize is the length byte itself; 100 bytes is the consensus cap anyway.
  prefix[41] = scriptSigLength;
  prefix.set(f.coinbase_prefix, 42);
  const suffix = new Uint8Array(4 + f.coinbase_tx_outputs.length + 4);
  const sv = new DataView(suffix.buffer);
  sv.setUint32(0, f.coinbase_tx_input_nSequence >>> 0, true);
  suffix.set(f.coinbase_tx_outputs, 4);
  sv.setUint32(4 + f.coinbase_tx_outputs.length, f.coinbase_tx_locktime >>> 0, true);
  return { prefix, suffix };
}

interface PendingCustomJob {
  readonly requestId: number;
  readonly fields: CustomJobFields;
  /** The channel's extranonce prefix when the request was made: the job is mined with it. */
  readonly extranoncePrefix: Uint8Array;
}

/** SetCustomMiningJob requests awaiting an answer, oldest forgotten beyond `limit`. */
export class CustomJobRequests {
  private readonly pending = new Map<number, PendingCustomJob>();
  private nextRequestId = 1;
  private readonly limit: number;

  constructor(limit = 16) {
    this.limit = limit;
  }

  get inFlight(): number {
    return this.pending.size;
  }

  add(fields: CustomJobFields, extranoncePrefix: Uint8Array): PendingCustomJob {
    const requestId = this.nextRequestId;
    this.nextRequestId = (this.nextRequestId % 0xffffffff) + 1;
    const entry = { requestId, fields, extranoncePrefix };
    this.pending.set(requestId, entry);
    if (this.pending.size > this.limit) {
      const oldest = this.pending.keys().next().value;
      if (oldest !== undefined) this.pending.delete(oldest);
    }
    return entry;
  }

  /** The request an answer names, removed; undefined for one we never made or forgot. */
  take(requestId: number): PendingCustomJob | undefined {
    const entry = this.pending.get(requestId);
    this.pending.delete(requestId);
    return entry;
  }
}
