/**
 * Hashrate and sensor history for /api/system/statistics (ESP-Miner openapi SystemStatistics:
 * {currentTimestamp, labels[], statistics[[...]]}, column names from its `columns` example):
 * a fixed ring of samples taken from snapshots every few seconds. Timestamps are milliseconds
 * since the rig started, as ESP-Miner's are milliseconds since boot; `timestamp` is the last column.
 */
import type { RigSnapshot } from './snapshot.js';

interface HistorySample {
  readonly uptimeMs: number;
  /** Column name -> value (GH/s for hashrates, as AxeOS charts expect). */
  readonly values: Readonly<Record<string, number>>;
}

interface StatisticsReply {
  readonly currentTimestamp: number;
  readonly labels: string[];
  readonly statistics: number[][];
}

/** Columns served when the client names none; per-chain `hashrate_chain<N>` columns follow. */
const DEFAULT_COLUMNS = [
  'hashrate',
  'hashrate_1m',
  'asicTemp',
  'vrTemp',
  'fanSpeed',
  'fanRpm',
  'responseTime',
];
/** ESP-Miner's dashboard endpoint serves a fixed short set. */
export const DASHBOARD_COLUMNS = ['hashrate', 'asicTemp', 'vrTemp', 'power'];

const GH = 1e9;

function sampleValues(s: RigSnapshot): Record<string, number> {
  const active = s.pools.find((p) => p.active);
  const values: Record<string, number> = {
    hashrate: s.hashrate.h5s / GH,
    hashrate_1m: s.hashrate.h1m / GH,
    hashrate_10m: s.hashrate.h10m / GH,
    hashrate_1h: s.hashrate.h1h / GH,
    asicTemp: s.temperatures.chipC ?? 0,
    vrTemp: s.temperatures.boardC ?? 0,
    asicVoltage: s.coreVoltageMv ?? 0,
    voltage: 0,
    power: 0,
    current: 0,
    fanSpeed: s.fan.dutyPercent ?? s.fan.speedPercent,
    fanRpm: s.fan.rpm ?? 0,
    fan2Rpm: 0,
    wifiRssi: 0,
    freeHeap: 0,
    responseTime: active?.lastRoundTripMs ?? 0,
  };
  for (const chain of s.chains) values[`hashrate_chain${chain.index}`] = chain.hashrate.h5s / GH;
  return values;
}

export class HashrateHistory {
  readonly capacity: number;
  readonly #ring: HistorySample[] = [];
  #next = 0;

  constructor(capacity = 720) {
    this.capacity = capacity;
  }

  get length(): number {
    return this.#ring.length;
  }

  record(snapshot: RigSnapshot): void {
    const sample: HistorySample = {
      uptimeMs: Math.round(snapshot.uptimeS * 1000),
      values: sampleValues(snapshot),
    };
    if (this.#ring.length < this.capacity) this.#ring.push(sample);
    else this.#ring[this.#next] = sample;
    this.#next = (this.#next + 1) % this.capacity;
  }

  /** Samples oldest first. */
  samples(): HistorySample[] {
    if (this.#ring.length < this.capacity) return [...this.#ring];
    return [...this.#ring.slice(this.#next), ...this.#ring.slice(0, this.#next)];
  }

  /** `columns` null = defaults plus every chain column seen; unknown names are dropped. */
  statistics(columns: readonly string[] | null, currentUptimeMs: number): StatisticsReply {
    const samples = this.samples();
    const known = new Set(samples.flatMap((s) => Object.keys(s.values)));
    const wanted = columns ?? [
      ...DEFAULT_COLUMNS,
      ...[...known].filter((c) => c.startsWith('hashrate_chain')).sort(),
    ];
    const labels = wanted.filter(
      (c) => known.has(c) || DEFAULT_COLUMNS.includes(c) || DASHBOARD_COLUMNS.includes(c),
    );
    return {
      currentTimestamp: currentUptimeMs,
      labels: [...labels, 'timestamp'],
      statistics: samples.map((s) => [...labels.map((c) => round(s.values[c] ?? 0)), s.uptimeMs]),
    };
  }
}

/**
 * Six significant digits, as axeos.ts serves hashRate: three fixed decimals of GH/s turned a
 * CPU-simulated board's 0.00025 GH/s into a flat zero line on the chart.
 */
function round(value: number): number {
  return Number.isFinite(value) ? Number(value.toPrecision(6)) : 0;
}
