/**
 * An extended channel, server side (sv2.md §5.2): the downstream gets the coinbase split and the
 * merkle path (NewExtendedMiningJob) and rolls `extranonceSize` bytes after the channel's
 * extranonce prefix. Each SubmitSharesExtended is checked by rebuilding the coinbase from
 * prefix ‖ extranonce_prefix ‖ extranonce ‖ suffix, folding the path into the merkle root and
 * hashing the header. SetExtranoncePrefix changes the prefix for jobs sent after it; jobs already
 * sent keep the prefix they were sent with. SetCustomMiningJob (work the downstream chose, with a
 * token from a Job Declarator) becomes a job of this channel once it fits the current tip.
 */
import { concatBytes } from '@noble/hashes/utils.js';
import { bip34Height, splitCoinbase } from '../../bitcoin/coinbase.js';
import { readOutputs, type TxOutput } from '../../bitcoin/transaction.js';
import { ByteReader } from '../../bytes/reader.js';
import { DecodeError } from '../../errors.js';
import type { MessageFields } from '../../sv2/messages/registry.js';
import {
  type Outgoing,
  ServerChannelBase,
  type ServerChannelInit,
  type ServerJob,
  type ServerShareVerdict,
  type SubmittedShare,
} from './channel.js';
import { templateMerkleRoot } from './job-template.js';

/** SetCustomMiningJob.Error codes this channel answers with (SRI's strings, sv2.md §5.3). */
type CustomJobErrorCode =
  | 'invalid-mining-job-token'
  | 'stale-chain-tip'
  | 'invalid-nbits'
  | 'invalid-min-ntime'
  | 'invalid-coinbase-prefix'
  | 'invalid-coinbase-tx-outputs';

type CustomJobOutcome =
  | { readonly ok: true; readonly jobId: number; readonly reply: Outgoing }
  | {
      readonly ok: false;
      readonly code: CustomJobErrorCode;
      readonly detail: string;
      readonly reply: Outgoing;
    };

interface ExtendedServerChannelInit extends ServerChannelInit {
  /** Bytes the downstream rolls (OpenExtendedMiningChannel.Success.extranonce_size). */
  readonly extranonceSize: number;
  /** The pool's whole extranonce space: prefix plus extranonceSize always fill it. */
  readonly extranonceSpace: number;
}

interface ExtendedShare extends SubmittedShare {
  readonly extranonce: Uint8Array;
}

export class ExtendedServerChannel extends ServerChannelBase {
  readonly kind = 'extended';
  readonly extranonceSize: number;
  private readonly extranonceSpace: number;

  constructor(init: ExtendedServerChannelInit) {
    if (init.extranoncePrefix.length + init.extranonceSize !== init.extranonceSpace)
      throw new RangeError(
        `extranonce prefix (${init.extranoncePrefix.length}) + size (${init.extranonceSize}) must fill the pool's ${init.extranonceSpace} bytes`,
      );
    super(init);
    this.extranonceSize = init.extranonceSize;
    this.extranonceSpace = init.extranonceSpace;
  }

  submit(share: ExtendedShare, nowSec: number): ServerShareVerdict {
    const found = this.lookupJob(share);
    if ('kind' in found) return found;
    if (share.extranonce.length !== this.extranonceSize)
      return this.rejected(
        share,
        'bad-extranonce-size',
        `extranonce has ${share.extranonce.length} bytes, the channel's extranonce_size is ${this.extranonceSize}`,
      );
    const { job, tip } = found;
    const root = templateMerkleRoot(job.template, concatBytes(job.extranoncePrefix, share.extranonce));
    return this.judge(share, job, tip, root, nowSec);
  }

  /** A new prefix for jobs from now on; same length, so the downstream's extranonce_size holds. */
  setExtranoncePrefix(prefix: Uint8Array): Outgoing {
    if (prefix.length + this.extranonceSize !== this.extranonceSpace)
      throw new RangeError(
        `new extranonce prefix needs ${this.extranonceSpace - this.extranonceSize} bytes, got ${prefix.length}`,
      );
    this.extranoncePrefixBytes = prefix.slice();
    return {
      name: 'SetExtranoncePrefix',
      fields: { channel_id: this.channelId, extranonce_prefix: prefix.slice() },
    };
  }

  /**
   * Takes a custom job: the token must be one the Job Declarator issued (`tokenValid`), the job
   * must build on the current tip with its nbits, not start before its min_ntime, and describe a
   * coinbase that starts with the tip's BIP34 height and leaves this channel's extranonce space
   * inside consensus bounds. Shares for it are then checked like any other job's.
   */
  setCustomMiningJob(
    f: MessageFields<'SetCustomMiningJob'>,
    tokenValid: (token: Uint8Array) => boolean,
  ): CustomJobOutcome {
    const refuse = (code: CustomJobErrorCode, detail: string): CustomJobOutcome => ({
      ok: false,
      code,
      detail,
      reply: {
        name: 'SetCustomMiningJob.Error',
        fields: { channel_id: this.channelId, request_id: f.request_id, error_code: code },
      },
    });
    if (!tokenValid(f.mining_job_token))
      return refuse('invalid-mining-job-token', 'no such mining job token');
    const tip = this.currentTip;
    if (tip === undefined || !sameBytes(f.prev_hash, tip.prevHash))
      return refuse('stale-chain-tip', 'prev_hash is not the current chain tip');
    if (f.nbits >>> 0 !== tip.nbits >>> 0)
      return refuse('invalid-nbits', `nbits 0x${(f.nbits >>> 0).toString(16)} differs from the tip's`);
    if (f.min_ntime < tip.minNtime)
      return refuse('invalid-min-ntime', `min_ntime ${f.min_ntime} is before the tip's ${tip.minNtime}`);
    let height: number;
    try {
      height = bip34Height(f.coinbase_prefix);
    } catch (err) {
      return refuse('invalid-coinbase-prefix', err instanceof Error ? err.message : String(err));
    }
    if (height !== tip.height)
      return refuse(
        'invalid-coinbase-prefix',
        `coinbase height ${height}, the block being mined is ${tip.height}`,
      );
    let outputs: TxOutput[];
    try {
      const reader = new ByteReader(f.coinbase_tx_outputs, 'SetCustomMiningJob.coinbase_tx_outputs');
      outputs = readOutputs(reader);
      if (reader.remaining !== 0) reader.fail(`${reader.remaining} bytes after the outputs`);
    } catch (err) {
      if (err instanceof DecodeError) return refuse('invalid-coinbase-tx-outputs', err.message);
      throw err;
    }
    let coinbase: ReturnType<typeof splitCoinbase>;
    try {
      coinbase = splitCoinbase({
        version: f.coinbase_tx_version,
        scriptSigBefore: f.coinbase_prefix,
        extranonceLength: this.extranonceSpace,
        scriptSigAfter: new Uint8Array(0),
        sequence: f.coinbase_tx_input_nSequence,
        outputs,
        locktime: f.coinbase_tx_locktime,
      });
    } catch (err) {
      if (!(err instanceof RangeError)) throw err;
      const code = outputs.length === 0 ? 'invalid-coinbase-tx-outputs' : 'invalid-coinbase-prefix';
      return refuse(code, err.message);
    }
    const job = this.addJob({ version: f.version, coinbase, merklePath: f.merkle_path }, f.min_ntime);
    return {
      ok: true,
      jobId: job.jobId,
      reply: {
        name: 'SetCustomMiningJob.Success',
        fields: { channel_id: this.channelId, request_id: f.request_id, job_id: job.jobId },
      },
    };
  }

  protected rootAtIssue(): undefined {
    return undefined;
  }

  protected jobMessage(job: ServerJob, minNtime: number | null): Outgoing {
    return {
      name: 'NewExtendedMiningJob',
      fields: {
        channel_id: this.channelId,
        job_id: job.jobId,
        min_ntime: minNtime,
        version: job.version,
        // The pool's versionMask is what checkShare enforces; rolling inside it is allowed.
        version_rolling_allowed: this.versionMask !== 0,
        merkle_path: job.template.merklePath.map((node) => node.slice()),
        coinbase_tx_prefix: job.template.coinbase.prefix,
        coinbase_tx_suffix: job.template.coinbase.suffix,
      },
    };
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
