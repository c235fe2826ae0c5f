/**
 * Job in -> ChipWork for every HashChain; nonces out -> share-check -> Share (architecture.md data
 * flow; sv2.md §6.2 job lifecycle, §6.6 ntime, §6.7 version rolling; bm13xx.md §8.2 job cadence).
 * A clean job (new prev hash) flushes every chain at once; a work item is replaced before the
 * chain can exhaust it, by stepping host-side version bits, then the miner extranonce (extended
 * jobs: one merkle root per extranonce, extranonce.ts), then ntime, never past
 * job.maxNtime or outside the job's mask. Chains get disjoint work from one cursor per job; when
 * that space is smaller than the chain count, each chain gets a lane of its own instead (splitLanes).
 * Work ids, staleness and duplicate shares are kept by the WorkLedger (work-ledger.ts).
 */
import type { HashChain, NonceResult } from '../../drivers/types.js';
import { HeaderHasher } from '../bitcoin/header.js';
import { relaxedTicketDifficulty, ticketTarget } from '../bitcoin/target.js';
import type { Logger } from '../log.js';
import { silentLog } from '../log.js';
import { type Clock, MAX_TIMER_MS, type TimerHandle } from '../time/clock.js';
import { extranonceCount, merkleRootFor, minerExtranonce } from './extranonce.js';
import type { Job, Share } from './job.js';
import { type Cursor, type Lanes, splitLanes } from './lanes.js';
import { checkNonce } from './share-check.js';
import {
  type RollPlan,
  rollPlan,
  slotVersion,
  type VersionRolling,
  versionRollingFor,
} from './version-roll.js';
import { firstShare, WorkLedger } from './work-ledger.js';

interface ChipNonceEvent {
  readonly chain: number;
  readonly chipIndex: number | undefined;
  /** Real difficulty of this hash (for best-share tracking). */
  readonly difficulty: number;
  /** Mean difficulty behind one reported nonce (ticket, relaxed on sim boards): the hashrate weight. */
  readonly weight: number;
  readonly at: number;
}

export interface DispatcherOptions {
  readonly chains: readonly HashChain[];
  readonly clock: Clock;
  readonly onShare: (share: Share, meta: { readonly block: boolean; readonly chain: number }) => void;
  readonly onChipNonce?: (event: ChipNonceEvent) => void;
  /** Simulated boards: chip target widened by 2^k (boards/types.ts SimParams). Default 0. */
  readonly simTargetShift?: number;
  /** One rolling rule for the board; default from the first ready chain's chip model. */
  readonly rolling?: VersionRolling;
  /** Send fresh work after this fraction of a work item's exhaustion time. Default 0.5. */
  readonly refreshFraction?: number;
  /** Floor for the refresh interval, so a fast chain with no rolling cannot flood its UART. Default 1 ms. */
  readonly minRefreshMs?: number;
  /** Work items remembered for nonce lookup; older ones count as stale. Default 1024. */
  readonly maxTrackedWork?: number;
  readonly log?: Logger;
}

interface ChainWorkStats {
  workSent: number;
  sendErrors: number;
  chipNonces: number;
  hwErrors: number;
  stale: number;
  /** Valid chip nonces that missed the job's share target (health and hashrate only). */
  belowTarget: number;
  duplicates: number;
  shares: number;
}

interface DispatcherStats extends ChainWorkStats {
  jobs: number;
  blocks: number;
  /** Jobs whose whole ntime x version space ran out before a new job came. */
  exhaustedJobs: number;
  readonly chains: readonly ChainWorkStats[];
}

interface ActiveJob {
  readonly job: Job;
  readonly plan: RollPlan;
  /** Miner extranonces the job offers: 1 for a standard job (its merkle root is fixed). */
  readonly extranonces: number;
  /** Shared by every chain unless the job is split into lanes. */
  readonly cursor: Cursor;
  readonly lanes: Lanes<DispatchChain> | undefined;
  exhausted: boolean;
  /** Clock time the job became active: the ntime bound grows by one per second since (sv2.md §6.6). */
  readonly activatedAt: number;
}

interface DispatchChain {
  readonly chain: HashChain;
  readonly stats: ChainWorkStats;
  timer: TimerHandle | undefined;
  chipTarget: bigint;
  weight: number;
  /** Taken out of dispatch (a chain being re-initialised or disabled): no work until resumed. */
  held: boolean;
}

export class Dispatcher {
  private readonly options: DispatcherOptions;
  private readonly log: Logger;
  private readonly states: DispatchChain[];
  private readonly ledger: WorkLedger;
  private readonly hasher = new HeaderHasher();
  private readonly totals = { jobs: 0, blocks: 0, exhaustedJobs: 0 };
  private active: ActiveJob | undefined;
  private stopped = false;

  constructor(options: DispatcherOptions) {
    this.options = options;
    this.log = options.log ?? silentLog;
    this.ledger = new WorkLedger(options.maxTrackedWork ?? 1024);
    this.states = options.chains.map((chain) => ({
      chain,
      stats: {
        workSent: 0,
        sendErrors: 0,
        chipNonces: 0,
        hwErrors: 0,
        stale: 0,
        belowTarget: 0,
        duplicates: 0,
        shares: 0,
      },
      timer: undefined,
      chipTarget: 0n,
      weight: 1,
      held: false,
    }));
    for (const state of this.states) state.chain.onNonce((result) => this.handleNonce(state, result));
  }

  /** Make `job` the work. Resolves when every ready chain has taken its first work item. */
  async setJob(job: Job): Promise<void> {
    if (this.stopped) return;
    this.totals.jobs++;
    if (job.clean) this.ledger.retireAll();
    const ready = this.states.filter((s) => this.prepareChain(s));
    const rolling = this.options.rolling ?? versionRollingFor(ready[0]?.chain.info()?.chipModel ?? '');
    const plan = rollPlan(rolling, job.versionMask);
    this.active = {
      job,
      plan,
      extranonces: job.extended === undefined ? 1 : extranonceCount(job.extended.extranonceSize),
      cursor: { ntime: job.ntime, extranonce: 0, slot: 0 },
      lanes: splitLanes(plan, ready, job),
      exhausted: false,
      activatedAt: this.options.clock.now(),
    };
    const active = this.active;
    // Issue every send before awaiting any: a flush reaches all chains in parallel.
    await Promise.all(ready.map((state) => this.sendNext(state, active, job.clean)));
  }

  stop(): void {
    this.stopped = true;
    for (const state of this.states) this.clearTimer(state);
  }

  /** Send `chain` no more work (its chips are being reset or it is disabled); the others go on. */
  holdChain(chain: number): void {
    const state = this.stateOf(chain);
    if (state === undefined) return;
    state.held = true;
    this.clearTimer(state);
  }

  /**
   * Give a held chain work again (after its re-init): the current job where the chain still has a
   * place in it, else it waits for the next job. A job split into lanes while the chain was out
   * has no lane for it, and work from the shared cursor would overlap the lanes' work.
   */
  async resumeChain(chain: number): Promise<void> {
    const state = this.stateOf(chain);
    if (state === undefined) return;
    state.held = false;
    const active = this.active;
    if (this.stopped || active === undefined || !this.prepareChain(state)) return;
    if (active.lanes !== undefined && !active.lanes.byChain.has(state)) return;
    await this.sendNext(state, active, true);
  }

  /** True while `chain` has live work: a job, not held, its work space not exhausted. */
  hasWork(chain: number): boolean {
    const state = this.stateOf(chain);
    const active = this.active;
    if (this.stopped || state === undefined || state.held || active === undefined) return false;
    if (active.exhausted || state.chain.info() === undefined) return false;
    return active.lanes === undefined || active.lanes.byChain.has(state);
  }

  private stateOf(chain: number): DispatchChain | undefined {
    return this.states.find((s) => s.chain.index === chain);
  }

  stats(): DispatcherStats {
    const sum = (key: keyof ChainWorkStats): number => this.states.reduce((n, s) => n + s.stats[key], 0);
    return {
      ...this.totals,
      workSent: sum('workSent'),
      sendErrors: sum('sendErrors'),
      chipNonces: sum('chipNonces'),
      hwErrors: sum('hwErrors'),
      stale: sum('stale'),
      belowTarget: sum('belowTarget'),
      duplicates: sum('duplicates'),
      shares: sum('shares'),
      chains: this.states.map((s) => ({ ...s.stats })),
    };
  }

  /** Loads chip target and nonce weight from the chain's info; false if the chain is not initialised. */
  private prepareChain(state: DispatchChain): boolean {
    this.clearTimer(state);
    if (state.held) return false;
    const info = state.chain.info();
    if (info === undefined) return false;
    const shift = this.options.simTargetShift ?? 0;
    state.chipTarget = ticketTarget(info.chipDifficulty, shift);
    state.weight = relaxedTicketDifficulty(info.chipDifficulty, shift);
    return true;
  }

  private async sendNext(state: DispatchChain, active: ActiveJob, clean: boolean): Promise<void> {
    const lane = active.lanes?.byChain.get(state);
    const cursor = lane?.cursor ?? active.cursor;
    const next = this.takeSlot(active, cursor);
    if (next === undefined) {
      this.retryWhenNtimeAllows(state, active, cursor);
      return;
    }
    const { job, plan } = active;
    let merkleRoot: Uint8Array;
    let extranonce: Uint8Array | undefined;
    if (job.extended === undefined) {
      merkleRoot = job.merkleRoot;
    } else {
      extranonce = minerExtranonce(next.extranonce, job.extended.extranonceSize);
      merkleRoot = merkleRootFor(job.extended, extranonce);
    }
    const workId = this.ledger.issue(job, extranonce);
    let version = slotVersion(job.version, plan, next.slot);
    if (active.lanes !== undefined && lane !== undefined)
      version = slotVersion(version, active.lanes.lanePlan, lane.lane);
    const work = {
      version,
      versionMask: (active.lanes?.workPlan ?? plan).workMask,
      prevHash: job.prevHash,
      merkleRoot,
      ntime: next.ntime,
      nbits: job.nbits,
      workId,
    };
    this.scheduleRefresh(state, active);
    state.stats.workSent++;
    try {
      await state.chain.sendWork(work, clean);
    } catch (error) {
      state.stats.sendErrors++;
      this.log.error({ err: error, chain: state.chain.index }, 'sendWork failed');
    }
  }

  /**
   * The next unused (ntime, extranonce, host slot) of the job, or undefined while ntime would pass
   * the bound. Host slots move fastest, then the miner extranonce (extended jobs), then ntime.
   * The bound is job.maxNtime (the pool's limit when the job was emitted) plus the whole seconds
   * since: the spec allows min_ntime + seconds since SetNewPrevHash, so the space reopens as time
   * passes instead of the chips idling until the next job.
   */
  private takeSlot(
    active: ActiveJob,
    cursor: Cursor,
  ): { ntime: number; extranonce: number; slot: number } | undefined {
    if (cursor.ntime > this.ntimeBound(active)) {
      if (!active.exhausted) {
        active.exhausted = true;
        this.totals.exhaustedJobs++;
        this.log.warn(
          { jobId: active.job.jobId, ntime: cursor.ntime },
          'job work space exhausted until ntime may advance',
        );
      }
      return undefined;
    }
    active.exhausted = false;
    const taken = { ntime: cursor.ntime, extranonce: cursor.extranonce, slot: cursor.slot };
    cursor.slot++;
    if (cursor.slot >= active.plan.hostSlots) {
      cursor.slot = 0;
      cursor.extranonce++;
      if (cursor.extranonce >= active.extranonces) {
        cursor.extranonce = 0;
        cursor.ntime++;
      }
    }
    return taken;
  }

  private ntimeBound(active: ActiveJob): number {
    return active.job.maxNtime + Math.floor((this.options.clock.now() - active.activatedAt) / 1000);
  }

  /** Sends the next work item as soon as the ntime bound has moved past the exhausted ntime. */
  private retryWhenNtimeAllows(state: DispatchChain, active: ActiveJob, cursor: Cursor): void {
    this.clearTimer(state);
    const elapsed = this.options.clock.now() - active.activatedAt;
    const secondsShort = Math.max(1, cursor.ntime - this.ntimeBound(active));
    const delay = secondsShort * 1000 - (elapsed % 1000);
    state.timer = this.options.clock.setTimer(() => {
      state.timer = undefined;
      if (this.stopped || state.held || this.active !== active) return;
      void this.sendNext(state, active, false);
    }, delay);
  }

  /** Exhaustion time = versions x 2^32 / chain hashrate (bm13xx.md §8.2); refresh well before it. */
  private scheduleRefresh(state: DispatchChain, active: ActiveJob): void {
    this.clearTimer(state);
    const hashrate = state.chain.info()?.nominalHashrate ?? 0;
    if (!(hashrate > 0)) return;
    const versions = (active.lanes?.workPlan ?? active.plan).versionsPerWork;
    const exhaustMs = ((versions * 2 ** 32) / hashrate) * 1000;
    const delay = Math.min(
      MAX_TIMER_MS,
      Math.max(this.options.minRefreshMs ?? 1, exhaustMs * (this.options.refreshFraction ?? 0.5)),
    );
    state.timer = this.options.clock.setTimer(() => {
      state.timer = undefined;
      if (this.stopped || state.held || this.active !== active) return;
      void this.sendNext(state, active, false);
    }, delay);
  }

  private handleNonce(state: DispatchChain, result: NonceResult): void {
    const entry = this.ledger.live(result.work.workId);
    if (entry === undefined) {
      // Retired by a clean job (or too old to remember): never submitted (bm13xx.md §13).
      state.stats.stale++;
      return;
    }
    const verdict = checkNonce(result, entry.job, state.chipTarget, this.hasher);
    if (verdict.kind === 'hw-error') {
      state.stats.hwErrors++;
      state.chain.reportHardwareError(result.chipIndex);
      return;
    }
    state.stats.chipNonces++;
    this.options.onChipNonce?.({
      chain: state.chain.index,
      chipIndex: result.chipIndex,
      difficulty: verdict.difficulty,
      weight: state.weight,
      at: result.receivedAt,
    });
    if (verdict.kind !== 'share') {
      state.stats.belowTarget++;
      return;
    }
    if (!firstShare(entry, result.version, result.nonce)) {
      state.stats.duplicates++;
      return;
    }
    state.stats.shares++;
    if (verdict.block) this.totals.blocks++;
    const share =
      entry.extranonce === undefined ? verdict.share : { ...verdict.share, extranonce: entry.extranonce };
    this.options.onShare(share, { block: verdict.block, chain: state.chain.index });
  }

  private clearTimer(state: DispatchChain): void {
    if (state.timer !== undefined) this.options.clock.clearTimer(state.timer);
    state.timer = undefined;
  }
}
