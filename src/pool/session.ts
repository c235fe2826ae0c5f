/**
 * One session with one pool (sv2.md §6.1): connect + Noise, SetupConnection, open the channels
 * (standard, or extended when the pool entry asks: spec 05 §5.3.4–5.3.6), then one handler per
 * incoming message type until the connection ends. Messages for open channels are routed by
 * src/channels/client/channel-messages.ts; setup, channel open/close and Reconnect stay here.
 * Ends as a value (SessionEnd) so the client can fail over; nothing here throws past run(). Silence
 * (no message within `silenceMs`), malformed frames, floods and pool errors all end it with a reason.
 */

import { type ChannelMessageContext, handleChannelMessage } from '../channels/client/channel-messages.js';
import { ChannelSet, type SubmitOutcome } from '../channels/client/channel-set.js';
import type { CustomJobFields } from '../channels/client/custom-job.js';
import { DecodeError, NoiseError, PoolError } from '../errors.js';
import type { AnyMessage } from '../sv2/messages/registry.js';
import type { TimerHandle } from '../work/clock.js';
import type { Job, Share } from '../work/job.js';
import { openConnection, type PoolConnection } from './connection.js';
import {
  type ChannelKind,
  DEVICE_SETUP_FLAGS,
  EXTENDED_SETUP_FLAGS,
  MIN_EXTRANONCE_SIZE,
  openChannelFields,
  openExtendedChannelFields,
  readSetupSuccess,
  setupConnectionFields,
} from './requests.js';
import type { SessionEnd, SessionOptions, SessionState } from './session-types.js';

export type { SessionEnd, SessionOptions, SessionState } from './session-types.js';

export class Session {
  readonly channels: ChannelSet;
  private readonly o: SessionOptions;
  private conn: PoolConnection | undefined;
  private stateNow: SessionState = 'connecting';
  private end: SessionEnd | undefined;
  private silenceTimer: TimerHandle | undefined;
  private versionMask = 0;
  private nextRequestId = 1;
  private readonly opening = new Map<number, true>();
  private ignored = 0;
  private readonly channelContext: ChannelMessageContext;
  private readonly kind: ChannelKind;
  private readonly setupFlags: number;
  handshakeMs: number | undefined;

  constructor(options: SessionOptions) {
    this.o = options;
    this.kind = options.channelKind ?? 'standard';
    this.setupFlags = this.kind === 'extended' ? EXTENDED_SETUP_FLAGS : DEVICE_SETUP_FLAGS;
    this.channels = new ChannelSet({
      pool: options.pool,
      counters: options.counters,
      clock: options.clock,
      log: options.log,
      maxTarget: options.maxTarget,
      ...(options.maxFutureJobs === undefined ? {} : { maxFutureJobs: options.maxFutureJobs }),
      ...(options.ntimeSlackSec === undefined ? {} : { ntimeSlackSec: options.ntimeSlackSec }),
      ...(options.hashrateUpdate === undefined ? {} : { hashrateUpdate: options.hashrateUpdate }),
    });
    this.channelContext = {
      channels: this.channels,
      log: options.log,
      emit: (job) => this.emit(job),
      ignored: (what) => this.noteIgnored(what),
    };
  }

  get state(): SessionState {
    return this.stateNow;
  }

  get connected(): boolean {
    return this.conn?.isOpen === true && this.end === undefined;
  }

  async run(): Promise<SessionEnd> {
    const log = this.o.log;
    try {
      this.conn = await openConnection({
        ...this.o.connection,
        pool: this.o.pool,
        endpoint: this.o.endpoint,
        log,
        onHandshake: () => this.setState('handshake'),
      });
    } catch (err) {
      return this.end ?? { kind: 'failed', stage: this.stateNow, reason: describe(err) };
    }
    const conn = this.conn;
    this.handshakeMs = conn.handshakeMs;
    if (this.end !== undefined) {
      conn.close();
      return this.end;
    }
    this.setState('setup');
    this.armSilence();
    try {
      conn.send('SetupConnection', setupConnectionFields(this.o.endpoint, this.o.device, this.setupFlags));
      for await (const incoming of conn.messages()) {
        this.armSilence();
        if (incoming.kind === 'unknown') {
          this.noteIgnored(`unknown message ext=${incoming.extensionType} type=${incoming.msgType}`);
        } else {
          this.handle(incoming.message);
        }
        if (this.end !== undefined) break;
      }
    } catch (err) {
      this.end ??= { kind: 'failed', stage: this.stateNow, reason: describe(err) };
    } finally {
      if (this.silenceTimer !== undefined) this.o.clock.clearTimer(this.silenceTimer);
      conn.close();
      this.channels.removeAll();
    }
    return this.end ?? { kind: 'failed', stage: this.stateNow, reason: 'pool closed the connection' };
  }

  /** Ends the session from our side; CloseChannel for every open channel first (spec 05 §5.3.9). */
  close(reason: string): void {
    if (this.end !== undefined) return;
    this.end = { kind: 'closed', reason };
    const conn = this.conn;
    if (conn === undefined || !conn.isOpen) return;
    try {
      for (const slot of this.channels.all())
        conn.send('CloseChannel', { channel_id: slot.channel.channelId, reason_code: reason });
    } catch {
      // The socket died under us; closing is all that is left to do.
    }
    conn.close();
  }

  submit(share: Share): SubmitOutcome {
    const conn = this.conn;
    if (conn === undefined || !this.connected) return this.channels.markStale('connection-down');
    // Two branches so TypeScript pairs each message name with its own fields type.
    return this.channels.submit(share, (m) =>
      m.name === 'SubmitSharesExtended' ? conn.send(m.name, m.fields) : conn.send(m.name, m.fields),
    );
  }

  /**
   * Sends SetCustomMiningJob on one of our extended channels (the Job Declarator Client's path);
   * the job becomes active when the pool answers .Success. Returns the request id, or undefined
   * when there is no such channel or no connection.
   */
  requestCustomJob(channelId: number, fields: CustomJobFields): number | undefined {
    const conn = this.conn;
    const channel = this.channels.route(channelId)[0]?.channel;
    if (conn === undefined || !this.connected || channel?.kind !== 'extended') return undefined;
    const request = channel.requestCustomJob(fields);
    conn.send('SetCustomMiningJob', request);
    return request.request_id;
  }

  reportHashrate(total: number): void {
    const conn = this.conn;
    if (conn === undefined || !this.connected) return;
    for (const fields of this.channels.hashrateUpdates(total)) {
      this.o.log.info({ channelId: fields.channel_id, hashrate: fields.nominal_hash_rate }, 'UpdateChannel');
      conn.send('UpdateChannel', fields);
    }
  }

  /** Channel messages go to channel-messages.ts; the ones that change the session are handled here. */
  private handle(m: AnyMessage): void {
    if (handleChannelMessage(m, this.o.clock.now(), this.channelContext)) return;
    const log = this.o.log;
    switch (m.name) {
      case 'SetupConnection.Success': {
        if (this.stateNow !== 'setup') {
          this.noteIgnored('SetupConnection.Success after setup');
          return;
        }
        const v = readSetupSuccess(m.fields.flags, this.setupFlags, this.o.rollMask, this.kind);
        log.info({ flags: m.fields.flags, version: m.fields.used_version }, 'SetupConnection.Success');
        if (v.kind === 'give-up') {
          log.error(v.reason);
          this.end = { kind: 'give-up', reason: v.reason };
          return;
        }
        if (v.echoed)
          log.warn('pool echoed our SetupConnection flags (sv2.md gotcha 21); keeping version rolling');
        else if (v.versionMask === 0) log.warn('pool requires a fixed version: version rolling off');
        this.versionMask = v.versionMask;
        if (this.o.probeOnly === true) {
          this.end = { kind: 'closed', reason: 'probe ok' };
          return;
        }
        this.setState('open');
        for (let i = 0; i < this.o.channels; i++) this.openChannel();
        return;
      }
      case 'SetupConnection.Error':
        log.error({ code: m.fields.error_code, flags: m.fields.flags }, 'SetupConnection.Error');
        this.end = { kind: 'failed', stage: 'setup', reason: `SetupConnection.Error ${m.fields.error_code}` };
        return;
      case 'OpenStandardMiningChannel.Success': {
        if (this.kind !== 'standard' || !this.opening.delete(m.fields.request_id)) {
          this.noteIgnored(`OpenStandardMiningChannel.Success for request ${m.fields.request_id}`);
          return;
        }
        const perChannel = this.o.nominalHashrate / this.o.channels;
        this.channels.add(m.fields, this.versionMask, perChannel);
        log.info(
          { channelId: m.fields.channel_id, group: m.fields.group_channel_id },
          'standard channel open',
        );
        return;
      }
      case 'OpenExtendedMiningChannel.Success': {
        if (this.kind !== 'extended' || !this.opening.delete(m.fields.request_id)) {
          this.noteIgnored(`OpenExtendedMiningChannel.Success for request ${m.fields.request_id}`);
          return;
        }
        const f = m.fields;
        try {
          this.channels.addExtended(f, this.versionMask, this.o.nominalHashrate / this.o.channels);
        } catch (err) {
          // A prefix + extranonce_size beyond SV2's 32 bytes: no share of it could be encoded.
          const reason = `OpenExtendedMiningChannel.Success unusable: ${describe(err)}`;
          log.error({ channelId: f.channel_id }, reason);
          this.conn?.send('CloseChannel', { channel_id: f.channel_id, reason_code: 'invalid-extranonce' });
          this.end = { kind: 'failed', stage: 'open', reason };
          return;
        }
        if (f.extranonce_size < MIN_EXTRANONCE_SIZE)
          log.warn(
            { channelId: f.channel_id, extranonceSize: f.extranonce_size, asked: MIN_EXTRANONCE_SIZE },
            'pool granted less extranonce than asked: ntime rolls sooner',
          );
        log.info(
          {
            channelId: f.channel_id,
            group: f.group_channel_id,
            extranoncePrefixBytes: f.extranonce_prefix.length,
            extranonceSize: f.extranonce_size,
          },
          'extended channel open',
        );
        return;
      }
      case 'OpenMiningChannel.Error':
        log.error({ code: m.fields.error_code }, 'OpenMiningChannel.Error');
        this.end = {
          kind: 'failed',
          stage: 'open',
          reason: `OpenMiningChannel.Error ${m.fields.error_code}`,
        };
        return;
      case 'CloseChannel':
      case 'ChannelEndpointChanged': {
        const id = m.fields.channel_id;
        if (this.channels.route(id).length === 0) {
          this.noteIgnored(`${m.name} for unknown channel ${id}`);
          return;
        }
        // Either way the channel is gone; open a replacement so the rig keeps its hashing units.
        log.warn({ channelId: id }, `${m.name}: reopening the channel`);
        this.channels.remove(id);
        this.openChannel();
        return;
      }
      case 'Reconnect': {
        const host = m.fields.new_host === '' ? this.o.endpoint.host : m.fields.new_host;
        const port = m.fields.new_port === 0 ? this.o.endpoint.port : m.fields.new_port;
        log.info({ host, port }, 'Reconnect requested by the pool');
        this.end = { kind: 'reconnect', endpoint: { host, port } };
        return;
      }
      default:
        this.noteIgnored(`${m.name} is not for a ${this.kind}-channel client`);
        return;
    }
  }

  private openChannel(): void {
    const requestId = this.nextRequestId++;
    this.opening.set(requestId, true);
    const perChannel = this.o.nominalHashrate / this.o.channels;
    if (this.kind === 'extended')
      this.conn?.send(
        'OpenExtendedMiningChannel',
        openExtendedChannelFields(requestId, this.o.user, perChannel, this.o.maxTarget),
      );
    else
      this.conn?.send(
        'OpenStandardMiningChannel',
        openChannelFields(requestId, this.o.user, perChannel, this.o.maxTarget),
      );
  }

  private emit(job: Job): void {
    if (this.stateNow !== 'mining') this.setState('mining');
    this.o.log.debug({ channelId: job.channelId, jobId: job.jobId, clean: job.clean }, 'job active');
    try {
      this.o.onJob(job);
    } catch (err) {
      // A bug in a job consumer must not look like a pool failure and trigger failover.
      this.o.log.error({ err }, 'job listener threw');
    }
  }

  private setState(state: SessionState): void {
    if (this.stateNow === state) return;
    this.stateNow = state;
    this.o.log.info({ state }, `pool session ${state}`);
    this.o.onState?.(state);
  }

  private armSilence(): void {
    const clock = this.o.clock;
    if (this.silenceTimer !== undefined) clock.clearTimer(this.silenceTimer);
    this.silenceTimer = clock.setTimer(() => {
      if (this.end !== undefined) return;
      const reason = `silence: no message from the pool for ${this.o.silenceMs} ms`;
      this.o.log.warn(reason);
      this.end = { kind: 'failed', stage: this.stateNow, reason };
      this.conn?.close();
    }, this.o.silenceMs);
  }

  private noteIgnored(what: string): void {
    this.ignored++;
    // Rate-limited: a pool repeating one odd message must not flood the journal.
    if (this.ignored <= 10 || this.ignored % 1000 === 0)
      this.o.log.warn({ count: this.ignored }, `ignored: ${what}`);
  }
}

function describe(err: unknown): string {
  if (err instanceof DecodeError) return `malformed frame: ${err.message}`;
  if (err instanceof NoiseError || err instanceof PoolError) return err.message;
  return err instanceof Error ? err.message : String(err);
}
