/**
 * The read-only picture of a running rig that every monitoring surface serves (AxeOS REST,
 * cgminer :4028, Prometheus, the dashboard), and the narrow control surface they may call.
 * Plain data: no references back into drivers or sockets, so an API can never disturb mining
 * by holding on to state. Units are in the field names where they are not obvious.
 */

export interface HashrateFigures {
  /** Hashes per second over each window (0 while a window has no data yet). */
  readonly h5s: number;
  readonly h1m: number;
  readonly h10m: number;
  readonly h1h: number;
}

export interface ChipSnapshot {
  readonly chain: number;
  readonly index: number;
  readonly address: number;
  readonly hashrate: HashrateFigures;
  readonly nonces: number;
  readonly hardwareErrors: number;
  readonly stale: number;
  readonly crcErrors: number;
  /** Seconds since the chip last returned a nonce, or null if never. */
  readonly lastNonceAgeS: number | null;
  /**
   * Returned work against what the chip should return at its frequency and difficulty, over the
   * last judged window (src/work/chip-health.ts): 'unknown' before one.
   */
  readonly health: 'unknown' | 'ok' | 'weak' | 'silent';
}

export interface ChainSnapshot {
  readonly index: number;
  readonly chipModel: string;
  readonly chipCount: number;
  readonly frequencyMhz: number;
  readonly hashrate: HashrateFigures;
  readonly nominalHashrate: number;
  readonly nonces: number;
  readonly hardwareErrors: number;
  readonly stale: number;
  readonly crcErrors: number;
  /** UART bytes the reply parser skipped because they began no valid reply (noise, lost bytes). */
  readonly uartJunkBytes: number;
  readonly jobsSent: number;
  readonly state: 'initialising' | 'mining' | 'failed' | 'stopped' | 'recovering' | 'disabled';
  readonly temperatureC: number | null;
  /** Re-initialisations by flatline recovery (chain-recovery.ts), in all and by reason. */
  readonly recoveries: number;
  readonly recoveriesByReason: Readonly<Record<'flatline' | 'chip-silent' | 'chip-weak', number>>;
  /** Re-initialisations that failed (bring-up refused, or still flatlined after it). */
  readonly recoveryFailures: number;
  /** Why the chain was last re-initialised or last failed, or null. */
  readonly lastRecoveryReason: string | null;
}

export type SnapshotPoolState =
  | 'idle'
  | 'connecting'
  | 'handshake'
  | 'setup'
  | 'open'
  | 'mining'
  | 'backoff'
  | 'dead'
  | 'disabled';

export interface PoolSnapshot {
  readonly index: number;
  /** The configured URL including the authority key (public), never a password. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly priority: number;
  readonly enabled: boolean;
  readonly active: boolean;
  readonly state: SnapshotPoolState;
  readonly authorityKey: string | null;
  readonly insecure: boolean;
  readonly accepted: number;
  readonly rejected: number;
  readonly stale: number;
  readonly rejectReasons: Readonly<Record<string, number>>;
  readonly acceptedDifficulty: number;
  readonly rejectedDifficulty: number;
  readonly lastShareAt: number | null;
  readonly lastShareDifficulty: number;
  /** Current share difficulty the pool asked for (from the channel target). */
  readonly difficulty: number;
  readonly handshakeMs: number | null;
  readonly lastRoundTripMs: number | null;
  readonly connectFailures: number;
  readonly lastError: string | null;
  /** Submitted, never answered: the connection ended (or the ledger overflowed) first. */
  readonly lostInFlight: number;
  /** Protocol violations the pool committed, by kind (src/upstream/pool-health.ts). */
  readonly violations: Readonly<Record<string, number>>;
}

export interface RigSnapshot {
  readonly version: string;
  readonly hostname: string;
  readonly board: { readonly id: string; readonly description: string; readonly simulated: boolean };
  readonly chipModel: string;
  readonly chipCount: number;
  readonly smallCoreCount: number;
  readonly frequencyMhz: number;
  readonly defaultFrequencyMhz: number;
  readonly frequencyOptionsMhz: readonly number[];
  readonly chipDifficulty: number;
  readonly startedAt: number;
  readonly uptimeS: number;
  readonly paused: boolean;
  readonly hashrate: HashrateFigures;
  readonly expectedHashrate: number;
  readonly chains: readonly ChainSnapshot[];
  readonly chips: readonly ChipSnapshot[];
  readonly pools: readonly PoolSnapshot[];
  readonly activePoolIndex: number | null;
  readonly shares: {
    readonly accepted: number;
    readonly rejected: number;
    readonly stale: number;
    readonly rejectReasons: Readonly<Record<string, number>>;
    /** Submitted shares never answered (connection died, Reconnect, failover, close, overflow). */
    readonly lostInFlight: number;
  };
  readonly nonces: number;
  readonly hardwareErrors: number;
  readonly bestDifficulty: { readonly session: number; readonly allTime: number };
  readonly temperatures: { readonly chipC: number | null; readonly boardC: number | null };
  /**
   * The operator's fan settings (auto, the fixed speedPercent, minPercent, targetC) and what the
   * fan is doing: dutyPercent as last decided (null before the first sample), rpm from the tach,
   * stalled when the tach reads 0 while driven. The optional fields are absent on older sources.
   */
  readonly fan: {
    readonly auto: boolean;
    readonly speedPercent: number;
    readonly rpm: number | null;
    readonly minPercent?: number;
    readonly targetC?: number;
    readonly dutyPercent?: number | null;
    readonly stalled?: boolean;
  };
  /** The overheat/fault latch (AxeOS overheat_mode): why it tripped and what it waits for. */
  readonly overheat?: {
    readonly latched: boolean;
    readonly reason: string | null;
    readonly since: string | null;
    readonly cleared: boolean;
    readonly trips: number;
    readonly waitingFor: string | null;
  };
  readonly jobSwitchLatencyMs: readonly number[];
  readonly network: { readonly blockHeight: number | null; readonly nbits: number | null };
  /**
   * Configured core voltage in millivolts, where the board can set or report one (AxeOS
   * coreVoltage / defaultVoltage). Optional: simulated and fixed-voltage boards leave it out.
   */
  readonly coreVoltageMv?: number | null;
  /** The regulator faults that stopped hashing (named as drivers/power/pmbus.ts names them), until resumed. */
  readonly powerFaults?: readonly string[];
  /** The core regulator's last readings (TPS546 boards), null until the first or after a failure. */
  readonly power?: {
    readonly inputV: number;
    readonly outputA: number;
    readonly outputV: number;
    readonly coreMv: number;
    readonly regulatorC: number;
  } | null;
}

/** Settings a client may change at run time (validated like the config file, persisted to local config). */
export interface SettingsPatch {
  readonly pools?: readonly {
    readonly url: string;
    readonly user: string;
    readonly password?: string;
    readonly insecure?: boolean;
  }[];
  readonly frequencyMhz?: number;
  /** Millivolts per chip (AxeOS `coreVoltage`). */
  readonly coreVoltage?: number;
  readonly fan?: {
    readonly auto?: boolean;
    readonly speedPercent?: number;
    readonly minPercent?: number;
    readonly targetC?: number;
  };
  /** The operator's clear of the overheat latch (AxeOS `overheat_mode: 0`). */
  readonly overheatClear?: true;
}

export interface RigControl {
  snapshot(): RigSnapshot;
  pause(): Promise<void>;
  resume(): Promise<void>;
  /** Restart mining in-process (chains re-initialised, pools reconnected). */
  restart(): Promise<void>;
  /** Validate, apply and persist; rejects with a ConfigError naming the bad field. */
  applySettings(patch: SettingsPatch): Promise<void>;
  switchPool(index: number): Promise<void>;
  setPoolEnabled(index: number, enabled: boolean): Promise<void>;
  addPool(pool: { url: string; user: string; password?: string }): Promise<void>;
  removePool(index: number): Promise<void>;
  /** Recent log lines (newest last) and a subscription for new ones. */
  recentLogs(): readonly string[];
  onLog(listener: (line: string) => void): () => void;
  /** Called after every status change worth pushing to live views (throttled by the caller). */
  onStatus(listener: (snapshot: RigSnapshot) => void): () => void;
}
