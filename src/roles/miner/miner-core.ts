/**
 * The core of the miner daemon (architecture.md "composition root" and data flow): pool client
 * jobs go to the Dispatcher, dispatcher shares go back to the client, counters and meters feed the
 * RigSnapshot, progress feeds the watchdog health (progress-watch.ts). With no pools configured it
 * starts the embedded local SV2 pool and mines on it over real TCP and Noise. Never exits the
 * process (lifecycle.ts does). Its options are in miner-options.ts; miner.ts adds the controls.
 */
import { join } from 'node:path';
import type { BoardDefinition } from '../../../boards/types.js';
import { FanControl } from '../../../drivers/fans/fan-control.js';
import { plausibleCelsius, type ThermalReader } from '../../../drivers/peripherals/thermal.js';
import type { RigSnapshot } from '../../api/snapshot.js';
import { VERSION } from '../../app/version.js';
import { type Config, type PoolConfig, resumeCelsius, vrResumeCelsius } from '../../config/schema.js';
import { ChipError, ConfigError } from '../../errors.js';
import { type Logger, silentLog } from '../../log.js';
import type { LocalPool } from '../../pool-server/local-pool.js';
import { type Clock, systemClock, type TimerHandle } from '../../time/clock.js';
import type { Job, Share } from '../../work/job.js';
import { deviceIdentity } from './device-identity.js';
import { FanLoop } from './fan-loop.js';
import { HashrateReportSchedule } from './hashrate-report.js';
import type { MinerOptions } from './miner-options.js';
import { OVERHEAT_STATE_FILE, OverheatLatch } from './overheat-latch.js';
import type { MinerParts } from './parts.js';
import { PoolSet } from './pool-set.js';
import { chainWork, expectedNonceIntervalMs, type Health, ProgressWatch } from './progress-watch.js';
import { Rig } from './rig.js';
import { buildRigSnapshot, expectedHashrate, type RetiredCounters, retiredCounters } from './rig-snapshot.js';
import { statusLine } from './status-line.js';
import { ThermalGuard, type ThermalSample } from './thermal-guard.js';

const MAX_LATENCIES = 32;
/** How often the regulator's STATUS_WORD is read while mining: a fault stops hashing within 1 s. */
const REGULATOR_WATCH_MS = 250;
/** Regulator telemetry every this many 1 s polls. */
const POWER_READ_S = 5;

export abstract class MinerCore {
  readonly board: BoardDefinition;
  protected config: Readonly<Config>;
  protected readonly o: MinerOptions;
  /** The implementations the composition root (compose.ts) picked. */
  protected readonly parts: MinerParts;
  /** The logger given (root); components get their own child of it, the daemon's own lines 'daemon'. */
  protected readonly baseLog: Logger;
  protected readonly log: Logger;
  protected readonly clock: Clock;
  protected readonly startedAtMono: number;
  protected readonly startedAtWall = Date.now();
  protected rig: Rig | undefined;
  protected pools: PoolSet | undefined;
  protected embedded: LocalPool | undefined;
  protected embeddedUrl: string | undefined;
  protected thermal: ThermalGuard | undefined;
  protected lastJob: Job | undefined;
  /**
   * Jobs reach the dispatcher only once the chains are up, one setJob at a time, newest first:
   * a job flood (during bring-up or after) costs one dispatch, not one queued UART write per job.
   */
  private chainsUp = false;
  private pendingJob: Job | undefined;
  private draining: Promise<void> | undefined;
  protected paused = false;
  protected throttled = false;
  protected readonly latencies: number[] = [];
  protected localStale = 0;
  protected retired: RetiredCounters | undefined;
  protected ops: Promise<void> = Promise.resolve();
  protected readonly statusListeners = new Set<(s: RigSnapshot) => void>();
  protected pollTimer: TimerHandle | undefined;
  private powerPolls = 0;
  /** Fan duty from each thermal sample (fan-loop.ts). */
  protected readonly fanLoop: FanLoop;
  /** The overheat/fault latch (overheat-latch.ts), loaded from the state dir at start. */
  protected latch: OverheatLatch | undefined;
  /** The rig is paused because the latch tripped (not by the operator): a release resumes it. */
  protected latchPaused = false;
  private latchResuming = false;
  private regulatorTimer: TimerHandle | undefined;
  private regulatorInFlight = false;
  /** The named regulator faults that stopped hashing, until the rig is resumed. */
  protected regulatorFault: readonly string[] | undefined;
  private powerInFlight = false;
  private power: RigSnapshot['power'] | undefined;
  private readonly progress: ProgressWatch;
  private readonly hashrateReports: HashrateReportSchedule;
  protected readyResolve: (() => void) | undefined;
  /** Resolves once chains are initialised and the first pool job has reached them. */
  readonly ready: Promise<void>;

  constructor(options: MinerOptions, parts: MinerParts) {
    this.o = options;
    this.parts = parts;
    this.config = options.config;
    this.board = options.board;
    this.baseLog = options.log ?? silentLog;
    this.log = this.baseLog.child({ component: 'daemon' });
    this.clock = options.clock ?? systemClock;
    this.startedAtMono = this.clock.now();
    this.progress = new ProgressWatch(this.startedAtMono, {
      // The watchdog's nonce rule: how often this rig should return a nonce (progress-watch.ts).
      expectedNonceIntervalMs: expectedNonceIntervalMs(
        expectedHashrate(this.board, this.frequencyMhz()),
        this.config.chipDifficulty,
        this.board.simulated ? this.board.sim.simTargetShift : (this.board.hostTargetShift ?? 0),
      ),
      ...options,
    });
    this.hashrateReports = new HashrateReportSchedule(this.startedAtMono, options.hashrateReportMs);
    this.fanLoop = new FanLoop({
      control: new FanControl(this.config.fan),
      fan: () => this.rig?.chains[0]?.io.fan,
      log: this.baseLog.child({ component: 'fan' }),
    });
    this.ready = new Promise((resolve) => {
      this.readyResolve = resolve;
    });
  }

  /** The embedded pool, when the daemon runs one (tests force blocks through it). */
  get localPool(): LocalPool | undefined {
    return this.embedded;
  }

  get currentRig(): Rig | undefined {
    return this.rig;
  }

  async start(): Promise<void> {
    const expected = expectedHashrate(this.board, this.frequencyMhz());
    let pools: readonly PoolConfig[] = this.config.pools;
    if (pools.length === 0) {
      // run refuses earlier with the file to edit; this keeps any other caller honest too.
      if (!this.config.localPool.useWhenNoPools)
        throw new ConfigError('pools', 'at least one pool', '[] (localPool.useWhenNoPools is false)');
      const embedded = await this.parts.startEmbeddedPool();
      this.embedded = embedded.pool;
      this.embeddedUrl = embedded.poolConfig.url;
      pools = [embedded.poolConfig];
      this.log.info({ url: embedded.pool.url }, 'no pools configured: mining on the embedded local pool');
    }
    this.pools = new PoolSet({
      pools,
      client: {
        nominalHashrate: expected,
        device: deviceIdentity(this.board),
        certificateLeewaySec: this.config.certificateLeewaySec,
        clock: this.clock,
        log: this.baseLog.child({ component: 'pool' }),
        ...(this.o.socketFactory === undefined ? {} : { socketFactory: this.o.socketFactory }),
        ...(this.o.hashrateUpdate === undefined ? {} : { hashrateUpdate: this.o.hashrateUpdate }),
        ...this.o.poolLimits,
      },
      onJob: (job) => this.onJob(job),
      onProgress: () => this.progress.poolMoved(this.clock.now()),
      log: this.baseLog.child({ component: 'pools' }),
    });
    this.latch = await OverheatLatch.load({
      path: join(this.config.stateDir, OVERHEAT_STATE_FILE),
      limits: {
        resumeC: resumeCelsius(this.config.thermal),
        vrResumeC: vrResumeCelsius(this.config.thermal),
        requireClear: this.config.thermal.requireClear,
      },
      log: this.baseLog.child({ component: 'overheat' }),
      now: this.clock.now(),
    });
    // Connect while the chains come up: the handshake and the bring-up overlap.
    this.pools.start();
    if (this.latch.latched) await this.startLatched();
    else await this.startRig();
    this.thermal = new ThermalGuard({
      readers: this.parts.thermalReaders,
      ...(this.board.power?.regulator.kind === 'tps546' ? { vr: this.regulatorThermal() } : {}),
      limits: this.config.thermal,
      clock: this.clock,
      log: this.baseLog.child({ component: 'thermal' }),
      actions: {
        throttle: (on) => this.throttle(on),
        shutdown: (_reason, detail) => this.overheat(detail),
      },
      onSample: (sample) => this.onThermalSample(sample),
    });
    this.thermal.start();
    this.schedulePoll();
    this.watchRegulator();
  }

  /** Ordered stop: CloseChannel, chips held in reset and ports closed, pool closed, best saved. */
  async stop(): Promise<void> {
    if (this.pollTimer !== undefined) this.clock.clearTimer(this.pollTimer);
    this.pollTimer = undefined;
    if (this.regulatorTimer !== undefined) this.clock.clearTimer(this.regulatorTimer);
    this.regulatorTimer = undefined;
    this.thermal?.stop();
    await this.ops.catch(() => {});
    await this.pools?.close();
    await this.rig?.close();
    await this.embedded?.close();
    await this.parts.release();
  }

  /** Healthy = paused on purpose, or the chains and the pool loop both made progress in time. */
  health(): Health {
    return this.progress.health(this.clock.now(), this.paused);
  }

  statusLine(): string {
    return statusLine(this.snapshot());
  }

  snapshot(): RigSnapshot {
    return buildRigSnapshot({
      version: VERSION,
      board: this.board,
      rig: this.rig,
      chipDifficulty: this.config.chipDifficulty,
      frequencyMhz: this.frequencyMhz(),
      now: this.clock.now(),
      startedAtMono: this.startedAtMono,
      startedAtWall: this.startedAtWall,
      paused: this.paused,
      pools: this.pools?.snapshot() ?? [],
      activePoolIndex: this.pools?.activeIndex() ?? null,
      tempC: this.thermal?.hottest() ?? null,
      fan: {
        ...this.config.fan,
        rpm: this.fanLoop.rpm,
        dutyPercent: this.fanLoop.percent,
        stalled: this.fanLoop.stalled,
      },
      ...(this.latch === undefined ? {} : { overheat: this.latch.snapshot() }),
      ...(this.rig?.chains[0]?.io.power === undefined ? {} : { power: this.power ?? null }),
      ...(this.regulatorFault === undefined ? {} : { powerFaults: this.regulatorFault }),
      ...(this.board.power === undefined
        ? {}
        : { coreVoltageMv: this.config.coreVoltage ?? this.board.power.coreVoltageMv.default }),
      jobSwitchLatencyMs: this.latencies,
      nbits: this.lastJob?.nbits ?? null,
      localStale: this.localStale,
      retired: this.retired,
    });
  }

  protected frequencyMhz(): number {
    const base = this.config.frequencyMhz ?? this.board.defaultFrequencyMhz;
    // Thermal throttling runs the chips at 80 %, rounded to the 6.25 MHz PLL grid (bm13xx.md §5).
    return this.throttled ? Math.round((base * 0.8) / 6.25) * 6.25 : base;
  }

  protected async startRig(): Promise<void> {
    this.chainsUp = false;
    const rig = await this.buildRig();
    // The replaced rig's totals carry over, so served counters never fall (rig-snapshot.ts).
    if (this.rig !== undefined) this.retired = retiredCounters(this.snapshot());
    this.rig = rig;
    const mining = await rig.start();
    if (mining === 0) {
      const reasons = rig.chains.map((c) => `chain ${c.index}: ${c.error ?? 'not started'}`).join('; ');
      throw new ChipError(`no chain of board ${this.board.id} initialised (${reasons})`);
    }
    const now = this.clock.now();
    this.progress.chainsStarted(now);
    this.hashrateReports.miningStarted(now);
    this.chainsUp = true;
    await this.applyFan();
    // Jobs that arrived during bring-up were only remembered: the newest goes to the chips now.
    if (this.lastJob !== undefined) {
      this.queueJob(this.lastJob);
      await this.draining;
    }
  }

  /**
   * A start while the overheat latch is set: the board's I/O is opened (fan, regulator, sensors)
   * and at once closed again, which holds the chips in reset and the regulator off, so nothing is
   * powered until the latch releases. The daemon counts as up (READY): paused on purpose.
   */
  private async startLatched(): Promise<void> {
    this.paused = true;
    this.latchPaused = true;
    const rig = await this.buildRig();
    this.rig = rig;
    await rig.close();
    this.log.error(
      { reason: this.latch?.reason },
      `overheat latch set: chips not powered (${this.latch?.reason ?? 'no reason'})`,
    );
    await this.applyFan();
    this.readyResolve?.();
    this.readyResolve = undefined;
  }

  private buildRig(): Promise<Rig> {
    return Rig.build({
      config: this.config,
      board: this.board,
      clock: this.clock,
      log: this.baseLog.child({ component: 'rig' }),
      frequencyMhz: this.frequencyMhz(),
      onShare: (share) => this.onShare(share),
      openChain: this.parts.openChain,
      ...(this.rig === undefined ? {} : { hashrate: this.rig.hashrate, best: this.rig.best }),
    });
  }

  protected onJob(job: Job): void {
    this.lastJob = job;
    if (this.paused || !this.chainsUp || this.rig === undefined) return;
    this.queueJob(job);
  }

  /** Newest wins while a dispatch is in flight; a skipped clean job still flushes the chips. */
  private queueJob(job: Job): void {
    const skipped = this.pendingJob;
    this.pendingJob = skipped?.clean === true && !job.clean ? { ...job, clean: true } : job;
    this.draining ??= this.drainJobs();
  }

  private async drainJobs(): Promise<void> {
    try {
      for (let job = this.pendingJob; job !== undefined; job = this.pendingJob) {
        this.pendingJob = undefined;
        try {
          await this.dispatch(job);
        } catch (err) {
          // A failed dispatch must not become an unhandled rejection (that exits the daemon).
          this.log.error({ err, jobId: job.jobId }, 'job dispatch failed');
        }
      }
    } finally {
      // Cleared in the same step that found nothing pending, so no job queued after it is stranded.
      this.draining = undefined;
    }
  }

  protected async dispatch(job: Job): Promise<void> {
    const rig = this.rig;
    if (rig === undefined) return;
    const t0 = this.clock.now();
    await rig.dispatcher.setJob(job);
    if (job.clean) {
      this.latencies.push(this.clock.now() - t0);
      if (this.latencies.length > MAX_LATENCIES) this.latencies.shift();
    }
    if (rig.dispatcher.stats().workSent > 0 && rig.miningChains() > 0) {
      this.readyResolve?.();
      this.readyResolve = undefined;
    }
  }

  protected onShare(share: Share): void {
    const outcome = this.pools?.submit(share) ?? { kind: 'stale' as const, reason: 'no-pool' };
    if (outcome.kind === 'stale' && this.pools?.status() === undefined) this.localStale++;
    if (outcome.kind === 'stale')
      this.log.debug({ jobId: share.jobId, reason: outcome.reason }, 'share stale');
  }

  protected async throttle(on: boolean): Promise<void> {
    if (this.throttled === on) return;
    this.throttled = on;
    await this.serial(() => this.applyFrequency());
  }

  protected async applyFrequency(): Promise<void> {
    const mhz = this.frequencyMhz();
    for (const c of this.rig?.chains ?? []) {
      if (c.state !== 'mining') continue;
      const reached = await c.chain.setFrequency(mhz);
      this.log.info({ chain: c.index, mhz: reached }, 'frequency changed');
    }
  }

  /** Every second: pool state changes, chain progress, hashrate to the pool, status listeners. */
  protected schedulePoll(): void {
    const tick = (): void => {
      this.pollTimer = this.clock.setTimer(() => {
        this.pools?.poll();
        this.progress.observeChainWork(chainWork(this.rig?.chains ?? []), this.clock.now());
        this.reportHashrate();
        this.readPower();
        this.emitStatus();
        tick();
      }, 1_000);
    };
    tick();
  }

  /**
   * The regulator's readings every POWER_READ_S polls, one read at a time (they share the bridge's
   * control port with the sensors); a failed read shows as null, not as the last good figure.
   */
  private readPower(): void {
    const source = this.rig?.chains[0]?.io.power;
    this.powerPolls = (this.powerPolls + 1) % POWER_READ_S;
    if (source === undefined || this.powerInFlight || this.powerPolls !== 1) return;
    this.powerInFlight = true;
    source
      .telemetry()
      .then((t) => {
        this.power = {
          inputV: t.vinV,
          outputA: t.ioutA,
          outputV: t.voutV,
          coreMv: t.coreMv,
          regulatorC: t.temperatureC,
        };
      })
      .catch((err: unknown) => {
        if (this.power !== null) this.log.warn({ err }, 'regulator telemetry unreadable');
        this.power = null;
      })
      .finally(() => {
        this.powerInFlight = false;
      });
  }

  /**
   * STATUS_WORD every REGULATOR_WATCH_MS while mining: a regulator fault (off, OV, OC, UV,
   * temperature, a latched output fault) stops hashing at once, chips in reset and the rail off
   * (pause), with the faults named in the log. An unreadable status is logged, not a stop: the
   * thermal guard covers a dead bus.
   */
  private watchRegulator(): void {
    this.regulatorTimer = this.clock.setTimer(() => {
      this.checkRegulator();
      this.watchRegulator();
    }, REGULATOR_WATCH_MS);
  }

  private checkRegulator(): void {
    const source = this.rig?.chains[0]?.io.power;
    if (source === undefined || this.paused || !this.chainsUp || this.regulatorInFlight) return;
    this.regulatorInFlight = true;
    source
      .status()
      .then(async (status) => {
        // A status read that lands after stop() began sees the rail going down on purpose.
        if (!status.fault || this.paused || !this.chainsUp || this.regulatorTimer === undefined) return;
        this.regulatorFault = status.flags;
        this.log.error(
          { statusWord: status.word, faults: status.flags },
          `regulator fault (${status.flags.join(', ')}): hashing stopped, chips in reset and core power off`,
        );
        await this.overheat(`regulator fault (${status.flags.join(', ')})`);
      })
      .catch((err: unknown) => this.log.warn({ err }, 'regulator status unreadable'))
      .finally(() => {
        this.regulatorInFlight = false;
      });
  }

  /**
   * The operator's fan settings (config `fan`) to the fan loop, and one step at once with the
   * latest reading, so a new rig or a changed setting does not wait for the next sample.
   */
  protected async applyFan(): Promise<void> {
    this.fanLoop.control.configure(this.config.fan);
    this.fanLoop.invalidate();
    // Before the guard's first sample there is no reading yet, which is not a sensor failure.
    const hottest = this.thermal === undefined ? null : (this.thermal.hottest() ?? undefined);
    await this.fanLoop.update({
      tempC: hottest,
      now: this.clock.now(),
      fault: this.fanFault(),
    });
  }

  /** What forces the fan to 100 %: a latched overheat or a regulator fault. */
  private fanFault(): string | undefined {
    if (this.latch?.latched === true) return `overheat: ${this.latch.reason ?? 'latched'}`;
    if (this.regulatorFault !== undefined) return 'regulator fault';
    return undefined;
  }

  /**
   * Over a limit, sensors gone or a regulator fault: the latch is set and on disk first (a crash
   * from here on still comes back latched), then the fan goes to 100 % and the chips stop (reset
   * held, core power off).
   */
  protected async overheat(reason: string): Promise<void> {
    await this.latch?.trip(reason, this.clock.now());
    if (!this.paused) this.latchPaused = true;
    await this.applyFan();
    await this.pause();
    // Tripped during start-up: the daemon is up and stopped on purpose (READY, then pings).
    this.readyResolve?.();
    this.readyResolve = undefined;
  }

  /** Every thermal sample: the fan loop, then whether a latched rig may resume. */
  private async onThermalSample(sample: ThermalSample): Promise<void> {
    await this.fanLoop.update({
      tempC: sample.chipC ?? undefined,
      now: sample.now,
      fault: this.fanFault(),
    });
    const latch = this.latch;
    if (latch === undefined || !latch.latched || this.latchResuming) return;
    if (!latch.mayResume({ chipC: sample.chipC, vrC: sample.vrC }, sample.now)) return;
    this.latchResuming = true;
    // Not awaited: a power-up takes seconds and the samples (and the fan) must go on meanwhile.
    void (async () => {
      await latch.release();
      this.regulatorFault = undefined;
      if (this.latchPaused) {
        this.latchPaused = false;
        await this.resume();
      }
      await this.applyFan();
    })()
      .catch((err: unknown) => this.log.error({ err }, 'resume after the overheat latch failed'))
      .finally(() => {
        this.latchResuming = false;
      });
  }

  /** The core regulator's temperature for the overheat check (undefined while unreadable). */
  private regulatorThermal(): ThermalReader {
    return {
      label: 'vr',
      read: async () => {
        const source = this.rig?.chains[0]?.io.power;
        if (source === undefined) return undefined;
        try {
          return plausibleCelsius(await source.temperatureC());
        } catch {
          return undefined;
        }
      },
    };
  }

  /** The measured rig rate to the pool client on schedule; nothing while paused or too early. */
  protected reportHashrate(): void {
    if (this.rig === undefined) return;
    const rate = this.hashrateReports.due(this.rig.hashrate, this.clock.now(), this.paused);
    if (rate !== undefined) this.pools?.reportHashrate(rate);
  }

  protected emitStatus(): void {
    if (this.statusListeners.size === 0) return;
    const snapshot = this.snapshot();
    for (const listener of this.statusListeners) {
      try {
        listener(snapshot);
      } catch (err) {
        this.log.warn({ err }, 'status listener failed');
      }
    }
  }

  /** Control operations run one at a time; a failed one does not block the next. */
  protected serial(fn: () => Promise<void>): Promise<void> {
    const run = this.ops.then(fn, fn);
    this.ops = run.catch(() => {});
    return run;
  }

  /** Chips into reset, no work (thermal shutdown and the pause control). */
  abstract pause(): Promise<void>;

  /** Chips powered and initialised again (the resume control and the latch's release). */
  abstract resume(): Promise<void>;
}
