/**
 * One pool address of the campaign: a fixed loopback port and authority key behind which the
 * campaign puts a healthy local pool (src/pool-server, real Noise and share validation), a hostile
 * pool (hostile-pool.ts), or nothing (killed). The books the pools keep live here, across every
 * restart: accepted shares, duplicates by header hash, and shares for an old prev hash that
 * arrived after the switch had long gone out.
 */
import { encodeAuthorityPublicKey } from '../../src/noise/authority-key.js';
import { randomSecret, xonlyPublicKey } from '../../src/noise/ellswift.js';
import { type LocalPool, startLocalPool } from '../../src/pool-server/local-pool.js';
import type { PoolShareEvent } from '../../src/pool-server/pool-options.js';
import { type HostileClass, type HostilePool, startHostilePool } from './hostile-pool.js';

export type SlotMode = 'healthy' | 'down' | HostileClass;

/**
 * A share for the old prev hash may cross SetNewPrevHash on the wire (sent before the miner read
 * the switch). One that arrives later than this after the switch went out was sent after it.
 */
export const STALE_GRACE_MS = 500;

export interface SlotBooks {
  accepted: number;
  rejected: Record<string, number>;
  duplicates: number;
  /** Old-prev-hash shares arriving later than STALE_GRACE_MS after the switch. */
  staleAfterSwitch: number;
  /** The latest any old-prev-hash share arrived after its switch, ms. */
  maxStaleLatenessMs: number;
  switches: number;
  restarts: number;
}

export interface SlotOptions {
  readonly name: string;
  readonly port: number;
  /** Share difficulty every channel gets (fixed: vardiff would hide the rig's share rate). */
  readonly difficulty: number;
  readonly random: () => number;
}

export class PoolSlot {
  readonly name: string;
  readonly port: number;
  readonly authoritySecret = randomSecret();
  readonly staticSecret = randomSecret();
  readonly books: SlotBooks = {
    accepted: 0,
    rejected: {},
    duplicates: 0,
    staleAfterSwitch: 0,
    maxStaleLatenessMs: 0,
    switches: 0,
    restarts: 0,
  };
  private readonly options: SlotOptions;
  private readonly seenHashes = new Set<string>();
  private healthy: LocalPool | undefined;
  private hostile: HostilePool | undefined;
  private lastSwitchAt = 0;
  private currentMode: SlotMode = 'down';

  constructor(options: SlotOptions) {
    this.options = options;
    this.name = options.name;
    this.port = options.port;
  }

  /** stratum2+tcp://127.0.0.1:port/<authority key>: the same whatever runs behind it. */
  get url(): string {
    const key = encodeAuthorityPublicKey(xonlyPublicKey(this.authoritySecret));
    return `stratum2+tcp://127.0.0.1:${this.port}/${key}`;
  }

  get mode(): SlotMode {
    return this.currentMode;
  }

  /** Puts `mode` behind the port, replacing whatever ran there. */
  async set(mode: SlotMode): Promise<void> {
    await this.stop();
    if (mode === 'healthy') {
      this.healthy = await startLocalPool({
        host: '127.0.0.1',
        port: this.port,
        authoritySecretKey: this.authoritySecret,
        staticSecretKey: this.staticSecret,
        initialDifficulty: this.options.difficulty,
        jobIntervalMs: 5_000,
        // The campaign changes prev hashes itself (newBlock), so it knows when each switch went out.
        blockIntervalMs: 0,
        vardiffIntervalMs: 0,
        advanceOnBlockFound: false,
        onShare: (e) => this.judge(e),
      });
      this.lastSwitchAt = performance.now();
      this.books.restarts++;
    } else if (mode !== 'down') {
      this.hostile = await startHostilePool({
        port: this.port,
        authoritySecret: this.authoritySecret,
        staticSecret: this.staticSecret,
        behaviour: mode,
        random: this.options.random,
      });
    }
    this.currentMode = mode;
  }

  /** A new block on a healthy pool: SetNewPrevHash on every channel. False when not healthy. */
  newBlock(): boolean {
    if (this.healthy === undefined) return false;
    this.lastSwitchAt = performance.now();
    this.healthy.newBlock();
    this.books.switches++;
    return true;
  }

  /** Hostile handshakes so far in the current hostile mode (a Reconnect loop counts up fast). */
  hostileConnections(): number {
    return this.hostile?.connections() ?? 0;
  }

  async stop(): Promise<void> {
    const healthy = this.healthy;
    const hostile = this.hostile;
    this.healthy = undefined;
    this.hostile = undefined;
    this.currentMode = 'down';
    await healthy?.close();
    await hostile?.close();
  }

  private judge(e: PoolShareEvent): void {
    const o = e.outcome;
    if (o.kind === 'accepted') {
      this.books.accepted++;
      const key = Buffer.from(o.hash).toString('hex');
      if (this.seenHashes.has(key)) this.books.duplicates++;
      this.seenHashes.add(key);
      return;
    }
    this.books.rejected[o.code] = (this.books.rejected[o.code] ?? 0) + 1;
    if (o.code === 'duplicate-share') this.books.duplicates++;
    if (o.code === 'stale-share') {
      const late = performance.now() - this.lastSwitchAt;
      this.books.maxStaleLatenessMs = Math.max(this.books.maxStaleLatenessMs, late);
      if (late > STALE_GRACE_MS) this.books.staleAfterSwitch++;
    }
  }
}
