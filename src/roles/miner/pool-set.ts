/**
 * The daemon's view of its pools: the configured list with enabled flags and a preferred pool,
 * the PoolClient (src/upstream/client.ts) serving the enabled ones in that order, and the per-pool
 * PoolSnapshot rows the APIs serve (managed-pool.ts). Editing the list (switch, enable, add, remove) rebuilds the
 * client: a clean reconnect whose first job flushes the chips. Counters survive a rebuild. Once
 * closed (daemon stopped), the snapshot still names the pool mined on last, as active, with the
 * last figures its client showed: the `run --for` summary is taken after the ordered stop.
 */
import type { PoolSnapshot } from '../../api/snapshot.js';
import type { SubmitOutcome } from '../../channels/client/channel-set.js';
import { addCounters } from '../../channels/client/counters.js';
import type { PoolConfig } from '../../config/schema.js';
import { type Logger, silentLog } from '../../log.js';
import { PoolClient, type PoolClientOptions } from '../../upstream/client.js';
import { addViolations } from '../../upstream/pool-health.js';
import type { PoolClientStatus } from '../../upstream/status.js';
import type { Job, Share } from '../../work/job.js';
import { type ManagedPool, managedPool, poolSnapshot } from './managed-pool.js';

interface PoolSetOptions {
  readonly pools: readonly PoolConfig[];
  readonly client: Omit<PoolClientOptions, 'pools'>;
  readonly onJob: (job: Job) => void;
  /** Called whenever the pool loop shows progress (a job, a state change, a share answer). */
  readonly onProgress?: () => void;
  readonly log?: Logger;
}

export class PoolSet {
  private readonly o: PoolSetOptions;
  private readonly log: Logger;
  private pools: ManagedPool[];
  private preferred: number | undefined;
  private client: PoolClient | undefined;
  /** client pool index -> managed pool index. */
  private order: number[] = [];
  private closed = false;
  /** The pool whose job last reached the rig: "the pool mined on" once nothing is active. */
  private lastActive: ManagedPool | undefined;

  constructor(options: PoolSetOptions) {
    this.o = options;
    this.log = options.log ?? silentLog;
    // Lower priority first; equal priorities keep their listed order (Array.sort is stable).
    const sorted = [...options.pools].sort((a, b) => (a.priority ?? 0) - (b.priority ?? 0));
    this.pools = sorted.map((config) => managedPool(config));
  }

  start(): void {
    if (this.closed || this.client !== undefined) return;
    this.order = this.pools
      .map((_, i) => i)
      .filter((i) => this.pools[i]?.enabled === true)
      .sort((a, b) => (a === this.preferred ? -1 : b === this.preferred ? 1 : a - b));
    if (this.order.length === 0) {
      this.log.warn('no enabled pool: not mining');
      return;
    }
    const entries = this.order.map((i) => {
      const c = this.pools[i]?.config;
      if (c === undefined) throw new RangeError(`pool ${i} vanished`);
      return {
        url: c.url,
        user: c.user,
        ...(c.insecure === undefined ? {} : { insecure: c.insecure }),
        ...(c.channel === undefined ? {} : { channel: c.channel }),
      };
    });
    const client = new PoolClient({ ...this.o.client, pools: entries });
    client.onJob((job) => {
      const clientIndex = client.status().pools.findIndex((p) => p.url === job.pool);
      this.lastActive = this.pools[this.order[clientIndex] ?? -1] ?? this.lastActive;
      this.o.onProgress?.();
      this.o.onJob(job);
    });
    this.client = client;
    client.start();
  }

  /** Hands a share to the pool whose job it solves (stale if that session is gone). */
  submit(share: Share): SubmitOutcome {
    const client = this.client;
    if (client === undefined) return { kind: 'stale', reason: 'connection-down' };
    const outcome = client.submit(share);
    if (outcome.kind === 'submitted') {
      const pool = this.pools[this.order[this.activeClientIndex(client.status()) ?? -1] ?? -1];
      if (pool !== undefined) pool.lastShareAt = Date.now();
    }
    return outcome;
  }

  reportHashrate(hashrate: number): void {
    this.client?.reportHashrate(hashrate);
  }

  status(): PoolClientStatus | undefined {
    return this.client?.status();
  }

  /** True when the active pool's session is mining. */
  mining(): boolean {
    const status = this.client?.status();
    return status?.pools.some((p) => p.url === status.currentPool && p.state === 'mining') === true;
  }

  /** Watches state changes (for progress and connect-failure counts); call every second or so. */
  poll(): void {
    const status = this.client?.status();
    if (status === undefined) return;
    status.pools.forEach((p, clientIndex) => {
      const pool = this.pools[this.order[clientIndex] ?? -1];
      if (pool === undefined || pool.lastState === p.state) return;
      if (p.state === 'backoff') pool.connectFailures++;
      pool.lastState = p.state;
      this.o.onProgress?.();
    });
  }

  snapshot(): PoolSnapshot[] {
    const status = this.client?.status();
    const activeIndex = this.activeIndex(status);
    return this.pools.map((pool, index) => {
      const clientIndex = this.order.indexOf(index);
      const live = clientIndex < 0 ? undefined : status?.pools[clientIndex];
      const shown = live ?? (this.closed ? pool.lastStatus : undefined);
      return poolSnapshot(pool, index, live, shown, activeIndex === index);
    });
  }

  /**
   * The pool the rig is connected to; after close(), the pool it mined on last (so the summary
   * taken after the ordered stop still names it). Null while no session runs, or if none ever did.
   */
  activeIndex(status: PoolClientStatus | undefined = this.client?.status()): number | null {
    if (this.closed) {
      const last = this.lastActive === undefined ? -1 : this.pools.indexOf(this.lastActive);
      return last < 0 ? null : last;
    }
    const active = status === undefined ? undefined : this.activeClientIndex(status);
    return active === undefined ? null : (this.order[active] ?? null);
  }

  configs(): PoolConfig[] {
    return this.pools.map((p) => p.config);
  }

  async switchTo(index: number): Promise<void> {
    this.require(index);
    this.preferred = index;
    const pool = this.pools[index];
    if (pool !== undefined) pool.enabled = true;
    await this.rebuild();
  }

  async setEnabled(index: number, enabled: boolean): Promise<void> {
    const pool = this.require(index);
    if (pool.enabled === enabled) return;
    pool.enabled = enabled;
    await this.rebuild();
  }

  async add(config: PoolConfig): Promise<void> {
    this.pools.push(managedPool(config));
    await this.rebuild();
  }

  async remove(index: number): Promise<void> {
    this.require(index);
    this.pools.splice(index, 1);
    if (this.preferred === index) this.preferred = undefined;
    else if (this.preferred !== undefined && this.preferred > index) this.preferred--;
    await this.rebuild();
  }

  /** A whole new list (settings patch); counters of pools kept by URL carry over. */
  async replace(configs: readonly PoolConfig[]): Promise<void> {
    // Stop first: the closing client's counters fold into pools by the old order.
    await this.stopClient();
    const byUrl = new Map(this.pools.map((p) => [p.config.url, p]));
    this.pools = configs.map((config) => {
      const old = byUrl.get(config.url);
      if (old === undefined) return managedPool(config);
      const kept = { ...old, config, enabled: true };
      if (old === this.lastActive) this.lastActive = kept;
      return kept;
    });
    this.preferred = undefined;
    this.start();
  }

  /** Close and reconnect (restart). */
  async rebuild(): Promise<void> {
    await this.stopClient();
    this.start();
  }

  /** CloseChannel + close on the live session; no reconnect afterwards. */
  async close(): Promise<void> {
    this.closed = true;
    await this.stopClient();
  }

  private async stopClient(): Promise<void> {
    const client = this.client;
    if (client === undefined) return;
    this.client = undefined;
    // Channels (and so the difficulty) are gone once the sessions closed: keep what they showed.
    const before = client.status();
    await client.close();
    // Fold the closed client's counters into the pools they belong to.
    client.status().pools.forEach((p, clientIndex) => {
      const pool = this.pools[this.order[clientIndex] ?? -1];
      if (pool === undefined) return;
      pool.retired = addCounters(pool.retired, p.counters);
      pool.retiredViolations = addViolations(pool.retiredViolations, p.violations);
      const shown = before.pools[clientIndex];
      pool.lastStatus = { ...p, channels: shown?.channels ?? p.channels };
    });
    this.order = [];
  }

  private activeClientIndex(status: PoolClientStatus): number | undefined {
    const i = status.pools.findIndex((p) => p.url === status.currentPool);
    return i < 0 ? undefined : i;
  }

  private require(index: number): ManagedPool {
    const pool = Number.isInteger(index) ? this.pools[index] : undefined;
    if (pool === undefined)
      throw new RangeError(`no pool ${index}: pools are numbered 0..${this.pools.length - 1}`);
    return pool;
  }
}
