/**
 * Group channels on the client side (spec 05 §5.2.3, §5.3.15 SetGroupChannel): which of our
 * channels a group id stands for, so a message addressed to a group (a job, a prev hash, a
 * target) fans out to every member. Pure bookkeeping keyed by channel id.
 */
export class GroupMembership {
  private readonly groups = new Map<number, Set<number>>();

  add(groupId: number, channelId: number): void {
    let members = this.groups.get(groupId);
    if (members === undefined) {
      members = new Set();
      this.groups.set(groupId, members);
    }
    members.add(channelId);
  }

  /** The channel left (closed, replaced): it is in no group any more. */
  forget(channelId: number): void {
    for (const members of this.groups.values()) members.delete(channelId);
  }

  /** Members of `groupId`, in the order they joined; empty for an id that is no group. */
  members(groupId: number): readonly number[] {
    return [...(this.groups.get(groupId) ?? [])];
  }
}
