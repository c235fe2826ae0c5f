/**
 * The row builders behind cgminer-replies.ts: SUMMARY, DEVS (one ASC per chain), POOLS and the
 * Bitmain-style STATS pair, from a RigSnapshot (monitoring.md §3c field lists). Hashrates in
 * MH/s for "MHS *" keys and GH/s for "GHS *" and chain_rate keys, as the tools read them. Pure.
 */
import type { Json } from './axeos.js';
import type { RigSnapshot } from './snapshot.js';

type Section = Record<string, Json>;

const MH = 1e6;
const GH = 1e9;
const r3 = (v: number) => Math.round(v * 1000) / 1000;
const pct = (part: number, whole: number) => (whole === 0 ? 0 : r3((100 * part) / whole));

export function summaryRow(s: RigSnapshot, now: number): Section {
  const elapsed = Math.floor(s.uptimeS);
  const minutes = Math.max(s.uptimeS / 60, 1 / 60);
  const av = s.hashrate.h1h > 0 ? s.hashrate.h1h : s.hashrate.h1m;
  const accDiff = sum(s.pools.map((p) => p.acceptedDifficulty));
  const rejDiff = sum(s.pools.map((p) => p.rejectedDifficulty));
  const total = s.shares.accepted + s.shares.rejected + s.shares.stale;
  const lastShare = Math.max(0, ...s.pools.map((p) => p.lastShareAt ?? 0));
  return {
    Elapsed: elapsed,
    'MHS av': r3(av / MH),
    'MHS 5s': r3(s.hashrate.h5s / MH),
    'MHS 1m': r3(s.hashrate.h1m / MH),
    // We keep 1 m, 10 m and 1 h windows; cgminer's 5 m and 15 m are served from the nearest.
    'MHS 5m': r3(s.hashrate.h1m / MH),
    'MHS 15m': r3(s.hashrate.h10m / MH),
    'GHS 5s': r3(s.hashrate.h5s / GH),
    'GHS av': r3(av / GH),
    'Found Blocks': 0,
    Getworks: sum(s.chains.map((c) => c.jobsSent)),
    Accepted: s.shares.accepted,
    Rejected: s.shares.rejected,
    'Hardware Errors': s.hardwareErrors,
    Utility: r3(s.shares.accepted / minutes),
    Discarded: 0,
    Stale: s.shares.stale,
    'Get Failures': sum(s.pools.map((p) => p.connectFailures)),
    'Local Work': s.nonces,
    'Remote Failures': 0,
    'Network Blocks': 0,
    'Total MH': r3((av * s.uptimeS) / MH),
    'Work Utility': r3((s.nonces * s.chipDifficulty) / minutes),
    'Difficulty Accepted': accDiff,
    'Difficulty Rejected': rejDiff,
    'Difficulty Stale': 0,
    'Best Share': s.bestDifficulty.session,
    'Device Hardware%': pct(s.hardwareErrors, s.nonces + s.hardwareErrors),
    'Device Rejected%': pct(rejDiff, accDiff + rejDiff),
    'Pool Rejected%': pct(s.shares.rejected, total),
    'Pool Stale%': pct(s.shares.stale, total),
    'Last getwork': lastShare > 0 ? Math.floor(lastShare / 1000) : Math.floor(now / 1000),
  };
}

/** cgminer's device statuses; a chain being re-initialised is 'Sick' until it mines again. */
function devStatus(state: RigSnapshot['chains'][number]['state']): string {
  switch (state) {
    case 'mining':
      return 'Alive';
    case 'initialising':
      return 'Initialising';
    case 'recovering':
      return 'Sick';
    default:
      return 'Dead';
  }
}

export function devRow(s: RigSnapshot, c: RigSnapshot['chains'][number], i: number, now: number): Section {
  const minutes = Math.max(s.uptimeS / 60, 1 / 60);
  // Shares are counted per pool, not per chain: a single-chain rig reports the rig totals.
  const single = s.chains.length === 1;
  return {
    ASC: i,
    Name: c.chipModel,
    ID: c.index,
    Enabled: c.state === 'stopped' || c.state === 'disabled' ? 'N' : 'Y',
    Status: devStatus(c.state),
    Temperature: c.temperatureC ?? 0,
    'MHS av': r3((c.hashrate.h1h > 0 ? c.hashrate.h1h : c.hashrate.h1m) / MH),
    'MHS 5s': r3(c.hashrate.h5s / MH),
    'MHS 1m': r3(c.hashrate.h1m / MH),
    'MHS 5m': r3(c.hashrate.h1m / MH),
    'MHS 15m': r3(c.hashrate.h10m / MH),
    Accepted: single ? s.shares.accepted : 0,
    Rejected: single ? s.shares.rejected : 0,
    'Hardware Errors': c.hardwareErrors,
    // Not a cgminer key; tools ignore what they do not know.
    'UART Junk Bytes': c.uartJunkBytes,
    'Chain Recoveries': c.recoveries,
    Utility: single ? r3(s.shares.accepted / minutes) : 0,
    'Last Share Pool': s.activePoolIndex ?? -1,
    'Last Share Time': Math.floor(now / 1000),
    'Total MH': r3((c.hashrate.h1m * s.uptimeS) / MH),
    'Diff1 Work': c.nonces * s.chipDifficulty,
    'Difficulty Accepted': 0,
    'Difficulty Rejected': 0,
    'Last Share Difficulty': s.chipDifficulty,
    'No Device': false,
    'Last Valid Work': Math.floor(now / 1000),
    'Device Hardware%': pct(c.hardwareErrors, c.nonces + c.hardwareErrors),
    'Device Rejected%': 0,
    'Device Elapsed': Math.floor(s.uptimeS),
  };
}

export function poolRow(s: RigSnapshot, p: RigSnapshot['pools'][number]): Section {
  const total = p.accepted + p.rejected + p.stale;
  const status =
    !p.enabled || p.state === 'disabled'
      ? 'Disabled'
      : p.state === 'dead' || p.state === 'backoff'
        ? 'Dead'
        : 'Alive';
  return {
    POOL: p.index,
    URL: p.url,
    Status: status,
    Priority: p.priority,
    Quota: 1,
    'Long Poll': 'N',
    Getworks: 0,
    Accepted: p.accepted,
    Rejected: p.rejected,
    Works: p.accepted + p.rejected,
    Discarded: 0,
    Stale: p.stale,
    'Get Failures': p.connectFailures,
    'Remote Failures': 0,
    User: p.user,
    'Last Share Time': p.lastShareAt === null ? 0 : Math.floor(p.lastShareAt / 1000),
    'Diff1 Shares': 0,
    'Proxy Type': '',
    Proxy: '',
    'Difficulty Accepted': p.acceptedDifficulty,
    'Difficulty Rejected': p.rejectedDifficulty,
    'Difficulty Stale': 0,
    'Last Share Difficulty': p.lastShareDifficulty,
    'Work Difficulty': p.difficulty,
    'Has Stratum': true,
    'Stratum Active': p.active && (p.state === 'mining' || p.state === 'open'),
    'Stratum URL': p.host,
    'Stratum Difficulty': p.difficulty,
    'Has Vmask': true,
    'Has GBT': false,
    'Best Share': s.bestDifficulty.session,
    'Pool Rejected%': pct(p.rejected, total),
    'Pool Stale%': pct(p.stale, total),
    'Bad Work': 0,
    'Current Block Height': s.network.blockHeight ?? 0,
    'Current Block Version': 0,
  };
}

export function statsRows(s: RigSnapshot): Json[] {
  const elapsed = Math.floor(s.uptimeS);
  const device: Section = {
    STATS: 1,
    ID: 'BM13XX0',
    Elapsed: elapsed,
    Calls: 0,
    Wait: 0,
    Max: 0,
    Min: 99999999,
    'GHS 5s': r3(s.hashrate.h5s / GH),
    'GHS av': r3((s.hashrate.h1h > 0 ? s.hashrate.h1h : s.hashrate.h1m) / GH),
    miner_count: s.chains.length,
    fan_num: s.fan.rpm === null ? 0 : 1,
    temp_num: s.chains.length,
    total_rate: r3(s.hashrate.h1m / GH),
    total_rateideal: r3(s.expectedHashrate / GH),
    total_acn: s.chipCount,
    total_freqavg: s.frequencyMhz,
  };
  if (s.fan.rpm !== null) device['fan1'] = s.fan.rpm;
  // Bitmain numbers chains from 1.
  for (const c of s.chains) {
    const n = c.index + 1;
    device[`chain_rate${n}`] = r3(c.hashrate.h1m / GH);
    device[`chain_rateideal${n}`] = r3(c.nominalHashrate / GH);
    device[`chain_acn${n}`] = c.chipCount;
    device[`chain_hw${n}`] = c.hardwareErrors;
    device[`chain_uart_junk${n}`] = c.uartJunkBytes;
    device[`freq_avg${n}`] = c.frequencyMhz;
    device[`temp${n}`] = s.temperatures.boardC ?? c.temperatureC ?? 0;
    device[`temp2_${n}`] = c.temperatureC ?? s.temperatures.chipC ?? 0;
  }
  return [
    {
      STATS: 0,
      ID: 'sv2miner',
      Elapsed: elapsed,
      Type: `sv2miner ${s.board.id}`,
      Miner: `sv2miner ${s.version}`,
    },
    device,
  ];
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
