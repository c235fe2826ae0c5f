/**
 * One miner connection to the local pool, after the Noise handshake: SetupConnection (sv2.md §4),
 * then the Mining protocol (§5, §6): open standard and extended channels (members of the
 * connection's group channel), update/close them, and validate SubmitSharesStandard and
 * SubmitSharesExtended. A misbehaving client only ever closes its own connection: decode errors,
 * protocol violations and send failures end this handler, never the server.
 */

import { bigIntToLeBytes, leBytesToBigInt } from '../bitcoin/target.js';
import type { Outgoing, ServerShareVerdict } from '../channels/server/channel.js';
import type { ExtendedServerChannel } from '../channels/server/extended.js';
import { GroupChannel } from '../channels/server/group.js';
import type { ChainTip } from '../channels/server/job-template.js';
import type { StandardServerChannel } from '../channels/server/standard.js';
import type { Sv2Connection } from '../connection/sv2-connection.js';
import { DecodeError, NoiseError, PoolError } from '../errors.js';
import type { Logger } from '../log.js';
import { encodeMessage } from '../sv2/codec.js';
import type { AnyMessage, MessageFields, MessageName } from '../sv2/messages/registry.js';

export type ServerChannel = StandardServerChannel | ExtendedServerChannel;
type OpenResult<C> = { ok: true; channel: C } | { ok: false; code: string; detail?: string };

const SV2_VERSION = 2;
/** Mining SetupConnection flag bit 1: the client would send SetCustomMiningJob (sv2.md §4). */
const REQUIRES_WORK_SELECTION = 0x2;

/** What a connection needs from the pool that owns it. */
export interface PoolContext {
  readonly log: Logger;
  /** Unix seconds (ntime, certificates). */
  nowSec(): number;
  /** Monotonic ms (vardiff windows). */
  nowMs(): number;
  tip(): ChainTip;
  /** Builds (or refuses) a channel for an OpenStandardMiningChannel; ids come from the pool. */
  openChannel(
    request: MessageFields<'OpenStandardMiningChannel'>,
    groupChannelId: number,
  ): OpenResult<StandardServerChannel>;
  /** The same for OpenExtendedMiningChannel: allocates the prefix for min_extranonce_size. */
  openExtendedChannel(
    request: MessageFields<'OpenExtendedMiningChannel'>,
    groupChannelId: number,
  ): OpenResult<ExtendedServerChannel>;
  allocateGroupId(): number;
  /** Channel target for an UpdateChannel (already capped by maximum_target). */
  updatedTarget(channel: ServerChannel, hashRate: number, maxTarget: bigint): bigint;
  /** channel is undefined when the share named no channel of this connection. */
  recordShare(
    channel: ServerChannel | undefined,
    outcome: ServerShareVerdict,
    share: SubmitSharesMessage,
  ): void;
  connectionClosed(connection: DownstreamConnection): void;
}

/** A share as submitted on a standard or an extended channel. */
export type SubmitSharesMessage =
  | MessageFields<'SubmitSharesStandard'>
  | MessageFields<'SubmitSharesExtended'>;

interface ConnectionLimits {
  readonly setupTimeoutMs: number;
  readonly maxChannelsPerConnection: number;
}

export class DownstreamConnection {
  readonly id: number;
  readonly remote: string;
  private readonly conn: Sv2Connection;
  private readonly ctx: PoolContext;
  private readonly limits: ConnectionLimits;
  private readonly log: Logger;
  private readonly channels = new Map<number, ServerChannel>();
  private group: GroupChannel | undefined;
  private setupTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(id: number, remote: string, conn: Sv2Connection, ctx: PoolContext, limits: ConnectionLimits) {
    this.id = id;
    this.remote = remote;
    this.conn = conn;
    this.ctx = ctx;
    this.limits = limits;
    this.log = ctx.log.child({ conn: id, remote });
  }

  get channelCount(): number {
    return this.channels.size;
  }

  get isOpen(): boolean {
    return this.conn.isOpen;
  }

  /** Runs until the peer goes away or breaks the protocol; never rejects. */
  async serve(): Promise<void> {
    this.setupTimer = setTimeout(() => this.drop('no SetupConnection in time'), this.limits.setupTimeoutMs);
    try {
      for await (const incoming of this.conn.messages()) {
        if (incoming.kind === 'unknown') {
          this.log.debug(
            { extensionType: incoming.extensionType, msgType: incoming.msgType },
            'ignoring a message of unknown type',
          );
          continue;
        }
        this.handle(incoming.message);
        if (!this.conn.isOpen) break;
      }
    } catch (err) {
      if (err instanceof DecodeError) this.log.warn(`dropping client: undecodable frame: ${err.message}`);
      else if (err instanceof NoiseError) this.log.info(`client connection failed: ${err.message}`);
      else if (err instanceof PoolError) this.log.warn(`dropping client: ${err.message}`);
      else this.log.error({ err }, 'dropping client after an internal error');
    } finally {
      clearTimeout(this.setupTimer);
      this.conn.close();
      this.ctx.connectionClosed(this);
    }
  }

  /** Sends a plain frame (test hook and broadcast); false when the connection is gone. */
  sendFrame(frame: Uint8Array): boolean {
    if (!this.conn.isOpen) return false;
    try {
      this.conn.sendFrame(frame);
      return true;
    } catch (err) {
      this.log.debug({ err }, 'send failed');
      return false;
    }
  }

  send(message: Outgoing | AnyMessage): void {
    this.sendFrame(encodeMessage(message.name, message.fields as MessageFields<MessageName>));
  }

  /** New prev hash for every channel of this connection. */
  onNewTip(tip: ChainTip): void {
    for (const ch of this.channels.values()) for (const m of ch.onNewTip(tip)) this.send(m);
  }

  /** A fresh active job on every channel (the periodic "new template"). */
  newJobs(ntime: number): void {
    for (const ch of this.channels.values()) {
      const m = ch.newActiveJob(ntime);
      if (m !== undefined) this.send(m);
    }
  }

  /** Vardiff tick: SetTarget plus a job carrying the new target where the share rate is off. */
  vardiffTick(nowMs: number, ntime: number): void {
    for (const ch of this.channels.values()) {
      const decision = ch.vardiff?.evaluate(nowMs, ch.target, ch.maxTarget);
      if (decision === undefined) continue;
      this.log.debug({ channel: ch.channelId, hashRate: decision.estimatedHashRate }, 'vardiff retarget');
      this.applyTarget(ch, decision.target, ntime);
    }
  }

  close(): void {
    this.conn.close();
  }

  private drop(reason: string): void {
    if (!this.conn.isOpen) return;
    this.log.info(`dropping client: ${reason}`);
    this.conn.close();
  }

  private handle(m: AnyMessage): void {
    if (this.group === undefined && m.name !== 'SetupConnection') {
      this.drop(`${m.name} before SetupConnection`);
      return;
    }
    switch (m.name) {
      case 'SetupConnection':
        this.onSetup(m.fields);
        return;
      case 'OpenStandardMiningChannel':
        this.onOpen(m.fields);
        return;
      case 'OpenExtendedMiningChannel':
        this.onOpenExtended(m.fields);
        return;
      case 'UpdateChannel':
        this.onUpdate(m.fields);
        return;
      case 'CloseChannel':
        if (this.channels.delete(m.fields.channel_id)) {
          this.group?.remove(m.fields.channel_id);
          this.log.info({ channel: m.fields.channel_id, reason: m.fields.reason_code }, 'channel closed');
        }
        return;
      case 'SubmitSharesStandard': {
        const ch = this.channels.get(m.fields.channel_id);
        if (ch?.kind === 'standard') this.judgeShare(ch, m.fields, ch.submit(m.fields, this.ctx.nowSec()));
        else this.refuseShare(m.fields, 'no standard channel');
        return;
      }
      case 'SubmitSharesExtended': {
        const ch = this.channels.get(m.fields.channel_id);
        if (ch?.kind === 'extended') this.judgeShare(ch, m.fields, ch.submit(m.fields, this.ctx.nowSec()));
        else this.refuseShare(m.fields, 'no extended channel');
        return;
      }
      case 'SetCustomMiningJob': {
        const ch = this.channels.get(m.fields.channel_id);
        if (ch?.kind !== 'extended') {
          this.send({
            name: 'SetCustomMiningJob.Error',
            fields: {
              channel_id: m.fields.channel_id,
              request_id: m.fields.request_id,
              error_code: 'invalid-channel-id',
            },
          });
          return;
        }
        // Tokens come from a Job Declarator; this pool runs none (and refuses
        // REQUIRES_WORK_SELECTION at setup), so no token is valid here.
        const r = ch.setCustomMiningJob(m.fields, () => false);
        if (!r.ok)
          this.log.debug({ channel: ch.channelId }, `SetCustomMiningJob refused: ${r.code} (${r.detail})`);
        this.send(r.reply);
        return;
      }
      default:
        this.log.debug(`ignoring ${m.name} from a client`);
    }
  }

  private onSetup(f: MessageFields<'SetupConnection'>): void {
    if (this.group !== undefined) {
      this.drop('second SetupConnection');
      return;
    }
    clearTimeout(this.setupTimer);
    const refuse = (flags: number, code: string): void => {
      this.log.info({ flags: f.flags, protocol: f.protocol }, `SetupConnection refused: ${code}`);
      this.send({ name: 'SetupConnection.Error', fields: { flags, error_code: code } });
      this.conn.close();
    };
    // Codes and order as SRI's pool: protocol first, then version range, then flags (sv2.md §4).
    if (f.protocol !== 0) {
      refuse(0, 'unsupported-protocol');
      return;
    }
    if (f.min_version > SV2_VERSION || f.max_version < SV2_VERSION) {
      refuse(0, 'protocol-version-mismatch');
      return;
    }
    if ((f.flags & REQUIRES_WORK_SELECTION) !== 0) {
      refuse(REQUIRES_WORK_SELECTION, 'unsupported-feature-flags');
      return;
    }
    this.group = new GroupChannel(this.ctx.allocateGroupId());
    this.log.info({ vendor: f.vendor, firmware: f.firmware, flags: f.flags }, 'SetupConnection accepted');
    // Flags 0: we neither fix the version nor require extended channels.
    this.send({ name: 'SetupConnection.Success', fields: { used_version: SV2_VERSION, flags: 0 } });
  }

  private onOpen(f: MessageFields<'OpenStandardMiningChannel'>): void {
    const refuse = (code: string): void => {
      this.log.info(
        { request: f.request_id, user: f.user_identity },
        `OpenStandardMiningChannel refused: ${code}`,
      );
      this.send({ name: 'OpenMiningChannel.Error', fields: { request_id: f.request_id, error_code: code } });
    };
    if (this.channels.size >= this.limits.maxChannelsPerConnection) {
      refuse('channel-capacity-exhausted');
      return;
    }
    const group = this.group?.groupChannelId ?? 0;
    const r = this.ctx.openChannel(f, group);
    if (!r.ok) {
      refuse(r.code);
      return;
    }
    const ch = r.channel;
    this.channels.set(ch.channelId, ch);
    this.group?.add(ch.channelId);
    this.log.info(
      { channel: ch.channelId, user: f.user_identity, hashRate: f.nominal_hash_rate },
      'channel open',
    );
    this.send({
      name: 'OpenStandardMiningChannel.Success',
      fields: {
        request_id: f.request_id,
        channel_id: ch.channelId,
        target: bigIntToLeBytes(ch.target),
        extranonce_prefix: ch.extranoncePrefix,
        group_channel_id: group,
      },
    });
    // As SRI: the future job and the SetNewPrevHash activating it follow the Success at once.
    for (const m of ch.onNewTip(this.ctx.tip())) this.send(m);
  }

  private onUpdate(f: MessageFields<'UpdateChannel'>): void {
    const ch = this.channels.get(f.channel_id);
    const refuse = (code: string): void => {
      this.send({ name: 'UpdateChannel.Error', fields: { channel_id: f.channel_id, error_code: code } });
    };
    if (ch === undefined) {
      refuse('invalid-channel-id');
      return;
    }
    if (!validHashRate(f.nominal_hash_rate)) {
      refuse('invalid-nominal-hashrate');
      return;
    }
    const maxTarget = leBytesToBigInt(f.maximum_target);
    ch.nominalHashRate = f.nominal_hash_rate;
    ch.maxTarget = maxTarget;
    const target = this.ctx.updatedTarget(ch, f.nominal_hash_rate, maxTarget);
    ch.vardiff?.reset(this.ctx.nowMs());
    if (target !== ch.target) this.applyTarget(ch, target, this.ctx.nowSec());
  }

  private applyTarget(ch: ServerChannel, target: bigint, ntime: number): void {
    this.send(ch.retarget(target));
    // SetTarget does not change jobs already sent (sv2.md §6.5); a new job makes it bite now.
    const job = ch.newActiveJob(ntime);
    if (job !== undefined) this.send(job);
  }

  private onOpenExtended(f: MessageFields<'OpenExtendedMiningChannel'>): void {
    const refuse = (code: string, detail?: string): void => {
      this.log.info(
        { request: f.request_id, user: f.user_identity, minExtranonceSize: f.min_extranonce_size },
        `OpenExtendedMiningChannel refused: ${code}${detail === undefined ? '' : ` (${detail})`}`,
      );
      this.send({ name: 'OpenMiningChannel.Error', fields: { request_id: f.request_id, error_code: code } });
    };
    if (this.channels.size >= this.limits.maxChannelsPerConnection) {
      refuse('channel-capacity-exhausted');
      return;
    }
    const group = this.group?.groupChannelId ?? 0;
    const r = this.ctx.openExtendedChannel(f, group);
    if (!r.ok) {
      refuse(r.code, r.detail);
      return;
    }
    const ch = r.channel;
    this.channels.set(ch.channelId, ch);
    this.group?.add(ch.channelId);
    this.log.info(
      {
        channel: ch.channelId,
        user: f.user_identity,
        hashRate: f.nominal_hash_rate,
        extranonceSize: ch.extranonceSize,
      },
      'extended channel open',
    );
    this.send({
      name: 'OpenExtendedMiningChannel.Success',
      fields: {
        request_id: f.request_id,
        channel_id: ch.channelId,
        target: bigIntToLeBytes(ch.target),
        extranonce_size: ch.extranonceSize,
        extranonce_prefix: ch.extranoncePrefix,
        group_channel_id: group,
      },
    });
    for (const m of ch.onNewTip(this.ctx.tip())) this.send(m);
  }

  private refuseShare(f: SubmitSharesMessage, what: string): void {
    const reply: Outgoing = {
      name: 'SubmitShares.Error',
      fields: {
        channel_id: f.channel_id,
        sequence_number: f.sequence_number,
        error_code: 'invalid-channel-id',
      },
    };
    const detail = `${what} ${f.channel_id} on this connection`;
    this.ctx.recordShare(undefined, { kind: 'rejected', code: 'invalid-channel-id', detail, reply }, f);
    this.send(reply);
  }

  private judgeShare(ch: ServerChannel, f: SubmitSharesMessage, outcome: ServerShareVerdict): void {
    this.ctx.recordShare(ch, outcome, f);
    if (outcome.kind === 'rejected') {
      this.log.debug(
        { channel: ch.channelId, seq: f.sequence_number, code: outcome.code },
        `share rejected: ${outcome.detail}`,
      );
      this.send(outcome.reply);
    } else {
      // One line per accepted share (debug): operators and the process tests count them.
      this.log.debug({ channel: ch.channelId, seq: f.sequence_number, job: f.job_id }, 'share accepted');
      if (outcome.ack !== undefined) this.send(outcome.ack);
    }
  }
}

export function validHashRate(h: number): boolean {
  return Number.isFinite(h) && h >= 0;
}
