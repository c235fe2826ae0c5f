/**
 * A standard channel on the client side (spec 05 §5.2.1, §5.3.10): the pool sends a finished
 * merkle root per job (NewMiningJob). When the channel sits in a group the pool may address an
 * extended job to the group instead; a standard member then builds its own merkle root from the
 * coinbase split with its whole extranonce_prefix as the extranonce (spec 05 §5.3.16; SRI's
 * ExtendedJob::into_standard_job does the same).
 */
import type { MessageFields } from '../../sv2/messages/registry.js';
import { merkleRootFor } from '../../work/extranonce.js';
import { type ChannelUpdate, ClientChannel } from './channel-core.js';

interface NewMiningJobFields {
  readonly job_id: number;
  readonly min_ntime: number | null;
  readonly version: number;
  readonly merkle_root: Uint8Array;
}

export type NewExtendedMiningJobFields = Omit<MessageFields<'NewExtendedMiningJob'>, 'channel_id'>;

export class StandardChannel extends ClientChannel {
  readonly kind = 'standard';

  newMiningJob(f: NewMiningJobFields, now: number): ChannelUpdate {
    return this.receiveJob(
      {
        jobId: f.job_id,
        minNtime: f.min_ntime,
        version: f.version,
        versionMask: this.versionMask,
        body: { merkleRoot: f.merkle_root },
      },
      now,
    );
  }

  /** A group channel's extended job, turned into this member's standard job. */
  newExtendedMiningJob(f: NewExtendedMiningJobFields, now: number): ChannelUpdate {
    const merkleRoot = merkleRootFor(
      {
        coinbasePrefix: f.coinbase_tx_prefix,
        coinbaseSuffix: f.coinbase_tx_suffix,
        merklePath: f.merkle_path,
        extranoncePrefix: this.extranoncePrefix,
        extranonceSize: 0,
      },
      new Uint8Array(),
    );
    return this.receiveJob(
      {
        jobId: f.job_id,
        minNtime: f.min_ntime,
        version: f.version,
        versionMask: f.version_rolling_allowed ? this.versionMask : 0,
        body: { merkleRoot },
      },
      now,
    );
  }
}
