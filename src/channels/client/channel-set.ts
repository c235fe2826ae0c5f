/**
 * The channels of one pool connection, standard or extended (sv2.md §6.2, §6.8, §6.9): channel and
 * group-channel routing, one share ledger per channel, submit-or-stale decisions (a share of an
 * extended channel goes out as SubmitSharesExtended with its extranonce), SubmitShares.Success/
 * .Error accounting into the pool's counters, and UpdateChannel decisions when the hashrate drifts.
 * No sockets: the session passes a send function and the clock.
 */

import { bigIntToLeBytes, targetToDifficulty } from '../../bitcoin/target.js';
import type { Logger } from '../../log.js';
import type { MessageFields } from '../../sv2/messages/registry.js';
import type { Clock } from '../../time/clock.js';
import type { Share } from '../../work/job.js';
import { countReason, type ShareCounters } from './counters.js';
import { ExtendedChannel } from './extended.js';
import { GroupMembership } from './group.js';
import { type PendingShare, ShareLedger } from './share-ledger.js';
import { StandardChannel } from './standard.js';

interface ChannelSlot {
  readonly channel: StandardChannel | ExtendedChannel;
  readonly ledger: ShareLedger;
  /** Nominal hashrate last announced for this channel (Open or UpdateChannel), H/s. */
  announced: number;
  lastUpdateAt: number;
}

/** The wire message a share becomes, by the kind of its channel. */
export type SubmitMessage =
  | { readonly name: 'SubmitSharesStandard'; readonly fields: MessageFields<'SubmitSharesStandard'> }
  | { readonly name: 'SubmitSharesExtended'; readonly fields: MessageFields<'SubmitSharesExtended'> };

export type SubmitOutcome =
  | { readonly kind: 'submitted'; readonly sequence: number }
  | { readonly kind: 'stale'; readonly reason: string };

export interface HashrateUpdatePolicy {
  /** Relative drift from the last announced rate that triggers UpdateChannel. Default 0.2. */
  readonly drift?: number;
  /** At most one UpdateChannel per channel per this many ms. Default 60 000. */
  readonly minIntervalMs?: number;
}

interface ChannelSetOptions {
  readonly pool: string;
  readonly counters: ShareCounters;
  readonly clock: Clock;
  readonly log: Logger;
  readonly maxTarget: bigint;
  readonly maxFutureJobs?: number;
  readonly ntimeSlackSec?: number;
  readonly hashrateUpdate?: HashrateUpdatePolicy;
  /** Warnings the pool can trigger at will (rejects, ack mismatches) go here: rate-limited by kind. */
  readonly warn?: (kind: string, fields: Record<string, unknown>, message: string) => void;
}

export class ChannelSet {
  private readonly o: ChannelSetOptions;
  private readonly slots = new Map<number, ChannelSlot>();
  private readonly groups = new GroupMembership();
  lastRoundTripMs: number | undefined;

  constructor(options: ChannelSetOptions) {
    this.o = options;
  }

  get size(): number {
    return this.slots.size;
  }

  all(): IterableIterator<ChannelSlot> {
    return this.slots.values();
  }

  add(
    s: MessageFields<'OpenStandardMiningChannel.Success'>,
    versionMask: number,
    announced: number,
  ): StandardChannel {
    const channel = new StandardChannel(this.init(s, versionMask));
    this.install(channel, announced);
    return channel;
  }

  /**
   * An extended channel the pool opened. Throws RangeError (nothing installed) when the prefix
   * and extranonce_size the pool granted do not fit SV2's 32-byte extranonce.
   */
  addExtended(
    s: MessageFields<'OpenExtendedMiningChannel.Success'>,
    versionMask: number,
    announced: number,
  ): ExtendedChannel {
    const channel = new ExtendedChannel({ ...this.init(s, versionMask), extranonceSize: s.extranonce_size });
    this.install(channel, announced);
    return channel;
  }

  private init(
    s: MessageFields<'OpenStandardMiningChannel.Success' | 'OpenExtendedMiningChannel.Success'>,
    versionMask: number,
  ) {
    return {
      pool: this.o.pool,
      channelId: s.channel_id,
      groupChannelId: s.group_channel_id,
      target: s.target,
      extranoncePrefix: s.extranonce_prefix,
      versionMask,
      ...(this.o.maxFutureJobs === undefined ? {} : { maxFutureJobs: this.o.maxFutureJobs }),
      ...(this.o.ntimeSlackSec === undefined ? {} : { ntimeSlackSec: this.o.ntimeSlackSec }),
    };
  }

  private install(channel: StandardChannel | ExtendedChannel, announced: number): void {
    const s = { channel_id: channel.channelId, group_channel_id: channel.groupChannelId };
    this.remove(s.channel_id);
    this.slots.set(s.channel_id, {
      channel,
      ledger: new ShareLedger(),
      announced,
      lastUpdateAt: this.o.clock.now(),
    });
    this.groups.add(s.group_channel_id, s.channel_id);
  }

  /** Forget a channel; its shares in flight will never be answered. */
  remove(channelId: number): void {
    const slot = this.slots.get(channelId);
    if (slot === undefined) return;
    this.writeOff(slot.ledger.drain());
    this.slots.delete(channelId);
    this.groups.forget(channelId);
  }

  /** The connection is over. */
  removeAll(): void {
    for (const id of [...this.slots.keys()]) this.remove(id);
  }

  /** SetGroupChannel (not expected with REQUIRES_STANDARD_JOBS; recorded anyway, sv2.md §6.2). */
  recordGroup(groupId: number, channelIds: readonly number[]): void {
    for (const id of channelIds) if (this.slots.has(id)) this.groups.add(groupId, id);
  }

  /** Channels a message addressed to `channelId` applies to: the channel itself, or a group's members. */
  route(channelId: number): ChannelSlot[] {
    const own = this.slots.get(channelId);
    if (own !== undefined) return [own];
    const out: ChannelSlot[] = [];
    for (const id of this.groups.members(channelId)) {
      const slot = this.slots.get(id);
      if (slot !== undefined) out.push(slot);
    }
    return out;
  }

  /**
   * Submits a share if its job is still valid on its channel; `send` writes SubmitSharesStandard,
   * or SubmitSharesExtended on an extended channel. A share whose extranonce does not fit its
   * channel (a pipeline bug) is never sent: the pool would only answer bad-extranonce-size.
   */
  submit(share: Share, send: (m: SubmitMessage) => void): SubmitOutcome {
    const slot = this.slots.get(share.channelId);
    if (slot === undefined) return this.markStale('unknown-channel');
    const channel = slot.channel;
    const wanted = channel.kind === 'extended' ? channel.extranonceSize : undefined;
    if (share.extranonce?.length !== wanted) {
      this.o.log.error(
        { channelId: share.channelId, jobId: share.jobId, got: share.extranonce?.length, wanted },
        'share extranonce does not fit its channel; not submitted',
      );
      return this.markStale('extranonce-mismatch');
    }
    const validity = slot.channel.jobValidity(share.jobId, share.foundAt);
    if (validity.kind === 'stale') return this.markStale(validity.reason);
    // The ledger keeps what the pool will credit (the job target's difficulty), so every Success
    // can be summed exactly even when the pool truncates new_shares_sum (sv2.md §6.8).
    const credited = targetToDifficulty(validity.target);
    const { seq, evicted } = slot.ledger.record(share.jobId, credited, this.o.clock.now());
    // Counted before the write, so a write that throws still balances: submitted, then lost.
    this.o.counters.submitted++;
    this.o.counters.lastShareDifficulty = credited;
    if (evicted !== undefined) this.writeOff([evicted]);
    const fields = {
      channel_id: share.channelId,
      sequence_number: seq,
      job_id: share.jobId,
      nonce: share.nonce >>> 0,
      ntime: share.ntime >>> 0,
      version: share.version >>> 0,
    };
    try {
      if (share.extranonce === undefined) send({ name: 'SubmitSharesStandard', fields });
      else send({ name: 'SubmitSharesExtended', fields: { ...fields, extranonce: share.extranonce } });
    } catch (err) {
      const lost = slot.ledger.forget(seq);
      if (lost !== undefined) this.writeOff([lost]);
      this.o.log.warn({ err, seq }, 'share lost: the connection failed while sending it');
    }
    return { kind: 'submitted', sequence: seq };
  }

  /** False for a channel we do not have (the session counts that as a violation). */
  onSuccess(m: MessageFields<'SubmitShares.Success'>): boolean {
    // Acknowledgements are per channel, never group-addressed: sequence numbers are per channel.
    const slot = this.slots.get(m.channel_id);
    if (slot === undefined) return false;
    const r = slot.ledger.acknowledge(
      m.last_sequence_number,
      m.new_submits_accepted_count,
      this.o.clock.now(),
    );
    const c = this.o.counters;
    c.accepted += r.accepted.length;
    for (const share of r.accepted) c.acceptedDifficulty += share.difficulty;
    c.creditedWork += Number(m.new_shares_sum);
    if (r.roundTripMs !== undefined) this.lastRoundTripMs = r.roundTripMs;
    if (r.mismatch) {
      c.ackMismatches++;
      this.warn(
        'ack-mismatch',
        { channelId: m.channel_id, matched: r.accepted.length, reported: r.reportedCount },
        'SubmitShares.Success count differs from the shares we had in flight',
      );
    }
    return true;
  }

  /** False for a share we do not know (the session counts that as a violation). */
  onError(m: MessageFields<'SubmitShares.Error'>): boolean {
    const code = m.error_code;
    const r = this.slots.get(m.channel_id)?.ledger.reject(m.sequence_number);
    if (r !== undefined && r.kind !== 'unknown') {
      const c = this.o.counters;
      if (r.kind === 'rejected-after-ack') {
        c.accepted--;
        c.acceptedDifficulty -= r.share.difficulty;
      }
      c.rejected++;
      c.rejectedDifficulty += r.share.difficulty;
      countReason(c.rejectedByReason, code);
      this.warn(
        'share-rejected',
        { channelId: m.channel_id, seq: m.sequence_number, jobId: r.share.jobId, code },
        `share rejected: ${code}`,
      );
      return true;
    }
    return false;
  }

  /** UpdateChannel messages due now for a rig hashrate of `total` H/s (split evenly). */
  hashrateUpdates(total: number): MessageFields<'UpdateChannel'>[] {
    if (this.slots.size === 0 || !(total > 0)) return [];
    const drift = this.o.hashrateUpdate?.drift ?? 0.2;
    const interval = this.o.hashrateUpdate?.minIntervalMs ?? 60_000;
    const perChannel = total / this.slots.size;
    const now = this.o.clock.now();
    const out: MessageFields<'UpdateChannel'>[] = [];
    for (const slot of this.slots.values()) {
      const moved = slot.announced > 0 ? Math.abs(perChannel - slot.announced) / slot.announced : 1;
      if (moved <= drift || now - slot.lastUpdateAt < interval) continue;
      slot.announced = perChannel;
      slot.lastUpdateAt = now;
      out.push({
        channel_id: slot.channel.channelId,
        nominal_hash_rate: perChannel,
        maximum_target: bigIntToLeBytes(this.o.maxTarget),
      });
    }
    return out;
  }

  /** Counts a share that will not be submitted (also used by the session when the connection is down). */
  markStale(reason: string): SubmitOutcome {
    this.o.counters.stale++;
    countReason(this.o.counters.staleByReason, reason);
    return { kind: 'stale', reason };
  }

  private warn(kind: string, fields: Record<string, unknown>, message: string): void {
    if (this.o.warn !== undefined) this.o.warn(kind, fields, message);
    else this.o.log.warn(fields, message);
  }

  private writeOff(shares: readonly PendingShare[]): void {
    this.o.counters.unacknowledged += shares.length;
  }
}
