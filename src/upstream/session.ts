/**
 * One session with one pool (sv2.md §6.1): connect + Noise, SetupConnection, open the channels
 * (standard, or extended when the pool entry asks: spec 05 §5.3.4–5.3.6), then one handler per
 * incoming message type until the connection ends. Messages for open channels are routed by
 * src/channels/client/channel-messages.ts; setup, channel open/close and Reconnect stay here.
 * Ends as a value (SessionEnd) so the client can fail over; nothing here throws past run(). Silence
 * (no useful message within `silenceMs`), no valid work within `workDeadlineMs` of the channels
 * opening (or of losing it), a health score over its bound (pool-health.ts), malformed frames,
 * floods and pool errors all end it with a reason. Only useful traffic counts as life: a message
 * that is a protocol violation neither resets the silence deadline nor counts as work.
 */

import { type ChannelMessageContext, handleChannelMessage } from '../channels/client/channel-messages.js';
import { ChannelSet, type SubmitOutcome } from '../channels/client/channel-set.js';
import type { CustomJobFields } from '../channels/client/custom-job.js';
import { openConnection, type Sv2Connection } from '../connection/sv2-connection.js';
import { DecodeError, NoiseError, PoolError } from '../errors.js';
import type { AnyMessage } from '../sv2/messages/registry.js';
import type { TimerHandle } from '../time/clock.js';
import type { Job, Share } from '../work/job.js';
import { PoolHealth, type ViolationKind, violationTable } from './pool-health.js';
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
import { WarnLimiter } from './warn-limiter.js';

/**
 * No channel with a minable job (a job plus its prev hash) for this long fails the pool. The spec
 * makes NewMiningJob the first message after the channel opens, and a SetNewPrevHash may only
 * name a job already sent, so a working pool is never without one for more than a round trip
 * (the deadline runs from the open request: a round trip of a second or two on the worst links
 * still leaves a margin). Every second past that is a second the chips idle while other pools
 * could feed them: with 10 s the fault campaign saw the chips idle on silent and trickling pools
 * for 6 % of an 8-minute run.
 */
const DEFAULT_WORK_DEADLINE_MS = 5_000;
/**
 * Once a channel open is answered, its first job must follow within this: the spec makes
 * NewMiningJob the first message after the Success, so a pool writes them together and no round
 * trip is involved. A pool that opens channels and then says nothing is left after this, not
 * after the whole work deadline.
 */
const DEFAULT_FIRST_JOB_DEADLINE_MS = 2_000;
/**
 * More SetNewPrevHash than this within a minute is churn: every one flushes the chips, and no chain
 * produces blocks that fast (testnets included). Each one beyond it is a violation.
 */
const MAX_PREV_HASHES_PER_MINUTE = 60;
/**
 * Violations a pool may commit while the rig has no minable work from it. A pool that feeds the
 * chips earns the leaky bucket's patience (an odd message now and then is no reason to leave);
 * one that gives nothing and misbehaves has shown what it is, and every second spent judging it
 * is a second the chips idle. Not 1: a single oddity before the first job is forgiven.
 */
const DEFAULT_MAX_VIOLATIONS_WITHOUT_WORK = 3;

export type { SessionEnd, SessionOptions, SessionState } from './session-types.js';

export class Session {
  readonly channels: ChannelSet;
  private readonly o: SessionOptions;
  private conn: Sv2Connection | undefined;
  private stateNow: SessionState = 'connecting';
  private end: SessionEnd | undefined;
  private silenceTimer: TimerHandle | undefined;
  private workTimer: TimerHandle | undefined;
  /** Clock time the armed work deadline fires at. */
  private workDeadlineAt = 0;
  private readonly health: PoolHealth;
  private readonly warnings: WarnLimiter;
  private violationCount = 0;
  /** Violations since the channels last had minable work (or since they were requested). */
  private violationsWithoutWork = 0;
  /** Some channel had minable work at the last check: losing it is noticed as it happens. */
  private hadWork = false;
  private readonly prevHashTimes: number[] = [];
  private versionMask = 0;
  private nextRequestId = 1;
  private readonly opening = new Map<number, true>();
  private readonly channelContext: ChannelMessageContext;
  private readonly kind: ChannelKind;
  private readonly setupFlags: number;
  /** Set while drainShares waits: called once no share is in flight. */
  private settled: (() => void) | undefined;
  handshakeMs: number | undefined;

  constructor(options: SessionOptions) {
    this.o = options;
    this.kind = options.channelKind ?? 'standard';
    this.setupFlags = this.kind === 'extended' ? EXTENDED_SETUP_FLAGS : DEVICE_SETUP_FLAGS;
    this.warnings = new WarnLimiter(options.log, options.clock);
    this.channels = new ChannelSet({
      warn: (kind, fields, message) => this.warnings.warn(kind, fields, message),
      pool: options.pool,
      counters: options.counters,
      clock: options.clock,
      log: options.log,
      maxTarget: options.maxTarget,
      ...(options.maxFutureJobs === undefined ? {} : { maxFutureJobs: options.maxFutureJobs }),
      ...(options.ntimeSlackSec === undefined ? {} : { ntimeSlackSec: options.ntimeSlackSec }),
      ...(options.hashrateUpdate === undefined ? {} : { hashrateUpdate: options.hashrateUpdate }),
    });
    this.health = new PoolHealth(options.violations ?? violationTable(), options.maxViolationScore);
    this.channelContext = {
      channels: this.channels,
      log: options.log,
      emit: (job) => this.emit(job),
      violation: (kind, what) => this.violation(kind, what),
      prevHash: () => this.notePrevHash(),
      warn: (kind, fields, message) => this.warnings.warn(kind, fields, message),
    };
  }

  get state(): SessionState {
    return this.stateNow;
  }

  /** The pool's current health score (pool-health.ts): violations not yet leaked away. */
  healthScore(now: number): number {
    return this.health.score(now);
  }

  /** Resolves once this session's TCP socket is gone (at once if it never had one). */
  get socketGone(): Promise<void> {
    return this.conn?.socketGone ?? Promise.resolve();
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
        const violationsBefore = this.violationCount;
        if (incoming.kind === 'unknown') {
          this.violation(
            'unknown-message',
            `unknown message ext=${incoming.extensionType} type=${incoming.msgType}`,
          );
        } else {
          this.handle(incoming.message);
        }
        if (this.end !== undefined) break;
        if (this.settled !== undefined && this.sharesInFlight() === 0) this.settled();
        if (this.violationCount === violationsBefore) this.armSilence();
        this.checkWork();
      }
    } catch (err) {
      this.end ??= { kind: 'failed', stage: this.stateNow, reason: describe(err) };
    } finally {
      if (this.silenceTimer !== undefined) this.o.clock.clearTimer(this.silenceTimer);
      this.disarmWork();
      conn.close();
      this.channels.removeAll();
    }
    return this.end ?? { kind: 'failed', stage: this.stateNow, reason: 'pool closed the connection' };
  }

  /** Shares submitted on this session that the pool has not answered yet. */
  sharesInFlight(): number {
    let n = 0;
    for (const slot of this.channels.all()) n += slot.ledger.inFlight;
    return n;
  }

  /**
   * Resolves once every share in flight is answered, the connection ends, or `timeoutMs` passes:
   * a clean stop waits this long so the pool's acknowledgements reach our books instead of being
   * counted lost (the pool already credited them).
   */
  async drainShares(timeoutMs: number): Promise<void> {
    if (!this.connected || this.sharesInFlight() === 0) return;
    await new Promise<void>((resolve) => {
      const finish = (): void => {
        this.o.clock.clearTimer(timer);
        this.settled = undefined;
        resolve();
      };
      const timer = this.o.clock.setTimer(finish, timeoutMs);
      this.settled = finish;
      void this.socketGone.then(finish);
    });
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
          this.violation('unexpected-message', 'SetupConnection.Success after setup');
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
          this.violation(
            'unexpected-message',
            `OpenStandardMiningChannel.Success for request ${m.fields.request_id}`,
          );
          return;
        }
        const perChannel = this.o.nominalHashrate / this.o.channels;
        this.channels.add(m.fields, this.versionMask, perChannel);
        this.expectFirstJob();
        log.info(
          { channelId: m.fields.channel_id, group: m.fields.group_channel_id },
          'standard channel open',
        );
        return;
      }
      case 'OpenExtendedMiningChannel.Success': {
        if (this.kind !== 'extended' || !this.opening.delete(m.fields.request_id)) {
          this.violation(
            'unexpected-message',
            `OpenExtendedMiningChannel.Success for request ${m.fields.request_id}`,
          );
          return;
        }
        const f = m.fields;
        try {
          this.channels.addExtended(f, this.versionMask, this.o.nominalHashrate / this.o.channels);
          this.expectFirstJob();
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
          this.violation('unknown-channel', `${m.name} for unknown channel ${id}`);
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
        this.violation('unexpected-message', `${m.name} is not for a ${this.kind}-channel client`);
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

  /**
   * Counts a protocol violation against the pool; fails the session once the score is over its
   * bound, or at once after a few while the pool gives no minable work.
   */
  private violation(kind: ViolationKind, what: string): void {
    this.violationCount++;
    const now = this.o.clock.now();
    const over = this.health.note(kind, now);
    this.warnings.warn(kind, { total: this.health.byKind[kind] }, `ignored: ${what}`);
    if (this.end !== undefined) return;
    if (kind === 'unknown-job' && this.hadWork && !this.hasWork()) {
      // A SetNewPrevHash naming a job we never got: every job we held was for the old tip (a new
      // prev hash invalidates all others, spec 05 §5.3.17) and the pool named none to replace
      // them. The chips would hash dead work until the deadline: fail over now.
      const reason = `work withdrawn: ${what}, so no job is left to mine`;
      this.o.log.warn(reason);
      this.end = { kind: 'failed', stage: this.stateNow, reason };
      return;
    }
    if (!this.hasWork() && this.stateNow !== 'setup' && this.stateNow !== 'connecting') {
      this.violationsWithoutWork++;
      const bound = this.o.maxViolationsWithoutWork ?? DEFAULT_MAX_VIOLATIONS_WITHOUT_WORK;
      if (this.violationsWithoutWork >= bound) {
        const reason = `protocol violations without work: ${this.violationsWithoutWork} while no channel had a minable job (last: ${kind})`;
        this.o.log.warn(reason);
        this.end = { kind: 'failed', stage: this.stateNow, reason };
        return;
      }
    }
    if (!over) return;
    const counts = Object.entries(this.health.byKind)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ');
    const reason = `protocol violations: health score over ${this.health.bound} (${counts})`;
    this.o.log.warn(reason);
    this.end = { kind: 'failed', stage: this.stateNow, reason };
  }

  private notePrevHash(): void {
    const now = this.o.clock.now();
    const times = this.prevHashTimes;
    times.push(now);
    while (times.length > 0 && (times[0] ?? now) <= now - 60_000) times.shift();
    if (times.length > MAX_PREV_HASHES_PER_MINUTE) {
      // Keep the window bounded: the excess is counted, not remembered.
      times.shift();
      this.violation('prev-hash-churn', `more than ${MAX_PREV_HASHES_PER_MINUTE} prev hashes in a minute`);
    }
  }

  /** True when some channel has a job the chips can mine. */
  private hasWork(): boolean {
    for (const slot of this.channels.all()) if (slot.channel.activeJob !== undefined) return true;
    return false;
  }

  /**
   * The valid-work deadline runs while the channels are requested or open but none has a minable
   * job: a pool that talks without giving work is failed like a silent one.
   */
  private checkWork(): void {
    if (this.o.probeOnly === true || this.stateNow === 'setup' || this.stateNow === 'connecting') return;
    if (this.hasWork()) {
      this.hadWork = true;
      this.violationsWithoutWork = 0;
      this.disarmWork();
      return;
    }
    this.hadWork = false;
    if (this.workTimer !== undefined) return;
    const ms = this.o.workDeadlineMs ?? DEFAULT_WORK_DEADLINE_MS;
    this.armWork(ms, `no valid work: no job with its prev hash on an open channel for ${ms} ms`);
  }

  /** A channel just opened: without work, the deadline comes down to the first-job deadline. */
  private expectFirstJob(): void {
    if (this.o.probeOnly === true || this.hasWork()) return;
    const ms = this.o.firstJobDeadlineMs ?? DEFAULT_FIRST_JOB_DEADLINE_MS;
    if (this.workTimer !== undefined && this.workDeadlineAt <= this.o.clock.now() + ms) return;
    this.disarmWork();
    this.armWork(ms, `no valid work: no job with its prev hash within ${ms} ms of the channel opening`);
  }

  private armWork(ms: number, reason: string): void {
    this.workDeadlineAt = this.o.clock.now() + ms;
    this.workTimer = this.o.clock.setTimer(() => {
      this.workTimer = undefined;
      if (this.end !== undefined) return;
      this.o.log.warn(reason);
      this.end = { kind: 'failed', stage: this.stateNow, reason };
      this.conn?.close();
    }, ms);
  }

  private disarmWork(): void {
    if (this.workTimer !== undefined) this.o.clock.clearTimer(this.workTimer);
    this.workTimer = undefined;
  }
}

function describe(err: unknown): string {
  if (err instanceof DecodeError) return `malformed frame: ${err.message}`;
  if (err instanceof NoiseError || err instanceof PoolError) return err.message;
  return err instanceof Error ? err.message : String(err);
}
