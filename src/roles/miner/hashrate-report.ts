/**
 * The rig hashrate the daemon reports to the pool client for UpdateChannel (sv2.md §6.9: send it
 * when the real rate changes materially). The 10 min figure is steadiest, but a window longer than
 * the time the chips have been mining divides their nonces by seconds spent in bring-up, reset or
 * pause, so early on the 1 min or 5 s window (the longest one full of mining time) is used.
 * HashrateReportSchedule says when: every interval, once there is a rate worth reporting.
 */
import { HASHRATE_WINDOWS, type HashrateTracker, type HashrateWindow } from '../../work/hashrate.js';

/** Longest first: the first window the mining time covers is used. */
const REPORT_WINDOWS: readonly HashrateWindow[] = ['10m', '1m', '5s'];

/** The longest report window within `miningMs` of mining, or undefined before 5 s of it. */
export function reportWindow(miningMs: number): HashrateWindow | undefined {
  return REPORT_WINDOWS.find((w) => HASHRATE_WINDOWS[w] <= miningMs);
}

/**
 * H/s to report at `now` for chips mining since `miningSince` (monotonic ms), or undefined when
 * there is nothing trustworthy to say yet (under 5 s of mining, or no nonce in the window).
 */
export function reportedHashrate(
  tracker: Pick<HashrateTracker, 'rigRate'>,
  miningSince: number,
  now: number,
): number | undefined {
  const window = reportWindow(now - miningSince);
  if (window === undefined) return undefined;
  const rate = tracker.rigRate(window, now);
  return rate > 0 ? rate : undefined;
}

/** The daemon's report timing: at most one report per `intervalMs`, none while paused or too early. */
export class HashrateReportSchedule {
  private readonly intervalMs: number;
  private lastReportAt: number;
  /** When the current rig's chains started mining (the report window), monotonic ms. */
  private miningSince: number | undefined;

  /** `now`: monotonic ms at start-up; the first report comes one interval later at the earliest. */
  constructor(now: number, intervalMs = 10_000) {
    this.intervalMs = intervalMs;
    this.lastReportAt = now;
  }

  /** A new rig started mining: the report window starts over. */
  miningStarted(now: number): void {
    this.miningSince = now;
  }

  /** The H/s to report at `now`, or undefined when none is due or nothing is trustworthy yet. */
  due(tracker: Pick<HashrateTracker, 'rigRate'>, now: number, paused: boolean): number | undefined {
    if (now - this.lastReportAt < this.intervalMs) return undefined;
    if (paused || this.miningSince === undefined) return undefined;
    const rate = reportedHashrate(tracker, this.miningSince, now);
    // No rate yet: try again at the next poll rather than an interval later.
    if (rate === undefined) return undefined;
    this.lastReportAt = now;
    return rate;
  }
}
