/**
 * The pool messages addressed to open channels (sv2.md §6.2 jobs and prev hashes, §6.3 targets,
 * §6.8 share answers, §6.9 UpdateChannel.Error; group ids per spec 05): each is routed by channel or
 * group id into the session's ChannelSet. session.ts keeps the messages that change the session
 * itself (setup, channel open and close, Reconnect) and hands everything else to this module.
 */
import type { Logger } from '../log.js';
import type { AnyMessage } from '../sv2/messages/registry.js';
import type { Job } from '../work/job.js';
import type { ChannelSet } from './channel-set.js';
import type { ViolationKind } from './pool-health.js';

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
  const { channels } = ctx;
  switch (m.name) {
    case 'NewMiningJob':
    case 'SetNewPrevHash': {
      const slots = channels.route(m.fields.channel_id);
      if (slots.length === 0) {
        ctx.violation('unknown-channel', `${m.name} for unknown channel ${m.fields.channel_id}`);
        return true;
      }
      if (m.name === 'SetNewPrevHash') ctx.prevHash();
      for (const slot of slots) {
        const u =
          m.name === 'NewMiningJob'
            ? slot.channel.newMiningJob(m.fields, now)
            : slot.channel.setNewPrevHash(m.fields, now);
        if (u.kind === 'job') ctx.emit(u.job);
        else if (u.kind === 'no-job')
          ctx.violation(
            'unknown-job',
            `SetNewPrevHash names unknown job ${u.jobId} on channel ${slot.channel.channelId}`,
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
      for (const slot of slots) slot.channel.setExtranoncePrefix(m.fields.extranonce_prefix);
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
