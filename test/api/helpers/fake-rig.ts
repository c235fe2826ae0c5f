/**
 * A fake RigControl for the API tests: a realistic two-chain BM1370 rig (numbers in the ranges a
 * real Gamma-class board shows) whose state the tests can change, recording every control call.
 * It also holds secrets (a pool password, an authority secret key) the way the daemon does, so
 * the tests can prove no response ever carries them.
 */

import type { PoolSnapshot, RigControl, RigSnapshot, SettingsPatch } from '../../../src/api/snapshot.js';
import { ConfigError } from '../../../src/errors.js';

export const SECRETS = {
  poolPassword: 'pw-Sup3rSecret-hunter2',
  authoritySecretKey: 'secretkey-7f3a9c1e55d0b2a4c6e8f0a1b3c5d7e9f1a3b5c7d9e1f3a5b7c9d1e3f5a7b9c1',
};

export const AUTHORITY_PUBKEY = '9bDuixKmZqAJnrmP746n8zU1wyAQRrus7th9dxnkPg6RzQvCnan';

type ControlCall =
  | { kind: 'pause' | 'resume' | 'restart' }
  | { kind: 'applySettings'; patch: SettingsPatch }
  | { kind: 'switchPool'; index: number }
  | { kind: 'setPoolEnabled'; index: number; enabled: boolean }
  | { kind: 'addPool'; pool: { url: string; user: string; password?: string } }
  | { kind: 'removePool'; index: number };

const GHS = 1e9;

function pool(index: number, host: string, active: boolean): PoolSnapshot {
  return {
    index,
    url: `stratum2+tcp://${host}:34254/${AUTHORITY_PUBKEY}`,
    host,
    port: 34254,
    user: `bc1qworker.rig${index}`,
    priority: index,
    enabled: true,
    active,
    state: active ? 'mining' : 'idle',
    authorityKey: AUTHORITY_PUBKEY,
    insecure: false,
    accepted: active ? 42 : 0,
    rejected: active ? 3 : 0,
    stale: active ? 1 : 0,
    rejectReasons: active ? { 'invalid-job-id': 2, 'stale-share': 1 } : {},
    acceptedDifficulty: active ? 42 * 4096 : 0,
    rejectedDifficulty: active ? 3 * 4096 : 0,
    lastShareAt: active ? 1_700_000_000_000 : null,
    lastShareDifficulty: active ? 4096 : 0,
    difficulty: 4096,
    handshakeMs: active ? 12.5 : null,
    lastRoundTripMs: active ? 38 : null,
    connectFailures: active ? 0 : 2,
    lastError: null,
    lostInFlight: active ? 2 : 0,
    violations: active ? { 'unknown-channel': 4 } : {},
  };
}

export function sampleSnapshot(): RigSnapshot {
  const rate = (h: number) => ({ h5s: h * 1.02, h1m: h, h10m: h * 0.99, h1h: h * 0.98 });
  const chips = [0, 1].flatMap((chain) =>
    [0, 1].map((index) => ({
      chain,
      index,
      address: index * 2,
      hashrate: rate((1.05 + 0.01 * index) * 1000 * GHS),
      nonces: 1000 + 10 * index + chain,
      hardwareErrors: index,
      stale: 0,
      crcErrors: chain,
      lastNonceAgeS: 1.5,
      health: chain === 1 && index === 1 ? ('silent' as const) : ('ok' as const),
    })),
  );
  return {
    version: '0.1.0',
    hostname: 'rig-test-01',
    board: { id: 'sim-bm1370-chain', description: 'Simulated BM1370 chain', simulated: true },
    chipModel: 'BM1370',
    chipCount: 4,
    smallCoreCount: 2040,
    frequencyMhz: 525,
    defaultFrequencyMhz: 525,
    frequencyOptionsMhz: [400, 490, 525, 575, 600],
    chipDifficulty: 256,
    startedAt: 1_700_000_000_000 - 3_600_000,
    uptimeS: 3600.4,
    paused: false,
    hashrate: rate(4.22 * 1000 * GHS),
    expectedHashrate: 4 * 2040 * 525 * 1e6,
    chains: [0, 1].map((index) => ({
      index,
      chipModel: 'BM1370',
      chipCount: 2,
      frequencyMhz: 525,
      hashrate: rate(2.11 * 1000 * GHS),
      nominalHashrate: 2 * 2040 * 525 * 1e6,
      nonces: 2000 + index,
      hardwareErrors: 1,
      stale: 0,
      crcErrors: index,
      uartJunkBytes: 7 + index * 100,
      jobsSent: 500,
      state: 'mining' as const,
      temperatureC: 55 + index,
      recoveries: index * 2,
      recoveriesByReason: { flatline: index, 'chip-silent': index, 'chip-weak': 0 },
      recoveryFailures: index,
      lastRecoveryReason: index === 1 ? 'chip-silent: chip 1 (0 of 40.0 expected) in 41 s' : null,
    })),
    chips,
    pools: [pool(0, 'pool.example.org', true), pool(1, 'backup.example.net', false)],
    activePoolIndex: 0,
    shares: {
      accepted: 42,
      rejected: 3,
      stale: 1,
      rejectReasons: { 'invalid-job-id': 2, 'stale-share': 1 },
      lostInFlight: 2,
    },
    nonces: 4001,
    hardwareErrors: 2,
    bestDifficulty: { session: 123456.5, allTime: 9876543 },
    temperatures: { chipC: 56.5, boardC: 48 },
    fan: { auto: true, speedPercent: 65, rpm: 4200 },
    jobSwitchLatencyMs: [0.8, 2, 4.5, 30, 120],
    network: { blockHeight: 850_000, nbits: 0x17034219 },
  };
}

export class FakeRig implements RigControl {
  state: RigSnapshot = sampleSnapshot();
  readonly calls: ControlCall[] = [];
  readonly logs: string[] = ['boot: sv2miner 0.1.0 starting', 'pool 0: channel open'];
  /** What the daemon would keep: passwords and keys live here, never in the snapshot. */
  readonly privateConfig = {
    pools: [{ password: SECRETS.poolPassword }],
    authoritySecretKey: SECRETS.authoritySecretKey,
  };
  readonly #logListeners = new Set<(line: string) => void>();
  readonly #statusListeners = new Set<(s: RigSnapshot) => void>();

  snapshot(): RigSnapshot {
    return this.state;
  }
  async pause(): Promise<void> {
    this.calls.push({ kind: 'pause' });
    this.update({ paused: true });
  }
  async resume(): Promise<void> {
    this.calls.push({ kind: 'resume' });
    this.update({ paused: false });
  }
  async restart(): Promise<void> {
    this.calls.push({ kind: 'restart' });
  }
  async applySettings(patch: SettingsPatch): Promise<void> {
    if (patch.frequencyMhz !== undefined && patch.frequencyMhz > 1000)
      throw new ConfigError('frequencyMhz', 'at most 1000 MHz for BM1370', String(patch.frequencyMhz));
    this.calls.push({ kind: 'applySettings', patch });
    if (patch.frequencyMhz !== undefined) this.update({ frequencyMhz: patch.frequencyMhz });
  }
  async switchPool(index: number): Promise<void> {
    this.calls.push({ kind: 'switchPool', index });
  }
  async setPoolEnabled(index: number, enabled: boolean): Promise<void> {
    this.calls.push({ kind: 'setPoolEnabled', index, enabled });
  }
  async addPool(p: { url: string; user: string; password?: string }): Promise<void> {
    this.calls.push({ kind: 'addPool', pool: p });
  }
  async removePool(index: number): Promise<void> {
    this.calls.push({ kind: 'removePool', index });
  }
  recentLogs(): readonly string[] {
    return this.logs;
  }
  onLog(listener: (line: string) => void): () => void {
    this.#logListeners.add(listener);
    return () => this.#logListeners.delete(listener);
  }
  onStatus(listener: (snapshot: RigSnapshot) => void): () => void {
    this.#statusListeners.add(listener);
    return () => this.#statusListeners.delete(listener);
  }

  emitLog(line: string): void {
    this.logs.push(line);
    for (const l of this.#logListeners) l(line);
  }
  update(change: Partial<RigSnapshot>): void {
    this.state = { ...this.state, ...change };
    for (const l of this.#statusListeners) l(this.state);
  }
  get listenerCount(): number {
    return this.#logListeners.size + this.#statusListeners.size;
  }
}
