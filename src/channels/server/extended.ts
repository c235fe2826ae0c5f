/**
 * An extended channel, server side (sv2.md §5.2): the downstream gets the coinbase split and the
 * merkle path (NewExtendedMiningJob) and rolls `extranonceSize` bytes after the channel's
 * extranonce prefix. Each SubmitSharesExtended is checked by rebuilding the coinbase from
 * prefix ‖ extranonce_prefix ‖ extranonce ‖ suffix, folding the path into the merkle root and
 * hashing the header. SetExtranoncePrefix changes the prefix for jobs sent after it; jobs already
 * sent keep the prefix they were sent with.
 */
import { concatBytes } from '@noble/hashes/utils.js';
import {
  type Outgoing,
  ServerChannelBase,
  type ServerChannelInit,
  type ServerJob,
  type SubmitOutcome,
  type SubmittedShare,
} from './channel.js';
import { templateMerkleRoot } from './job-template.js';

export interface ExtendedChannelInit extends ServerChannelInit {
  /** Bytes the downstream rolls (OpenExtendedMiningChannel.Success.extranonce_size). */
  readonly extranonceSize: number;
  /** The pool's whole extranonce space: prefix plus extranonceSize always fill it. */
  readonly extranonceSpace: number;
}

export interface ExtendedShare extends SubmittedShare {
  readonly extranonce: Uint8Array;
}

export class ExtendedServerChannel extends ServerChannelBase {
  readonly kind = 'extended';
  readonly extranonceSize: number;
  private readonly extranonceSpace: number;

  constructor(init: ExtendedChannelInit) {
    if (init.extranoncePrefix.length + init.extranonceSize !== init.extranonceSpace)
      throw new RangeError(
        `extranonce prefix (${init.extranoncePrefix.length}) + size (${init.extranonceSize}) must fill the pool's ${init.extranonceSpace} bytes`,
      );
    super(init);
    this.extranonceSize = init.extranonceSize;
    this.extranonceSpace = init.extranonceSpace;
  }

  submit(share: ExtendedShare, nowSec: number): SubmitOutcome {
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
