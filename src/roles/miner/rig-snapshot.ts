/**
 * Builds the RigSnapshot (src/api/snapshot.ts) from the live daemon parts: chain and chip
 * counters, hashrate meters, pool rows, thermal readings. Everything is copied into plain data so
 * an API holding a snapshot can never reach back into drivers or sockets.
 */

import { hostname } from 'node:os';
import type { BoardDefinition } from '../../../boards/types.js';
import { CHIPS } from '../../../drivers/bm13xx/chips.js';
import { SIM_DEFAULTS } from '../../../drivers/sim/sim-chain.js';
import type {
  ChainSnapshot,
  ChipSnapshot,
  HashrateFigures,
  PoolSnapshot,
  RigSnapshot,
} from '../../api/snapshot.js';
import type { HashrateRates } from '../../work/hashrate.js';
import { type ChainRecoveryStatus, RECOVERY_REASONS } from './chain-recovery.js';
import type { Rig } from './rig.js';

interface SnapshotInputs {
  readonly version: string;
  readonly board: BoardDefinition;
  readonly rig: Rig | undefined;
  readonly chipDifficulty: number;
  readonly frequencyMhz: number;
  /** Monotonic ms (the daemon clock) now and at start; wall-clock start for display. */
  readonly now: number;
  readonly startedAtMono: number;
  readonly startedAtWall: number;
  readonly paused: boolean;
  readonly pools: readonly PoolSnapshot[];
  readonly activePoolIndex: number | null;
  readonly tempC: number | null;
  readonly fan: RigSnapshot['fan'];
  readonly power?: RigSnapshot['power'];
  readonly coreVoltageMv?: number;
  readonly powerFaults?: readonly string[];
  readonly overheat?: RigSnapshot['overheat'];
  readonly jobSwitchLatencyMs: readonly number[];
  readonly nbits: number | null;
  /** Shares counted stale in the pipeline before reaching a pool (not in any pool's counters). */
  readonly localStale: number;
  /** Counters of rigs already replaced (pause/resume, restart), added to the live rig's. */
  readonly retired?: RetiredCounters | undefined;
}

type ChainCounters = Pick<
  ChainSnapshot,
  | 'nonces'
  | 'hardwareErrors'
  | 'stale'
  | 'crcErrors'
  | 'uartJunkBytes'
  | 'jobsSent'
  | 'recoveries'
  | 'recoveriesByReason'
  | 'recoveryFailures'
>;
type ChipCounters = Pick<ChipSnapshot, 'nonces' | 'hardwareErrors' | 'stale' | 'crcErrors'>;

/**
 * A resume or restart builds a new Rig whose chains count from zero; carrying the old totals keeps
 * every served counter (Prometheus *_total, cgminer, AxeOS) from falling while the process lives.
 */
export interface RetiredCounters {
  readonly hardwareErrors: number;
  readonly chains: ReadonlyMap<number, ChainCounters>;
  /** Keyed `chain:index`. */
  readonly chips: ReadonlyMap<string, ChipCounters>;
}

/** The cumulative counters of `s` (which already includes earlier retired rigs). */
export function retiredCounters(s: RigSnapshot): RetiredCounters {
  return {
    hardwareErrors: s.hardwareErrors,
    chains: new Map(
      s.chains.map((c) => [
        c.index,
        {
          nonces: c.nonces,
          hardwareErrors: c.hardwareErrors,
          stale: c.stale,
          crcErrors: c.crcErrors,
          uartJunkBytes: c.uartJunkBytes,
          jobsSent: c.jobsSent,
          recoveries: c.recoveries,
          recoveriesByReason: c.recoveriesByReason,
          recoveryFailures: c.recoveryFailures,
        },
      ]),
    ),
    chips: new Map(
      s.chips.map((c) => [
        `${c.chain}:${c.index}`,
        { nonces: c.nonces, hardwareErrors: c.hardwareErrors, stale: c.stale, crcErrors: c.crcErrors },
      ]),
    ),
  };
}

const ZERO_RATES: HashrateFigures = { h5s: 0, h1m: 0, h10m: 0, h1h: 0 };

export function buildRigSnapshot(i: SnapshotInputs): RigSnapshot {
  const { board, rig, now } = i;
  const spec = CHIPS[board.chip];
  const rates = rig?.hashrate.snapshot(now);
  const work = rig?.dispatcher.stats();
  const chains: ChainSnapshot[] = [];
  const chips: ChipSnapshot[] = [];
  const recovery = rig?.recovery?.status() ?? [];
  for (const c of rig?.chains ?? []) {
    const rec = recovery.find((r) => r.chain === c.index);
    const stats = c.chain.stats();
    const info = c.chain.info();
    const chainRates = rates?.chains.find((r) => r.chain === c.index);
    const hw = work?.chains[c.index]?.hwErrors ?? 0;
    const base = i.retired?.chains.get(c.index);
    chains.push({
      index: c.index,
      chipModel: stats.chipModel,
      chipCount: info?.chipCount ?? stats.chipCount,
      frequencyMhz: info?.frequencyMhz ?? stats.frequencyMhz,
      hashrate: figures(chainRates?.rates),
      nominalHashrate: info?.nominalHashrate ?? 0,
      nonces: stats.nonces + (base?.nonces ?? 0),
      hardwareErrors: hw + (base?.hardwareErrors ?? 0),
      stale: stats.stale + (base?.stale ?? 0),
      crcErrors: stats.crcErrors + (base?.crcErrors ?? 0),
      uartJunkBytes: stats.junkBytes + (base?.uartJunkBytes ?? 0),
      jobsSent: stats.jobsSent + (base?.jobsSent ?? 0),
      state: c.state,
      temperatureC: i.tempC,
      ...recoveryFigures(rec, base),
    });
    for (const chip of stats.chips) {
      const chipBase = i.retired?.chips.get(`${c.index}:${chip.index}`);
      chips.push({
        chain: c.index,
        index: chip.index,
        address: chip.address,
        hashrate: figures(chainRates?.chips.find((r) => r.chip === chip.index)?.rates),
        nonces: chip.nonces + (chipBase?.nonces ?? 0),
        hardwareErrors: chip.hardwareErrors + (chipBase?.hardwareErrors ?? 0),
        stale: chip.stale + (chipBase?.stale ?? 0),
        crcErrors: chip.crcErrors + (chipBase?.crcErrors ?? 0),
        lastNonceAgeS: chip.lastNonceAt === undefined ? null : Math.max(0, (now - chip.lastNonceAt) / 1000),
        health: rec?.chips[chip.index] ?? 'unknown',
      });
    }
  }
  const chipCount = board.chains.reduce((n, c) => n + c.chipCount, 0);
  const reasons: Record<string, number> = {};
  for (const p of i.pools)
    for (const [k, v] of Object.entries(p.rejectReasons)) reasons[k] = (reasons[k] ?? 0) + v;
  return {
    version: i.version,
    hostname: hostname(),
    board: { id: board.id, description: board.description, simulated: board.simulated },
    chipModel: board.chip,
    chipCount,
    smallCoreCount: spec.smallCores * chipCount,
    frequencyMhz: i.frequencyMhz,
    defaultFrequencyMhz: board.defaultFrequencyMhz,
    frequencyOptionsMhz: frequencyOptions(board),
    chipDifficulty: i.chipDifficulty,
    startedAt: i.startedAtWall,
    uptimeS: Math.max(0, (now - i.startedAtMono) / 1000),
    paused: i.paused,
    hashrate: figures(rates?.rig),
    expectedHashrate: expectedHashrate(board, i.frequencyMhz),
    chains,
    chips,
    pools: i.pools,
    activePoolIndex: i.activePoolIndex,
    shares: {
      accepted: sum(i.pools, (p) => p.accepted),
      rejected: sum(i.pools, (p) => p.rejected),
      stale: sum(i.pools, (p) => p.stale) + i.localStale,
      rejectReasons: reasons,
      lostInFlight: sum(i.pools, (p) => p.lostInFlight),
    },
    nonces: chains.reduce((n, c) => n + c.nonces, 0),
    hardwareErrors: (work?.hwErrors ?? 0) + (i.retired?.hardwareErrors ?? 0),
    bestDifficulty: rig?.best.state ?? { session: 0, allTime: 0 },
    temperatures: { chipC: i.tempC, boardC: i.tempC },
    fan: i.fan,
    ...(i.power === undefined ? {} : { power: i.power }),
    ...(i.coreVoltageMv === undefined ? {} : { coreVoltageMv: i.coreVoltageMv }),
    ...(i.powerFaults === undefined ? {} : { powerFaults: [...i.powerFaults] }),
    ...(i.overheat === undefined ? {} : { overheat: i.overheat }),
    jobSwitchLatencyMs: [...i.jobSwitchLatencyMs],
    network: { blockHeight: null, nbits: i.nbits },
  };
}

/** A chain's recovery counts, carried over rig rebuilds like every other total. */
function recoveryFigures(
  rec: ChainRecoveryStatus | undefined,
  base: ChainCounters | undefined,
): Pick<ChainSnapshot, 'recoveries' | 'recoveriesByReason' | 'recoveryFailures' | 'lastRecoveryReason'> {
  const byReason = { flatline: 0, 'chip-silent': 0, 'chip-weak': 0 };
  for (const reason of RECOVERY_REASONS)
    byReason[reason] = (rec?.recoveriesByReason[reason] ?? 0) + (base?.recoveriesByReason[reason] ?? 0);
  return {
    recoveries: (rec?.recoveries ?? 0) + (base?.recoveries ?? 0),
    recoveriesByReason: byReason,
    recoveryFailures: (rec?.failures ?? 0) + (base?.recoveryFailures ?? 0),
    lastRecoveryReason: rec?.lastReason ?? null,
  };
}

/**
 * What the board should do: a simulated board's configured speed (what the sim really hashes),
 * a board served by sim-board the simulator's default speed,
 * or frequency x small cores x chips for silicon (bm13xx.md §8.1).
 */
export function expectedHashrate(board: BoardDefinition, frequencyMhz: number): number {
  if (board.simulated) return board.sim.hashrate;
  // Hardware served by `sim-board` (run --sim-target-shift): its chips hash at the simulator's
  // default speed, not the silicon's, and the pool's first target must fit that.
  if (board.hostTargetShift !== undefined && board.hostTargetShift > 0) return SIM_DEFAULTS.hashrate;
  const chips = board.chains.reduce((n, c) => n + c.chipCount, 0);
  return frequencyMhz * 1e6 * CHIPS[board.chip].smallCores * chips;
}

/** 25 MHz steps up to the board maximum, plus the default (the AxeOS frequency drop-down). */
function frequencyOptions(board: BoardDefinition): number[] {
  const options = new Set<number>([board.defaultFrequencyMhz]);
  for (let mhz = 400; mhz <= board.maxFrequencyMhz; mhz += 25) options.add(mhz);
  return [...options].filter((m) => m <= board.maxFrequencyMhz).sort((a, b) => a - b);
}

function figures(rates: HashrateRates | undefined): HashrateFigures {
  if (rates === undefined) return ZERO_RATES;
  return { h5s: rates['5s'], h1m: rates['1m'], h10m: rates['10m'], h1h: rates['1h'] };
}

function sum<T>(items: readonly T[], f: (item: T) => number): number {
  return items.reduce((n, item) => n + f(item), 0);
}
