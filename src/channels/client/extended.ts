/**
 * An extended channel on the client side (spec 05 §5.2.2, §5.3.4–5.3.6, §5.3.12, §5.3.16,
 * §5.3.18–5.3.20): the pool grants an extranonce_prefix and extranonce_size (the bytes the miner
 * rolls) and sends NewExtendedMiningJob with a coinbase split and merkle path. Each job keeps the
 * prefix it was received under, so SetExtranoncePrefix applies to the next jobs only. Custom jobs
 * (SetCustomMiningJob) are requested here and become active jobs when the pool accepts them.
 */
import type { MessageFields } from '../../sv2/messages/registry.js';
import type { Job } from '../../work/job.js';
import { type ChannelInit, type ChannelUpdate, ClientChannel } from './channel-core.js';
import { type CustomJobFields, CustomJobRequests, customJobCoinbase } from './custom-job.js';
import type { NewExtendedMiningJobFields } from './standard.js';

/** SV2 carries the full extranonce (prefix + miner part) as B0_32. */
const MAX_FULL_EXTRANONCE = 32;

interface ExtendedChannelInit extends ChannelInit {
  /** OpenExtendedMiningChannel.Success.extranonce_size: the bytes the miner rolls. */
  readonly extranonceSize: number;
}

type CustomJobAnswer =
  | { readonly kind: 'job'; readonly job: Job }
  | { readonly kind: 'rejected'; readonly requestId: number; readonly code: string }
  | { readonly kind: 'unknown-request'; readonly requestId: number };

export class ExtendedChannel extends ClientChannel {
  readonly kind = 'extended';
  readonly extranonceSize: number;
  private readonly custom = new CustomJobRequests();

  constructor(init: ExtendedChannelInit) {
    checkExtranonce(init.extranoncePrefix.length, init.extranonceSize);
    super(init);
    this.extranonceSize = init.extranonceSize;
  }

  override setExtranoncePrefix(prefix: Uint8Array): void {
    checkExtranonce(prefix.length, this.extranonceSize);
    super.setExtranoncePrefix(prefix);
  }

  newExtendedMiningJob(f: NewExtendedMiningJobFields, now: number): ChannelUpdate {
    return this.receiveJob(
      {
        jobId: f.job_id,
        minNtime: f.min_ntime,
        version: f.version,
        versionMask: f.version_rolling_allowed ? this.versionMask : 0,
        body: {
          extended: {
            coinbasePrefix: f.coinbase_tx_prefix,
            coinbaseSuffix: f.coinbase_tx_suffix,
            merklePath: f.merkle_path,
            extranoncePrefix: this.extranoncePrefix,
            extranonceSize: this.extranonceSize,
          },
        },
      },
      now,
    );
  }

  /** A SetCustomMiningJob for this channel, remembered until the pool answers. */
  requestCustomJob(fields: CustomJobFields): MessageFields<'SetCustomMiningJob'> {
    // Refuse here what the pool could only refuse later: the scriptSig must fit with our extranonce.
    customJobCoinbase(fields, this.extranoncePrefix.length + this.extranonceSize);
    const entry = this.custom.add(fields, this.extranoncePrefix);
    return { channel_id: this.channelId, request_id: entry.requestId, ...fields };
  }

  /** SetCustomMiningJob.Success: the requested job is active now under the pool's job id. */
  customJobAccepted(m: MessageFields<'SetCustomMiningJob.Success'>, now: number): CustomJobAnswer {
    const entry = this.custom.take(m.request_id);
    if (entry === undefined) return { kind: 'unknown-request', requestId: m.request_id };
    const f = entry.fields;
    const split = customJobCoinbase(f, entry.extranoncePrefix.length + this.extranonceSize);
    const job = this.activateWithTip(
      {
        jobId: m.job_id,
        minNtime: f.min_ntime,
        version: f.version,
        versionMask: this.versionMask,
        body: {
          extended: {
            coinbasePrefix: split.prefix,
            coinbaseSuffix: split.suffix,
            merklePath: f.merkle_path,
            extranoncePrefix: entry.extranoncePrefix,
            extranonceSize: this.extranonceSize,
          },
        },
      },
      { prevHash: f.prev_hash, minNtime: f.min_ntime, nbits: f.nbits },
      now,
    );
    return { kind: 'job', job };
  }

  customJobRejected(m: MessageFields<'SetCustomMiningJob.Error'>): CustomJobAnswer {
    const entry = this.custom.take(m.request_id);
    if (entry === undefined) return { kind: 'unknown-request', requestId: m.request_id };
    return { kind: 'rejected', requestId: m.request_id, code: m.error_code };
  }
}

function checkExtranonce(prefixLength: number, size: number): void {
  if (!Number.isInteger(size) || size < 0 || prefixLength + size > MAX_FULL_EXTRANONCE)
    throw new RangeError(
      `extranonce prefix ${prefixLength} + extranonce_size ${size} bytes exceeds the ${MAX_FULL_EXTRANONCE}-byte SV2 extranonce`,
    );
}
