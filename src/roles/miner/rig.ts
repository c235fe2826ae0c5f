/**
 * The chip side of the daemon (architecture.md data flow steps 4-6 and upstream 1-3): every
 * chain of a board, opened through the OpenChain the composition root gives it, one Dispatcher
 * over all of them, hashrate meters fed by chip nonces and the best difficulty. Chains
 * init in parallel; one that fails is marked 'failed' with its reason and the others mine. Where
 * a chain's nonces do not name their chip, the chips' own nonce counters are read every second
 * for per-chip rates (bm13xx.md §12.7).
 */
import { join } from 'node:path';
import type { BoardDefinition } from '../../../boards/types.js';
import type { HashChain } from '../../../drivers/types.js';
import type { Config } from '../../config/schema.js';
import { type Logger, silentLog } from '../../log.js';
import { type Clock, systemClock, type TimerHandle } from '../../time/clock.js';
import { BestDifficulty } from '../../work/best-difficulty.js';
import { NonceCounterDeltas } from '../../work/chip-counters.js';
import { ChipHealthMonitor, type HealthThresholds } from '../../work/chip-health.js';
import { Dispatcher, type DispatcherOptions } from '../../work/dispatcher.js';
import { HashrateTracker } from '../../work/hashrate.js';
import { ChainRecovery, type RecoveryPolicy } from './chain-recovery.js';
import type { ChainIo, OpenChain } from './parts.js';
import { chainExpectation, recoverableChain } from './rig-recovery.js';

/** 'recovering' and 'disabled': flatline recovery (chain-recovery.ts). */
type ChainState = 'initialising' | 'mining' | 'failed' | 'stopped' | 'recovering' | 'disabled';

export interface RigChain {
  readonly index: number;
  readonly chain: HashChain;
  readonly io: ChainIo;
  state: ChainState;
  /** Why init failed (state 'failed'). */
  error: string | undefined;
}

interface RigOptions {
  readonly config: Readonly<Config>;
  readonly board: BoardDefinition;
  readonly onShare: DispatcherOptions['onShare'];
  readonly openChain: OpenChain;
  readonly clock?: Clock;
  readonly log?: Logger;
  /** Carried over an in-process restart so rates and bests do not start from zero. */
  readonly hashrate?: HashrateTracker;
  readonly best?: BestDifficulty;
  /** Overrides config.frequencyMhz (a patch applied at run time). */
  readonly frequencyMhz?: number;
  /** Flatline recovery tuning (tests); false turns it off. */
  readonly recovery?:
    | false
    | { readonly thresholds?: Partial<HealthThresholds>; readonly policy?: Partial<RecoveryPolicy> };
}

/** How often chip nonce counters are read where they are needed (ESP-Miner reads about once a second). */
export const COUNTER_READ_MS = 1_000;

export class Rig {
  readonly board: BoardDefinition;
  readonly chains: readonly RigChain[];
  readonly dispatcher: Dispatcher;
  readonly hashrate: HashrateTracker;
  readonly best: BestDifficulty;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly counterDeltas: NonceCounterDeltas;
  private counterTimer: TimerHandle | undefined;
  private closed = false;
  // --- flatline recovery wiring (chain-recovery.ts) ---
  readonly health: ChipHealthMonitor;
  private readonly recoveryOptions: RigOptions['recovery'];
  recovery: ChainRecovery | undefined;

  private constructor(
    init: Pick<Rig, 'board' | 'chains' | 'dispatcher' | 'hashrate' | 'best' | 'health'> & {
      log: Logger;
      clock: Clock;
      recovery: RigOptions['recovery'];
    },
  ) {
    this.health = init.health;
    this.recoveryOptions = init.recovery;
    this.board = init.board;
    this.chains = init.chains;
    this.dispatcher = init.dispatcher;
    this.hashrate = init.hashrate;
    this.best = init.best;
    this.log = init.log;
    this.clock = init.clock;
    this.counterDeltas = new NonceCounterDeltas(targetShift(init.board));
  }

  static async build(options: RigOptions): Promise<Rig> {
    const { board, config } = options;
    const log = options.log ?? silentLog;
    const clock = options.clock ?? systemClock;
    const frequencyMhz = options.frequencyMhz ?? config.frequencyMhz ?? board.defaultFrequencyMhz;
    const chains: RigChain[] = [];
    for (let index = 0; index < board.chains.length; index++) {
      const def = board.chains[index];
      if (def === undefined) continue;
      const { chain, io } = await options.openChain(index, {
        frequencyMhz,
        chipDifficulty: config.chipDifficulty,
        coreVoltageMv: config.coreVoltage,
        log: log.child({ chain: index }),
      });
      chains.push({ index, chain, io, state: 'stopped', error: undefined });
    }
    const hashrate = options.hashrate ?? new HashrateTracker(clock.now());
    const best =
      options.best ?? (await BestDifficulty.load(join(config.stateDir, 'best-difficulty.json'), log));
    const health = new ChipHealthMonitor(options.recovery === false ? {} : options.recovery?.thresholds);
    const dispatcher = new Dispatcher({
      chains: chains.map((c) => c.chain),
      clock,
      onShare: options.onShare,
      onChipNonce: (event) => {
        hashrate.record(event);
        best.record(event.difficulty);
        health.nonce(event.chain, event.chipIndex);
      },
      simTargetShift: targetShift(board),
      // No rolling override: the dispatcher splits version bits itself when chains outnumber the
      // job's host space (dispatcher.ts splitLanes).
      log: log.child({ component: 'dispatcher' }),
    });
    return new Rig({
      board,
      chains,
      dispatcher,
      hashrate,
      best,
      health,
      log,
      clock,
      recovery: options.recovery,
    });
  }

  /** Initialise every chain at once; resolves with how many are mining (0 = nothing to mine with). */
  async start(): Promise<number> {
    await Promise.all(
      this.chains.map(async (c) => {
        c.state = 'initialising';
        c.error = undefined;
        try {
          await c.chain.init();
          c.state = 'mining';
        } catch (error) {
          c.state = 'failed';
          c.error = error instanceof Error ? error.message : String(error);
          this.log.error({ chain: c.index, err: error }, `chain ${c.index} failed to initialise: ${c.error}`);
          // Leave the chips in reset and the port closed; a restart tries again.
          await c.chain.close().catch(() => {});
        }
      }),
    );
    // The baseline reading before any work, so the first second of hashing counts too.
    await this.readAllCounters();
    this.scheduleCounterReads();
    // With nothing mining the start failed as a whole: the caller reports it, nothing retries here.
    if (this.miningChains() > 0) this.startRecovery();
    return this.miningChains();
  }

  /** Flatline recovery over the chains that came up, and retries of those that failed at start. */
  private startRecovery(): void {
    if (this.recoveryOptions === false || this.closed) return;
    const shift = targetShift(this.board);
    const watched = this.chains.filter((c) => c.state === 'mining' || c.state === 'failed');
    const failedAtStart = new Map(
      watched.flatMap((c) => (c.state === 'failed' ? [[c.index, c.error ?? 'unknown error'] as const] : [])),
    );
    this.recovery = new ChainRecovery({
      failedAtStart,
      chains: watched.map((c) =>
        recoverableChain(c, this.dispatcher, () =>
          chainExpectation(this.board, c.chain, shift, this.counterDeltas.weightPerCount),
        ),
      ),
      monitor: this.health,
      clock: this.clock,
      log: this.log.child({ component: 'recovery' }),
      ...(this.recoveryOptions?.policy === undefined ? {} : { policy: this.recoveryOptions.policy }),
    });
    this.recovery.start();
  }

  /** Chains that need the chips' counters for per-chip rates: their nonces do not name the chip. */
  private counterChains(): RigChain[] {
    return this.chains.filter((c) => c.state === 'mining' && c.chain.needsCounterReads);
  }

  private scheduleCounterReads(): void {
    if (this.closed) return;
    // Under flatline recovery a chain being re-initialised comes back: keep the reads scheduled.
    if (this.counterChains().length === 0 && this.recovery === undefined) return;
    this.counterTimer = this.clock.setTimer(() => {
      // One read per chain at a time: the next is scheduled only once every answer is in.
      void this.readAllCounters().then(() => this.scheduleCounterReads());
    }, COUNTER_READ_MS);
  }

  private async readAllCounters(): Promise<void> {
    await Promise.all(this.counterChains().map((c) => this.readCounters(c)));
  }

  private async readCounters(c: RigChain): Promise<void> {
    try {
      const readings = await c.chain.readNonceCounters();
      const at = this.clock.now();
      for (const w of this.counterDeltas.update(c.index, readings)) {
        this.hashrate.recordChip({ chain: c.index, chipIndex: w.chipIndex, weight: w.weight, at });
        this.health.chipCounts(c.index, w.chipIndex, w.weight / this.counterDeltas.weightPerCount);
      }
    } catch (err) {
      this.log.debug({ chain: c.index, err }, 'nonce counter read failed');
    }
  }

  miningChains(): number {
    return this.chains.filter((c) => c.state === 'mining').length;
  }

  /** Stop work, hold the chips in reset, close the ports; saves the best difficulty. */
  async close(): Promise<void> {
    this.closed = true;
    this.recovery?.close();
    if (this.counterTimer !== undefined) this.clock.clearTimer(this.counterTimer);
    this.dispatcher.stop();
    await Promise.all(
      this.chains.map(async (c) => {
        // A disabled chain is already held in reset with its port closed.
        if (c.state !== 'failed' && c.state !== 'disabled') {
          await c.chain
            .close()
            .catch((err: unknown) => this.log.warn({ chain: c.index, err }, 'close failed'));
          c.state = 'stopped';
        }
        await c.io.release().catch(() => {});
      }),
    );
    await this.best.save();
  }
}

/** The chip-target relaxation the host applies: the simulator's, or one given for simulated hardware. */
function targetShift(board: BoardDefinition): number {
  return board.simulated ? board.sim.simTargetShift : (board.hostTargetShift ?? 0);
}
