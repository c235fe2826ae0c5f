/**
 * A group channel, server side (sv2.md §5.2, §6.2): the id a connection's channels share, standard
 * and extended alike. Messages addressed to it (SetNewPrevHash, SetTarget) apply to every member;
 * the pool here addresses each member channel instead, which the spec equally allows, and keeps the
 * group for the id it reports in OpenStandardMiningChannel.Success / OpenExtendedMiningChannel.Success
 * and for SetGroupChannel.
 */
import type { MessageFields } from '../../sv2/messages/registry.js';

export class GroupChannel {
  readonly groupChannelId: number;
  private readonly members = new Set<number>();

  constructor(groupChannelId: number) {
    this.groupChannelId = groupChannelId;
  }

  add(channelId: number): void {
    this.members.add(channelId);
  }

  remove(channelId: number): void {
    this.members.delete(channelId);
  }

  has(channelId: number): boolean {
    return this.members.has(channelId);
  }

  get size(): number {
    return this.members.size;
  }

  /** SetGroupChannel listing the current members (ascending ids). */
  setGroupChannel(): { readonly name: 'SetGroupChannel'; readonly fields: MessageFields<'SetGroupChannel'> } {
    return {
      name: 'SetGroupChannel',
      fields: { group_channel_id: this.groupChannelId, channel_ids: [...this.members].sort((a, b) => a - b) },
    };
  }
}
