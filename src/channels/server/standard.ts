/**
 * A standard channel, server side: the downstream rolls only nonce, ntime and version, so the pool
 * fixes the whole extranonce (the channel's prefix, zero-filled to the template's extranonce
 * space) and sends finished merkle roots (NewMiningJob), validating SubmitSharesStandard against
 * them.
 */
import {
  type Outgoing,
  ServerChannelBase,
  type ServerJob,
  type ServerShareVerdict,
  type SubmittedShare,
} from './channel.js';
import { type JobTemplate, templateMerkleRoot } from './job-template.js';

export class StandardServerChannel extends ServerChannelBase {
  readonly kind = 'standard';

  submit(share: SubmittedShare, nowSec: number): ServerShareVerdict {
    const found = this.lookupJob(share);
    if ('kind' in found) return found;
    return this.judge(share, found.job, found.tip, rootOf(found.job), nowSec);
  }

  protected rootAtIssue(template: JobTemplate, extranoncePrefix: Uint8Array): Uint8Array {
    const space = template.coinbase.extranonceLength;
    if (extranoncePrefix.length > space)
      throw new RangeError(
        `extranonce prefix of ${extranoncePrefix.length} bytes exceeds the ${space}-byte space`,
      );
    const extranonce = new Uint8Array(space);
    extranonce.set(extranoncePrefix);
    return templateMerkleRoot(template, extranonce);
  }

  protected jobMessage(job: ServerJob, minNtime: number | null): Outgoing {
    return {
      name: 'NewMiningJob',
      fields: {
        channel_id: this.channelId,
        job_id: job.jobId,
        min_ntime: minNtime,
        version: job.version,
        merkle_root: rootOf(job),
      },
    };
  }
}

function rootOf(job: ServerJob): Uint8Array {
  // rootAtIssue always returns one on this channel kind; a job without it is a programming error.
  if (job.merkleRoot === undefined) throw new Error(`standard job ${job.jobId} has no merkle root`);
  return job.merkleRoot;
}
