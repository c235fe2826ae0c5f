/**
 * The Stratum V2 mining client, standard or extended channels per pool (sv2.md §6; src/upstream/): an ordered
 * pool list, one live session at a time, failover with backoff, background probes and fail-back,
 * jobs out (`onJob` / `jobs()`), shares in (`submit`), hashrate updates, and a status snapshot.
 * Each pool always uses its own user and authority key; a share is only ever sent to the pool and
 * channel whose job it solves, on the session that issued that job.
 */

import type { SubmitOutcome } from '../channels/client/channel-set.js';
import { countReason, emptyCounters } from '../channels/client/counters.js';
import { type Logger, silentLog } from '../log.js';
import { type PoolUrl, parsePoolUrl } from '../noise/pool-url.js';
import { type Clock, systemClock, type TimerHandle } from '../time/clock.js';
import type { Job, Share } from '../work/job.js';
import { backoffDelay } from './backoff.js';
import { type PoolClientOptions, sessionOptionsFor } from './client-options.js';
import { FailoverPolicy } from './failover.js';
import { type JobListener, JobStream } from './job-stream.js';
import { violationTable } from './pool-health.js';
import { channelsNeeded } from './requests.js';
import { Session, type SessionEnd } from './session.js';
import { buildStatus, type PoolClientStatus, type PoolSlot } from './status.js';

export type { PoolClientOptions } from './client-options.js';

/**
 * Reconnects followed per pool within the window before the pool counts as failed: a pool that
 * keeps sending Reconnect (to itself, or around a loop) must not keep the rig off its next pool.
 * Two: a pool moving us on purpose (maintenance, a redirect and one more hop) does so once or
 * twice; every repeat beyond waits out a backoff with the chips idle while other pools are ready.
 */
const DEFAULT_RECONNECT_LIMIT = { max: 2, windowMs: 60_000 } as const;
/** Reconnects after the first in a window wait this backoff (first retry 250 ms, then doubling). */
const RECONNECT_BACKOFF = { baseMs: 250, maxMs: 8_000 } as const;
/**
 * A stop waits this long for the pool to answer the shares still in flight: they are credited by
 * the pool either way, and an answer read keeps both books equal (a lost one is only counted).
 */
const SHARE_DRAIN_MS = 2_000;

export class PoolClient {
  private readonly o: PoolClientOptions;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly slots: PoolSlot[];
  private readonly policy: FailoverPolicy;
  private readonly jobStream = new JobStream();
  private readonly channelCount: number;
  private current: { slot: PoolSlot; session: Session } | undefined;
  private loopDone: Promise<void> | undefined;
  private closing = false;
  private wakeSleep: (() => void) | undefined;
  private probeTimer: TimerHandle | undefined;
  private probing: Session | undefined;
  private probeBusy = false;
  private forced: { readonly index: number; readonly delayMs: number } | undefined;
  /** Sockets of ended sessions not yet gone (a pool slow to close its side; bounded by the close timeout). */
  private readonly lingering = new Set<Promise<void>>();

  constructor(options: PoolClientOptions) {
    this.o = options;
    this.clock = options.clock ?? systemClock;
    this.log = options.log ?? silentLog;
    this.channelCount = channelsNeeded(options.nominalHashrate, options.channels ?? 1);
    this.policy = new FailoverPolicy(
      options.pools.length,
      {
        ...(options.backoff === undefined ? {} : { backoff: options.backoff }),
        ...(options.failBack?.holdMs === undefined ? {} : { holdMs: options.failBack.holdMs }),
      },
      options.random ?? Math.random,
    );
    const seen = new Set<string>();
    this.slots = options.pools.map((entry, index) => {
      const key = seen.has(entry.url) ? `${entry.url}#${index}` : entry.url;
      seen.add(key);
      const slot: PoolSlot = {
        index,
        key,
        entry,
        url: undefined,
        counters: emptyCounters(),
        state: 'idle',
        lastError: undefined,
        handshakeMs: undefined,
        lastRoundTripMs: undefined,
        override: undefined,
        violations: violationTable(),
        reconnects: [],
      };
      const refused = this.checkPool(slot);
      if (refused !== undefined) {
        slot.state = 'dead';
        slot.lastError = refused;
        this.policy.markDead(index, refused);
        this.log.error({ pool: key }, `pool refused: ${refused}`);
      }
      return slot;
    });
  }

  /** Starts connecting in the background. */
  start(): void {
    if (this.loopDone !== undefined) return;
    this.loopDone = this.loop().catch((err: unknown) => {
      this.log.fatal({ err }, 'pool client loop crashed');
    });
  }

  onJob(listener: JobListener): () => void {
    return this.jobStream.on(listener);
  }

  jobs(): AsyncIterable<Job> {
    return this.jobStream.stream();
  }

  /** Submits a share on the session and channel that issued its job, or counts it stale. */
  submit(share: Share): SubmitOutcome {
    const cur = this.current;
    if (cur !== undefined && share.pool === cur.slot.key) return cur.session.submit(share);
    const reason = cur === undefined ? 'connection-down' : 'pool-changed';
    const slot = this.slots.find((s) => s.key === share.pool);
    if (slot !== undefined) {
      slot.counters.stale++;
      countReason(slot.counters.staleByReason, reason);
    }
    return { kind: 'stale', reason };
  }

  /** The rig's measured hashrate, H/s: sends UpdateChannel when it drifted (debounced). */
  reportHashrate(hashrate: number): void {
    this.current?.session.reportHashrate(hashrate);
  }

  status(): PoolClientStatus {
    return buildStatus(this.slots, this.current, this.policy, this.clock.now());
  }

  /**
   * Waits (bounded) for the answers to shares in flight, then CloseChannel + close on the live
   * session, stop probing and retrying. Resolves once every
   * socket is gone: after the pool closed its side, or the close timeout destroyed it.
   */
  async close(): Promise<void> {
    this.closing = true;
    const live = this.current?.session;
    if (live !== undefined) {
      await live.drainShares(this.o.shareDrainMs ?? SHARE_DRAIN_MS);
      live.close('shutdown');
    }
    this.probing?.close('shutdown');
    if (this.probeTimer !== undefined) this.clock.clearTimer(this.probeTimer);
    this.wakeSleep?.();
    await this.loopDone;
    this.jobStream.end();
    await Promise.all(this.lingering);
  }

  /** Remembers an ended session's socket until it is gone, so close() can wait for it. */
  private linger(session: Session): void {
    const gone = session.socketGone.then(() => {
      this.lingering.delete(gone);
    });
    this.lingering.add(gone);
  }

  private checkPool(slot: PoolSlot): string | undefined {
    let url: PoolUrl;
    try {
      url = parsePoolUrl(slot.entry.url, `pools[${slot.index}].url`);
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    }
    slot.url = url;
    if (url.missingAuthorityKey && slot.entry.insecure !== true)
      return 'no authority key in the URL (set insecure: true only for a trusted LAN pool)';
    return undefined;
  }

  private async loop(): Promise<void> {
    while (!this.closing) {
      const forced = this.forced;
      this.forced = undefined;
      if (forced !== undefined && forced.delayMs > 0) {
        await this.sleep(forced.delayMs);
        if (this.closing) return;
      }
      const d =
        forced !== undefined
          ? { kind: 'connect' as const, index: forced.index }
          : this.policy.next(this.clock.now());
      if (d.kind === 'none') {
        this.log.error('no usable pool left; retrying in 60 s');
        await this.sleep(60_000);
        continue;
      }
      if (d.kind === 'wait') {
        await this.sleep(d.ms);
        continue;
      }
      const slot = this.slots[d.index];
      if (slot === undefined) return;
      const end = await this.runSession(slot);
      this.afterSession(slot, end);
    }
  }

  private afterSession(slot: PoolSlot, end: SessionEnd): void {
    const now = this.clock.now();
    switch (end.kind) {
      case 'closed':
        slot.state = 'idle';
        return;
      case 'reconnect': {
        const limit = this.o.reconnectLimit ?? DEFAULT_RECONNECT_LIMIT;
        const recent = slot.reconnects;
        recent.push(now);
        while (recent.length > 0 && (recent[0] ?? now) <= now - limit.windowMs) recent.shift();
        if (recent.length > limit.max) {
          recent.length = 0;
          const last = slot.state;
          this.afterSession(slot, {
            kind: 'failed',
            // The state the last session reached (slot.state is still that session's).
            stage: last === 'idle' || last === 'backoff' || last === 'dead' ? 'connecting' : last,
            reason: `Reconnect loop: more than ${limit.max} Reconnects within ${limit.windowMs} ms`,
          });
          return;
        }
        slot.override = end.endpoint;
        slot.state = 'idle';
        // The first Reconnect is followed at once (a pool moving us on purpose); repeats back off.
        const delayMs =
          recent.length <= 1
            ? 0
            : backoffDelay(recent.length - 2, RECONNECT_BACKOFF, this.o.random ?? Math.random);
        this.forced = { index: slot.index, delayMs };
        if (delayMs > 0)
          this.log.warn(
            { pool: slot.key, retryInMs: delayMs, count: recent.length },
            'repeated Reconnect; backing off',
          );
        return;
      }
      case 'give-up':
        slot.state = 'dead';
        slot.lastError = end.reason;
        this.policy.markDead(slot.index, end.reason);
        return;
      case 'failed': {
        slot.lastError = `${end.stage}: ${end.reason}`;
        slot.override = undefined;
        slot.state = 'backoff';
        const delay = this.policy.failed(slot.index, now);
        const next = this.policy.hasAlternative(slot.index)
          ? 'failing over'
          : `retrying in ${formatDelay(delay)} (no other pool configured)`;
        this.log.warn({ pool: slot.key, retryInMs: delay }, `pool failed (${slot.lastError}); ${next}`);
        return;
      }
    }
  }

  private async runSession(slot: PoolSlot): Promise<SessionEnd> {
    const session = this.newSession(slot, false);
    this.current = { slot, session };
    if (slot.url?.missingAuthorityKey === true)
      this.log.warn({ pool: slot.key }, 'connecting WITHOUT pool authentication (insecure: true)');
    this.scheduleProbe(slot);
    try {
      return await session.run();
    } finally {
      this.linger(session);
      this.current = undefined;
      slot.handshakeMs = session.handshakeMs ?? slot.handshakeMs;
      slot.lastRoundTripMs = session.channels.lastRoundTripMs ?? slot.lastRoundTripMs;
      if (this.probeTimer !== undefined) this.clock.clearTimer(this.probeTimer);
      this.probeTimer = undefined;
    }
  }

  private newSession(slot: PoolSlot, probeOnly: boolean): Session {
    return new Session(
      sessionOptionsFor(this.o, slot, {
        probeOnly,
        channels: this.channelCount,
        clock: this.clock,
        log: this.log,
        onJob: (job) => this.jobStream.emit(job),
        onState: (state) => {
          if (probeOnly) return;
          slot.state = state;
          if (state === 'mining') {
            slot.lastError = undefined;
            this.policy.succeeded(slot.index);
          }
        },
      }),
    );
  }

  /** While on a lower-priority pool, probe the better ones and fail back once one held up. */
  private scheduleProbe(slot: PoolSlot): void {
    if (this.closing || this.policy.probeCandidates(slot.index).length === 0) return;
    const interval = this.o.failBack?.probeIntervalMs ?? 30_000;
    this.probeTimer = this.clock.setTimer(() => {
      void this.probe(slot).finally(() => {
        if (this.current?.slot === slot) this.scheduleProbe(slot);
      });
    }, interval);
  }

  private async probe(from: PoolSlot): Promise<void> {
    if (this.probeBusy) return;
    this.probeBusy = true;
    try {
      for (const index of this.policy.probeCandidates(from.index)) {
        const target = this.slots[index];
        if (target === undefined || this.closing) continue;
        this.probing = this.newSession(target, true);
        const end = await this.probing.run();
        this.linger(this.probing);
        this.probing = undefined;
        const ok = end.kind === 'closed' && end.reason === 'probe ok';
        this.policy.probed(index, ok, this.clock.now());
        this.log.debug({ pool: target.key, ok, end }, 'fail-back probe');
      }
      const back = this.policy.failBackTarget(from.index, this.clock.now());
      const cur = this.current;
      if (back !== undefined && cur?.slot === from && !this.closing) {
        this.log.info(
          { from: from.key, to: this.slots[back]?.key },
          'failing back to a higher-priority pool',
        );
        cur.session.close('fail-back');
      }
    } finally {
      this.probing = undefined;
      this.probeBusy = false;
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = this.clock.setTimer(
        () => {
          this.wakeSleep = undefined;
          resolve();
        },
        Math.max(0, ms),
      );
      this.wakeSleep = () => {
        this.clock.clearTimer(timer);
        this.wakeSleep = undefined;
        resolve();
      };
    });
  }
}

/** 1_234 -> "1.2 s", 90_000 -> "90 s": the backoff as a person reads it. */
function formatDelay(ms: number): string {
  const seconds = ms / 1000;
  return `${seconds < 10 ? seconds.toFixed(1) : Math.round(seconds)} s`;
}
