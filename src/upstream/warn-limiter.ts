/**
 * Rate-limited warnings: a pool repeating one odd message must not flood the journal. One line per
 * kind per interval; the line that ends a quiet interval says how many were suppressed in it.
 */
import type { Logger } from '../log.js';
import type { Clock } from '../time/clock.js';

/** One line per kind per this many ms. */
const WARN_INTERVAL_MS = 30_000;

export class WarnLimiter {
  private readonly kinds = new Map<string, { lastAt: number; suppressed: number }>();
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly intervalMs: number;

  constructor(log: Logger, clock: Clock, intervalMs = WARN_INTERVAL_MS) {
    this.log = log;
    this.clock = clock;
    this.intervalMs = intervalMs;
  }

  warn(kind: string, fields: Record<string, unknown>, message: string): void {
    const now = this.clock.now();
    const k = this.kinds.get(kind);
    if (k !== undefined && now - k.lastAt < this.intervalMs) {
      k.suppressed++;
      return;
    }
    const suppressed = k?.suppressed ?? 0;
    this.kinds.set(kind, { lastAt: now, suppressed: 0 });
    this.log.warn({ ...fields, kind, ...(suppressed > 0 ? { suppressed } : {}) }, message);
  }
}
