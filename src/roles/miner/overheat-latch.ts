/**
 * The overheat and fault latch (AxeOS `overheat_mode`): once tripped (chip over thermal.shutdownC,
 * regulator over thermal.vrShutdownC, a regulator fault, or the sensors gone) the rig stays
 * stopped until the chips are below thermal.resumeC (the regulator below its own resume point),
 * a hold time has passed, and, with thermal.requireClear, an operator has cleared it. The state
 * is a small JSON file in the state directory, written before the caller stops anything else, so
 * a restart (or a crash) comes back latched and never powers the chips first.
 *
 * The hold time is the retry backoff: 60 s after a first trip, doubling for each trip within an
 * hour of the one before, at most an hour. An operator clear skips the hold, never the temperature.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from '../../log.js';

export const OVERHEAT_STATE_FILE = 'overheat.json';
const FIRST_HOLD_MS = 60_000;
const MAX_HOLD_MS = 3_600_000;
/** Trips closer together than this count as a repeat (the hold doubles). */
const REPEAT_WINDOW_MS = 3_600_000;
/** Longer reasons are cut: the reason goes into the API, the log and the state file. */
const MAX_REASON = 200;

export interface LatchLimits {
  /** Chips must be below this to resume (thermal.resumeC). */
  readonly resumeC: number;
  /** The regulator must be below this to resume. */
  readonly vrResumeC: number;
  /** Resume only after an operator clear (thermal.requireClear). */
  readonly requireClear: boolean;
}

/** What the sensors say: a number, undefined = unreadable, null = the board has no such sensor. */
export interface LatchReadings {
  readonly chipC: number | null | undefined;
  readonly vrC: number | null | undefined;
}

export interface LatchSnapshot {
  readonly latched: boolean;
  readonly reason: string | null;
  /** ISO wall time of the trip. */
  readonly since: string | null;
  readonly cleared: boolean;
  readonly trips: number;
  /** Why it has not resumed yet (null when not latched). */
  readonly waitingFor: string | null;
}

interface Persisted {
  readonly latched: boolean;
  readonly reason: string | null;
  readonly since: string | null;
  readonly cleared: boolean;
  readonly trips: number;
  /** Wall ms of the last trip (repeat detection across restarts). */
  readonly lastTripAt: number | null;
}

const UNLATCHED: Persisted = {
  latched: false,
  reason: null,
  since: null,
  cleared: false,
  trips: 0,
  lastTripAt: null,
};

export class OverheatLatch {
  private state: Persisted;
  private readonly path: string;
  private readonly limits: LatchLimits;
  private readonly log: Logger;
  private readonly wallNow: () => number;
  /** Monotonic ms when the hold started (the trip, or this process's start when it loaded a latch). */
  private holdFrom: number;
  private waiting: string | null = null;
  private writes: Promise<void> = Promise.resolve();

  private constructor(o: {
    path: string;
    limits: LatchLimits;
    log: Logger;
    state: Persisted;
    now: number;
    wallNow: () => number;
  }) {
    this.path = o.path;
    this.limits = o.limits;
    this.log = o.log;
    this.state = o.state;
    this.holdFrom = o.now;
    this.wallNow = o.wallNow;
  }

  /**
   * The latch as the last run left it. A file that cannot be read as a latch state counts as
   * latched: nothing says the chips are safe to power.
   */
  static async load(o: {
    path: string;
    limits: LatchLimits;
    log: Logger;
    now: number;
    wallNow?: () => number;
  }): Promise<OverheatLatch> {
    const wallNow = o.wallNow ?? Date.now;
    let state = UNLATCHED;
    let text: string | undefined;
    try {
      text = await readFile(o.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        state = unreadable(o.path, wallNow(), (error as Error).message);
      }
    }
    if (text !== undefined) state = parseState(text) ?? unreadable(o.path, wallNow(), 'not a latch state');
    const latch = new OverheatLatch({ ...o, state, wallNow });
    if (state.latched)
      o.log.error(
        { reason: state.reason, since: state.since, cleared: state.cleared },
        `overheat latch set by an earlier run (${state.reason ?? 'no reason'}): chips stay off until it is released`,
      );
    return latch;
  }

  get latched(): boolean {
    return this.state.latched;
  }

  get reason(): string | null {
    return this.state.reason;
  }

  snapshot(): LatchSnapshot {
    const { latched, reason, since, cleared, trips } = this.state;
    return { latched, reason, since, cleared, trips, waitingFor: latched ? this.waiting : null };
  }

  /** The hold after the current trip, by how many trips came in a row. */
  holdMs(): number {
    return Math.min(MAX_HOLD_MS, FIRST_HOLD_MS * 2 ** Math.max(0, this.state.trips - 1));
  }

  /** Latches (persisted before it resolves); false when it already was latched (the first reason stays). */
  async trip(reason: string, now: number): Promise<boolean> {
    if (this.state.latched) return false;
    const wall = this.wallNow();
    const repeat = this.state.lastTripAt !== null && wall - this.state.lastTripAt < REPEAT_WINDOW_MS;
    this.state = {
      latched: true,
      reason: reason.slice(0, MAX_REASON),
      since: new Date(wall).toISOString(),
      cleared: false,
      trips: repeat ? this.state.trips + 1 : 1,
      lastTripAt: wall,
    };
    this.holdFrom = now;
    this.log.error(
      { reason: this.state.reason, trips: this.state.trips, holdS: this.holdMs() / 1000 },
      `overheat latch set: ${this.state.reason}`,
    );
    await this.persist();
    return true;
  }

  /** The operator's clear (AxeOS PATCH overheat_mode: 0): resumes as soon as it is cool enough. */
  async clear(): Promise<void> {
    if (!this.state.latched || this.state.cleared) return;
    this.state = { ...this.state, cleared: true };
    this.log.warn({ reason: this.state.reason }, 'overheat latch cleared by the operator');
    await this.persist();
  }

  /**
   * Whether mining may resume now; the reason it may not is kept for the API. Chips must read
   * below resumeC (an unreadable sensor is not cool), the regulator below vrResumeC.
   */
  mayResume(readings: LatchReadings, now: number): boolean {
    this.waiting = this.blocker(readings, now);
    return this.state.latched && this.waiting === null;
  }

  /** Un-latches (persisted): the caller powers the chips up next. */
  async release(): Promise<void> {
    if (!this.state.latched) return;
    this.log.warn({ reason: this.state.reason }, 'overheat latch released: mining resumes');
    this.state = { ...this.state, latched: false, reason: null, since: null, cleared: false };
    this.waiting = null;
    await this.persist();
  }

  private blocker(r: LatchReadings, now: number): string | null {
    if (!this.state.latched) return null;
    const { resumeC, vrResumeC, requireClear } = this.limits;
    if (r.chipC === undefined) return 'a chip temperature reading';
    if (r.chipC !== null && r.chipC >= resumeC)
      return `chips below ${resumeC} °C (now ${r.chipC.toFixed(1)})`;
    if (r.vrC === undefined) return 'a regulator temperature reading';
    if (r.vrC !== null && r.vrC >= vrResumeC)
      return `regulator below ${vrResumeC} °C (now ${r.vrC.toFixed(1)})`;
    if (requireClear && !this.state.cleared)
      return 'an operator clear (PATCH /api/system {"overheat_mode":0})';
    if (!this.state.cleared) {
      const left = this.holdMs() - (now - this.holdFrom);
      if (left > 0) return `the hold time (${Math.ceil(left / 1000)} s left)`;
    }
    return null;
  }

  /** Written whole to a temporary file and renamed; writes are serialised. A failed write is logged, not thrown. */
  private persist(): Promise<void> {
    const text = `${JSON.stringify(this.state, null, 2)}\n`;
    const run = this.writes.then(async () => {
      try {
        await mkdir(dirname(this.path), { recursive: true });
        const tmp = `${this.path}.tmp`;
        await writeFile(tmp, text);
        await rename(tmp, this.path);
      } catch (err) {
        this.log.error(
          { err, path: this.path },
          'overheat latch state not saved: a restart would not know it',
        );
      }
    });
    this.writes = run;
    return run;
  }
}

function unreadable(path: string, wall: number, why: string): Persisted {
  return {
    latched: true,
    reason: `overheat state ${path} unreadable (${why}): treated as latched`.slice(0, MAX_REASON),
    since: new Date(wall).toISOString(),
    cleared: false,
    trips: 1,
    lastTripAt: wall,
  };
}

function parseState(text: string): Persisted | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof raw !== 'object' || raw === null) return undefined;
  const r = raw as Record<string, unknown>;
  if (typeof r['latched'] !== 'boolean') return undefined;
  const str = (v: unknown): string | null => (typeof v === 'string' ? v.slice(0, MAX_REASON) : null);
  const trips = typeof r['trips'] === 'number' && Number.isInteger(r['trips']) ? Math.max(0, r['trips']) : 0;
  const lastTripAt =
    typeof r['lastTripAt'] === 'number' && Number.isFinite(r['lastTripAt']) ? r['lastTripAt'] : null;
  return {
    latched: r['latched'],
    reason: str(r['reason']),
    since: str(r['since']),
    cleared: r['cleared'] === true,
    trips: Math.min(trips, 64),
    lastTripAt,
  };
}
