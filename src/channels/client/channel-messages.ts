/**
 * The pool messages addressed to open channels (sv2.md §6.2 jobs and prev hashes, §6.3 targets,
 * §6.8 share answers, §6.9 UpdateChannel.Error; group ids, extended jobs, extranonce prefixes and
 * custom-job answers per spec 05): each is routed by channel or group id into the session's
 * ChannelSet. session.ts keeps the messages that change the session itself (setup, channel open
 * and close, Reconnect) and hands everything else to this module.
 */
import type { Logger } from '../../log.js';
import type { AnyMessage } from '../../sv2/messages/registry.js';
import type { ViolationKind } from '../../upstream/pool-health.js';
import type { Job } from '../../work/job.js';
import type { ChannelUpdate } from './channel-core.js';
import type { ChannelSet } from './channel-set.js';

/** What channel messages may touch in the session that received them. */
export interface ChannelMessageContext {
  readonly channels: ChannelSet;
  readonly log: Logger;
  /** A job became active on a channel: hand it to the session's job consumer. */
  emit(job: Job): void;
  /** A protocol violation (a message for no channel, job or share of ours): counted, warned rate-limited. */
  violation(kind: ViolationKind, what: string): void;
  /** A SetNewPrevHash arrived for a channel of ours (the session watches their rate). */
  prevHash(): void;
  /** A warning the pool can repeat at will: one line per kind per interval. */
  warn(kind: string, fields: Record<string, unknown>, message: string): void;
}

/** Handles `m` when it is a channel message (true); false leaves it to the session. */
export function handleChannelMessage(m: AnyMessage, now: number, ctx: ChannelMessageContext): boolean {
  const { channels, log } = ctx;
  switch (m.name) {
    case 'NewMiningJob':
    case 'NewExtendedMiningJob':
    case 'SetNewPrevHash': {
      const slots = channels.route(m.fields.channel_id);
      if (slots.length === 0) {
        ctx.violation('unknown-channel', `${m.name} for unknown channel ${m.fields.channel_id}`);
        return true;
      }
      if (m.name === 'SetNewPrevHash') ctx.prevHash();
      for (const slot of slots) {
        const channel = slot.channel;
        let u: ChannelUpdate;
        if (m.name === 'SetNewPrevHash') u = channel.setNewPrevHash(m.fields, now);
        else if (m.name === 'NewExtendedMiningJob') u = channel.newExtendedMiningJob(m.fields, now);
        else if (channel.kind === 'standard') u = channel.newMiningJob(m.fields, now);
        else {
          // An extended channel has no fixed merkle root to mine: the pool mixed up its channels.
          ctx.violation('unexpected-message', `NewMiningJob for extended channel ${channel.channelId}`);
          continue;
        }
        if (u.kind === 'job') ctx.emit(u.job);
        else if (u.kind === 'no-job')
          ctx.violation(
            'unknown-job',
            `SetNewPrevHash names unknown job ${u.jobId} on channel ${channel.channelId}`,
          );
      }
      return true;
    }
    case 'SetTarget': {
      const slots = channels.route(m.fields.channel_id);
      if (slots.length === 0) {
        ctx.violation('unknown-channel', `SetTarget for unknown channel ${m.fields.channel_id}`);
        return true;
      }
      for (const slot of slots) slot.channel.setTarget(m.fields.maximum_target);
      return true;
    }
    case 'SetExtranoncePrefix': {
      const slots = channels.route(m.fields.channel_id);
      if (slots.length === 0)
        ctx.violation('unknown-channel', `SetExtranoncePrefix for unknown channel ${m.fields.channel_id}`);
      for (const slot of slots) {
        try {
          slot.channel.setExtranoncePrefix(m.fields.extranonce_prefix);
          log.info({ channelId: slot.channel.channelId }, 'extranonce prefix changed for the next jobs');
        } catch (err) {
          // Too long for our extranonce_size: keep mining the jobs we have on the old prefix.
          log.error({ channelId: slot.channel.channelId, err }, 'SetExtranoncePrefix refused');
        }
      }
      return true;
    }
    case 'SetCustomMiningJob.Success':
    case 'SetCustomMiningJob.Error': {
      const channel = channels.route(m.fields.channel_id)[0]?.channel;
      if (channel?.kind !== 'extended') {
        ctx.violation(
          'unknown-channel',
          `${m.name} for channel ${m.fields.channel_id}, not one of our extended channels`,
        );
        return true;
      }
      const answer =
        m.name === 'SetCustomMiningJob.Success'
          ? channel.customJobAccepted(m.fields, now)
          : channel.customJobRejected(m.fields);
      if (answer.kind === 'job') ctx.emit(answer.job);
      else if (answer.kind === 'rejected')
        log.warn(
          { channelId: channel.channelId, requestId: answer.requestId, code: answer.code },
          'custom job refused',
        );
      else ctx.violation('unexpected-message', `${m.name} for request ${answer.requestId} we did not make`);
      return true;
    }
    case 'SetGroupChannel':
      channels.recordGroup(m.fields.group_channel_id, m.fields.channel_ids);
      return true;
    case 'SubmitShares.Success':
      if (!channels.onSuccess(m.fields))
        ctx.violation('unknown-share', `SubmitShares.Success for unknown channel ${m.fields.channel_id}`);
      return true;
    case 'SubmitShares.Error':
      if (!channels.onError(m.fields))
        ctx.violation(
          'unknown-share',
          `SubmitShares.Error for unknown share ${m.fields.sequence_number} on channel ${m.fields.channel_id}`,
        );
      return true;
    case 'UpdateChannel.Error':
      if (channels.route(m.fields.channel_id).length === 0)
        ctx.violation('unknown-channel', `UpdateChannel.Error for unknown channel ${m.fields.channel_id}`);
      else
        ctx.warn(
          'update-channel-error',
          { channelId: m.fields.channel_id, code: m.fields.error_code },
          'UpdateChannel.Error',
        );
      return true;
    default:
      return false;
  }
}
