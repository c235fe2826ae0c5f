/**
 * When which fault happens: every decision comes from the campaign's seeded PRNG, so a run with
 * the same --seed and --faults makes the same choices (the timing of the rig's reactions still
 * varies). Pool faults always leave at least one pool healthy; each lasts a few seconds and then
 * the healthy pool comes back on the same port with the same key (a restart).
 */
import type { FaultClass } from './campaign.js';
import type { HostileClass } from './hostile-pool.js';
import type { PoolSlot, SlotMode } from './pool-slot.js';
import type { RigCommand } from './rig-protocol.js';

export interface ScheduleOptions {
  readonly slots: readonly PoolSlot[];
  readonly faults: ReadonlySet<FaultClass>;
  readonly random: () => number;
  readonly rig: (command: RigCommand) => void;
  /** URL of the pool the rig is on, from its latest sample. */
  readonly currentPool: () => string | null;
  readonly log: (line: string) => void;
  /** Faults this many times as often (warm-up burn-in); the chip death is left to pace 1. Default 1. */
  readonly pace?: number;
}

const POOL_FAULTS: readonly (FaultClass & SlotMode)[] = [
  'silent',
  'unknown-messages',
  'unknown-channel',
  'unknown-job',
  'trickle',
  'reconnect-self',
  'garbage',
];
const CHIPS = 4;

export class FaultSchedule {
  private readonly o: ScheduleOptions;
  private readonly timers = new Set<NodeJS.Timeout>();
  /** True once a chip was made to hang (the books then expect its chain re-initialised). */
  chipHung = false;
  private readonly pending = new Set<Promise<void>>();
  private stopped = false;

  constructor(options: ScheduleOptions) {
    this.o = options;
  }

  /** Plans faults over the next `durationMs`. */
  start(durationMs: number): void {
    const f = this.o.faults;
    const pace = this.o.pace ?? 1;
    if (f.has('prevhash')) this.every(3_000 / pace, 6_000 / pace, () => this.newBlocks());
    const poolClasses = POOL_FAULTS.filter((c) => f.has(c));
    if (f.has('kill') || poolClasses.length > 0)
      this.every(6_000 / pace, 12_000 / pace, () =>
        this.poolFault([...(f.has('kill') ? ['down' as const] : []), ...poolClasses]),
      );
    if (f.has('uart')) this.every(8_000 / pace, 16_000 / pace, () => this.lineFault());
    if (f.has('chip-death') && pace === 1) {
      const position = 1 + Math.floor(this.o.random() * (CHIPS - 1));
      this.after(durationMs * (0.2 + 0.3 * this.o.random()), () => {
        this.o.log(`chip ${position} hangs (its chain must be re-initialised)`);
        this.chipHung = true;
        this.o.rig({ type: 'chip', position, dead: true });
      });
    }
  }

  /** Cancels what is planned, waits for running transitions, and puts every pool back healthy. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await Promise.all(this.pending);
    this.o.rig({ type: 'line', dropByteRate: 0, flipByteRate: 0 });
    for (const slot of this.o.slots) if (slot.mode !== 'healthy') await slot.set('healthy');
  }

  private newBlocks(): void {
    for (const slot of this.o.slots) slot.newBlock();
  }

  private poolFault(modes: readonly SlotMode[]): void {
    const healthy = this.o.slots.filter((s) => s.mode === 'healthy');
    if (healthy.length < 2) return;
    const current = healthy.find((s) => s.url === this.o.currentPool());
    // Mostly hit the pool the rig is on: that is where a fault costs work.
    const slot =
      current !== undefined && this.o.random() < 0.7
        ? current
        : healthy[Math.floor(this.o.random() * healthy.length)];
    const mode = modes[Math.floor(this.o.random() * modes.length)];
    if (slot === undefined || mode === undefined) return;
    const lasts = (5_000 + this.o.random() * 10_000) / (this.o.pace ?? 1);
    this.o.log(
      `pool ${slot.name}: ${mode === 'down' ? 'killed' : `hostile (${mode as HostileClass})`} for ${(lasts / 1000).toFixed(1)} s`,
    );
    this.track(slot.set(mode));
    this.after(lasts, () => {
      this.o.log(`pool ${slot.name}: restarted healthy`);
      this.track(slot.set('healthy'));
    });
  }

  private lineFault(): void {
    const dropByteRate = 0.0005 + this.o.random() * 0.002;
    const flipByteRate = 0.0005 + this.o.random() * 0.002;
    const lasts = 3_000 + this.o.random() * 6_000;
    this.o.log(
      `UART: dropping ${(dropByteRate * 100).toFixed(2)} % and flipping ${(flipByteRate * 100).toFixed(2)} % of reply bytes for ${(lasts / 1000).toFixed(1)} s`,
    );
    this.o.rig({ type: 'line', dropByteRate, flipByteRate });
    this.after(lasts, () => this.o.rig({ type: 'line', dropByteRate: 0, flipByteRate: 0 }));
  }

  private every(minMs: number, maxMs: number, action: () => void): void {
    this.after(minMs + this.o.random() * (maxMs - minMs), () => {
      action();
      this.every(minMs, maxMs, action);
    });
  }

  private after(ms: number, action: () => void): void {
    if (this.stopped) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.stopped) action();
    }, ms);
    this.timers.add(t);
  }

  private track(p: Promise<void>): void {
    const tracked = p.catch((error: unknown) => this.o.log(`pool transition failed: ${String(error)}`));
    this.pending.add(tracked);
    void tracked.finally(() => this.pending.delete(tracked));
  }
}
