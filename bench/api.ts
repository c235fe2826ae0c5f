/**
 * Monitoring API costs: building /api/system/info and the Prometheus page from a snapshot of a
 * 64-chip rig (what every poll pays), and a full cgminer `summary` round trip on loopback.
 * The rig control is a stub returning one fixed snapshot; no mining runs.
 */

import { connect } from 'node:net';
import { systemInfo } from '../src/api/axeos.js';
import { startCgminerServer } from '../src/api/cgminer.js';
import { renderMetrics } from '../src/api/metrics.js';
import type { RigControl, RigSnapshot } from '../src/api/snapshot.js';
import { silentLog } from '../src/log.js';
import { parseAllowList } from '../src/net/cidr.js';
import { type BenchLine, opsPerSecond, percentile } from './lib.js';

const CHIPS_PER_CHAIN = 16;
const CHAINS = 4;

export function benchSnapshot(): RigSnapshot {
  const rate = (h: number) => ({ h5s: h, h1m: h, h10m: h, h1h: h });
  return {
    version: 'bench',
    hostname: 'bench',
    board: { id: 'bench', description: 'bench rig', simulated: true },
    chipModel: 'BM1370',
    chipCount: CHAINS * CHIPS_PER_CHAIN,
    smallCoreCount: 2040,
    frequencyMhz: 525,
    defaultFrequencyMhz: 525,
    frequencyOptionsMhz: [525],
    chipDifficulty: 256,
    startedAt: 0,
    uptimeS: 1000,
    paused: false,
    hashrate: rate(64e12),
    expectedHashrate: 64e12,
    chains: Array.from({ length: CHAINS }, (_, index) => ({
      index,
      chipModel: 'BM1370',
      chipCount: CHIPS_PER_CHAIN,
      frequencyMhz: 525,
      hashrate: rate(16e12),
      nominalHashrate: 16e12,
      nonces: 1e6,
      hardwareErrors: 3,
      stale: 0,
      crcErrors: 1,
      uartJunkBytes: 0,
      jobsSent: 1e4,
      state: 'mining' as const,
      temperatureC: 60,
      recoveries: 0,
      recoveriesByReason: { flatline: 0, 'chip-silent': 0, 'chip-weak': 0 },
      recoveryFailures: 0,
      lastRecoveryReason: null,
    })),
    chips: Array.from({ length: CHAINS * CHIPS_PER_CHAIN }, (_, i) => ({
      chain: Math.floor(i / CHIPS_PER_CHAIN),
      index: i % CHIPS_PER_CHAIN,
      address: (i % CHIPS_PER_CHAIN) * 4,
      hashrate: rate(1e12),
      nonces: 15000,
      hardwareErrors: 0,
      stale: 0,
      crcErrors: 0,
      lastNonceAgeS: 0.5,
      health: 'ok' as const,
    })),
    pools: [],
    activePoolIndex: null,
    shares: { accepted: 100, rejected: 1, stale: 0, rejectReasons: { 'stale-share': 1 }, lostInFlight: 0 },
    nonces: 4e6,
    hardwareErrors: 12,
    bestDifficulty: { session: 1e6, allTime: 1e7 },
    temperatures: { chipC: 60, boardC: 50 },
    fan: { auto: true, speedPercent: 50, rpm: 3000 },
    jobSwitchLatencyMs: Array.from({ length: 100 }, (_, i) => i / 10),
    network: { blockHeight: 850000, nbits: 0x17034219 },
  };
}

export async function run(): Promise<BenchLine[]> {
  const snap = benchSnapshot();
  const host = { macAddr: '00:11:22:33:44:55', ipv4: '127.0.0.1' };
  const lines: BenchLine[] = [
    {
      name: 'api_system_info_build',
      value: opsPerSecond(() => JSON.stringify(systemInfo(snap, host))),
      unit: 'ops/s',
    },
    { name: 'api_metrics_render_64_chips', value: opsPerSecond(() => renderMetrics(snap)), unit: 'ops/s' },
  ];
  const control = { snapshot: () => snap } as unknown as RigControl;
  const server = await startCgminerServer({
    control,
    allow: parseAllowList([]),
    token: '',
    log: silentLog,
    host: '127.0.0.1',
    port: 0,
  });
  const samples: number[] = [];
  for (let i = 0; i < 300; i++) {
    const start = performance.now();
    await new Promise<void>((resolve, reject) => {
      const socket = connect({ port: server.port, host: '127.0.0.1' }, () =>
        socket.write('{"command":"summary"}'),
      );
      socket.on('data', () => {});
      socket.on('end', () => resolve());
      socket.on('error', reject);
    });
    samples.push(performance.now() - start);
  }
  await server.close();
  lines.push({ name: 'api_cgminer_summary_roundtrip_p50', value: percentile(samples, 50), unit: 'ms' });
  lines.push({ name: 'api_cgminer_summary_roundtrip_p99', value: percentile(samples, 99), unit: 'ms' });
  return lines;
}
