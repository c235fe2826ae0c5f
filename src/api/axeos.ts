/**
 * Maps a RigSnapshot to the AxeOS JSON shapes: GET /api/system/info (ESP-Miner openapi.yaml
 * SystemInfo, monitoring.md §3b) and GET /api/system/asic (SystemASIC). Units follow ESP-Miner:
 * hashrates in GH/s (float), temperatures in C, frequency in MHz, voltages in mV. Pure: no I/O.
 * Never carries a pool password (always "*****"), the API token or any secret key.
 */
import type { HostFacts } from './host-info.js';
import type { PoolSnapshot, RigSnapshot } from './snapshot.js';

const GH = 1e9;
const MASKED = '*****';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export function systemInfo(s: RigSnapshot, host: HostFacts): Record<string, Json> {
  const primary = s.pools[0];
  const fallback = s.pools[1];
  const active = s.pools.find((p) => p.active);
  const attempts = s.nonces + s.hardwareErrors;
  return {
    ASICModel: s.chipModel,
    asicCount: s.chipCount,
    smallCoreCount: s.smallCoreCount,
    frequency: s.frequencyMhz,
    coreVoltage: s.coreVoltageMv ?? 0,
    coreVoltageActual: s.power?.coreMv ?? s.coreVoltageMv ?? 0,
    // ESP-Miner's "current" hashrate is smoothed; our 1 min window is the nearest steady figure.
    hashRate: gh(s.hashrate.h1m > 0 ? s.hashrate.h1m : s.hashrate.h5s),
    hashRate_1m: gh(s.hashrate.h1m),
    hashRate_10m: gh(s.hashrate.h10m),
    hashRate_1h: gh(s.hashrate.h1h),
    expectedHashrate: gh(s.expectedHashrate),
    errorPercentage: attempts === 0 ? 0 : round((100 * s.hardwareErrors) / attempts, 3),
    // From the core regulator where it reports (TPS546: core power, its input in mV, its output
    // in mA, as ESP-Miner fills them); 0 rather than an invented figure elsewhere.
    power: s.power ? round(s.power.outputV * s.power.outputA, 2) : 0,
    voltage: s.power ? round(s.power.inputV * 1000, 0) : 0,
    current: s.power ? round(s.power.outputA * 1000, 0) : 0,
    temp: s.temperatures.chipC ?? 0,
    temp2: 0,
    vrTemp: s.power ? s.power.regulatorC : (s.temperatures.boardC ?? 0),
    // What the fan is driven at now (PID, fixed or the 100 % override); manualFanSpeed is the setting.
    fanspeed: s.fan.dutyPercent ?? s.fan.speedPercent,
    manualFanSpeed: s.fan.speedPercent,
    minFanSpeed: s.fan.minPercent ?? 0,
    temptarget: s.fan.targetC ?? 0,
    fanrpm: s.fan.rpm ?? 0,
    fan2rpm: 0,
    autofanspeed: s.fan.auto ? 1 : 0,
    sharesAccepted: s.shares.accepted,
    sharesRejected: s.shares.rejected,
    sharesLostInFlight: s.shares.lostInFlight,
    sharesRejectedReasons: Object.entries(s.shares.rejectReasons).map(([message, count]) => ({
      message,
      count,
    })),
    bestDiff: s.bestDifficulty.allTime,
    bestSessionDiff: s.bestDifficulty.session,
    poolDifficulty: active?.difficulty ?? 0,
    responseTime: active?.lastRoundTripMs ?? 0,
    uptimeSeconds: Math.floor(s.uptimeS),
    hostname: s.hostname,
    macAddr: host.macAddr,
    ipv4: host.ipv4,
    version: s.version,
    axeOSVersion: s.version,
    boardVersion: s.board.id,
    deviceModel: s.board.description,
    stratumURL: primary?.host ?? '',
    stratumPort: primary?.port ?? 0,
    stratumUser: primary?.user ?? '',
    stratumProtocol: 'SV2',
    stratumV2ChannelType: 'standard',
    stratumV2AuthorityPubkey: primary?.authorityKey ?? '',
    fallbackStratumURL: fallback?.host ?? '',
    fallbackStratumPort: fallback?.port ?? 0,
    fallbackStratumUser: fallback?.user ?? '',
    isUsingFallbackStratum: active !== undefined && active.index !== 0 ? 1 : 0,
    pools: s.pools.map(poolEntry),
    primaryPoolIndex: 0,
    secondaryPoolIndex: s.pools.length > 1 ? 1 : -1,
    activePoolIndex: s.activePoolIndex ?? -1,
    miningPaused: s.paused,
    overheat_mode: s.overheat?.latched === true ? 1 : 0,
    // Our extension: why the latch is set and what it waits for (null when not latched).
    overheatReason: s.overheat?.latched === true ? s.overheat.reason : null,
    overheatWaitingFor: s.overheat?.waitingFor ?? null,
    fanStalled: s.fan.stalled === true,
    // Our extension: the regulator faults that stopped hashing, by name ([] when none).
    powerFaults: [...(s.powerFaults ?? [])],
    hashrateMonitor: {
      asics: s.chips.map((c) => ({
        total: gh(c.hashrate.h1m),
        domains: [],
        errorCount: c.hardwareErrors + c.crcErrors,
        // Our extension: returned work against what the chip should return ('ok', 'weak', 'silent', 'unknown').
        health: c.health,
      })),
      // Our extension: per chain, what the UART reply parser skipped (line noise, lost bytes), and
      // flatline recovery: state ('mining', 'recovering', 'disabled', …), re-initialisations by reason.
      chains: s.chains.map((c) => ({
        chain: c.index,
        uartJunkBytes: c.uartJunkBytes,
        crcErrors: c.crcErrors,
        state: c.state,
        recoveries: c.recoveries,
        recoveriesByReason: { ...c.recoveriesByReason },
        recoveryFailures: c.recoveryFailures,
        lastRecoveryReason: c.lastRecoveryReason,
      })),
    },
    blockHeight: s.network.blockHeight ?? 0,
    networkDifficulty: s.network.nbits === null ? 0 : networkDifficulty(s.network.nbits),
    nonces: s.nonces,
    hardwareErrors: s.hardwareErrors,
    simulated: s.board.simulated,
  };
}

function poolEntry(p: PoolSnapshot): Json {
  return {
    id: p.index,
    stratumProtocol: 'SV2',
    stratumURL: p.host,
    stratumPort: p.port,
    stratumUser: p.user,
    stratumPassword: MASKED,
    stratumV2AuthorityPubkey: p.authorityKey ?? '',
    url: p.url,
    priority: p.priority,
    enabled: p.enabled,
    active: p.active,
    state: p.state,
    sharesAccepted: p.accepted,
    sharesRejected: p.rejected,
    violations: { ...p.violations },
    poolDifficulty: p.difficulty,
    responseTime: p.lastRoundTripMs ?? 0,
  };
}

export function asicInfo(s: RigSnapshot): Record<string, Json> {
  const mv = s.coreVoltageMv ?? null;
  return {
    ASICModel: s.chipModel,
    deviceModel: s.board.description,
    swarmColor: 'purple',
    asicCount: s.chipCount,
    defaultFrequency: s.defaultFrequencyMhz,
    frequencyOptions: [...s.frequencyOptionsMhz],
    defaultVoltage: mv ?? 0,
    voltageOptions: mv === null ? [] : [mv],
  };
}

/** Difficulty of a compact nBits target: diff1 (0x1d00ffff) / target. */
function networkDifficulty(nbits: number): number {
  const exponent = nbits >>> 24;
  const mantissa = nbits & 0x007fffff;
  if (mantissa === 0) return 0;
  return (0xffff / mantissa) * 2 ** (8 * (0x1d - exponent));
}

/** GH/s to six significant digits: a fixed number of decimals would print a CPU-simulated board as 0. */
function gh(hashesPerSecond: number): number {
  return Number((hashesPerSecond / GH).toPrecision(6));
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
