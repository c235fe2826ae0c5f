/**
 * Prometheus text exposition format 0.0.4 for GET /metrics and /api/system/metrics. Uses the
 * espminer_* names of ESP-Miner's metrics endpoint (its AxeOS README lists them: build_info,
 * uptime_seconds, hashrate_hashes_per_second, shares_*_total, best_share, pool_connected,
 * mining_paused, fan_rpm, chip/vr temps, frequency_hz) so its Grafana dashboard fits, and
 * sv2miner_* for everything else. Hand-written: HELP/TYPE per family, escaped label values.
 */
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import type { RigSnapshot } from './snapshot.js';

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

type Labels = Readonly<Record<string, string | number>>;
type Sample = readonly [labels: Labels, value: number, suffix?: string];

/** Job-switch latency buckets in seconds (the daemon measures milliseconds). */
const LATENCY_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

export function renderMetrics(s: RigSnapshot): string {
  const out: string[] = [];
  const family = (
    name: string,
    type: 'gauge' | 'counter' | 'histogram',
    help: string,
    samples: readonly Sample[],
  ) => {
    out.push(`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`);
    for (const [labels, value, suffix] of samples)
      out.push(`${name}${suffix ?? ''}${labelText(labels)} ${num(value)}`);
  };
  const one = (value: number): Sample[] => [[{}, value]];
  const active = s.pools.find((p) => p.active);

  family('espminer_build_info', 'gauge', 'Build and device info', [
    [
      {
        firmware_version: s.version,
        device_model: s.board.description,
        asic_model: s.chipModel,
        board: s.board.id,
        hostname: s.hostname,
      },
      1,
    ],
  ]);
  family('espminer_uptime_seconds', 'gauge', 'Device uptime in seconds', one(s.uptimeS));
  family(
    'espminer_hashrate_hashes_per_second',
    'gauge',
    'Current hashrate (1 min window)',
    one(s.hashrate.h1m),
  );
  family('espminer_shares_accepted_total', 'counter', 'Shares accepted by pools', one(s.shares.accepted));
  family('espminer_shares_rejected_total', 'counter', 'Shares rejected by pools', one(s.shares.rejected));
  family(
    'espminer_best_share',
    'gauge',
    'Best share difficulty since first start',
    one(s.bestDifficulty.allTime),
  );
  family(
    'espminer_pool_connected',
    'gauge',
    'Pool connection state (1=mining on a pool)',
    one(isUp(active?.state) ? 1 : 0),
  );
  family('espminer_mining_paused', 'gauge', 'Mining paused state (1=paused)', one(s.paused ? 1 : 0));
  if (s.fan.rpm !== null) family('espminer_fan_rpm', 'gauge', 'Fan speed in RPM', one(s.fan.rpm));
  if (s.temperatures.chipC !== null)
    family('espminer_chip_temp_celsius', 'gauge', 'Chip temperature', one(s.temperatures.chipC));
  if (s.temperatures.boardC !== null)
    family('espminer_vr_temp_celsius', 'gauge', 'Board / regulator temperature', one(s.temperatures.boardC));
  family('espminer_frequency_hz', 'gauge', 'ASIC frequency', one(s.frequencyMhz * 1e6));
  if (s.coreVoltageMv !== undefined && s.coreVoltageMv !== null)
    family('espminer_voltage_volts', 'gauge', 'Configured core voltage', one(s.coreVoltageMv / 1000));
  // The core regulator's readings (TPS546 boards), absent until read or after a failed read.
  if (s.power) {
    family(
      'sv2miner_core_voltage_volts',
      'gauge',
      'Measured core voltage per chip',
      one(s.power.coreMv / 1000),
    );
    family('sv2miner_regulator_input_volts', 'gauge', 'Core regulator input voltage', one(s.power.inputV));
    family(
      'sv2miner_regulator_output_amperes',
      'gauge',
      'Core regulator output current',
      one(s.power.outputA),
    );
    family(
      'sv2miner_core_power_watts',
      'gauge',
      'Core power (regulator output)',
      one(s.power.outputV * s.power.outputA),
    );
    family('sv2miner_regulator_temp_celsius', 'gauge', 'Core regulator temperature', one(s.power.regulatorC));
  }
  if (s.powerFaults !== undefined && s.powerFaults.length > 0)
    family(
      'sv2miner_power_faults',
      'gauge',
      'Regulator faults that stopped hashing (1 per named fault)',
      s.powerFaults.map((fault): Sample => [{ fault }, 1]),
    );

  family('sv2miner_hashrate_hashes_per_second', 'gauge', 'Hashrate by averaging window', [
    [{ window: '5s' }, s.hashrate.h5s],
    [{ window: '1m' }, s.hashrate.h1m],
    [{ window: '10m' }, s.hashrate.h10m],
    [{ window: '1h' }, s.hashrate.h1h],
  ]);
  family(
    'sv2miner_expected_hashrate_hashes_per_second',
    'gauge',
    'Nominal hashrate at the set frequency',
    one(s.expectedHashrate),
  );
  family('sv2miner_shares_total', 'counter', 'Pool-worthy shares by result', [
    [{ result: 'accepted' }, s.shares.accepted],
    [{ result: 'rejected' }, s.shares.rejected],
    [{ result: 'stale' }, s.shares.stale],
  ]);
  family(
    'sv2miner_shares_lost_in_flight_total',
    'counter',
    'Shares submitted but never answered (connection lost first)',
    one(s.shares.lostInFlight),
  );
  family(
    'sv2miner_shares_rejected_by_reason_total',
    'counter',
    'Rejected shares by the pool error code',
    Object.entries(s.shares.rejectReasons).map(([reason, n]): Sample => [{ reason }, n]),
  );
  family(
    'sv2miner_nonces_total',
    'counter',
    'Nonces returned by chips that met the chip target',
    one(s.nonces),
  );
  family(
    'sv2miner_hardware_errors_total',
    'counter',
    'Nonces that failed the host-side hash check',
    one(s.hardwareErrors),
  );
  family('sv2miner_best_difficulty', 'gauge', 'Best share difficulty', [
    [{ scope: 'session' }, s.bestDifficulty.session],
    [{ scope: 'all_time' }, s.bestDifficulty.allTime],
  ]);
  family('sv2miner_paused', 'gauge', 'Mining paused (1=paused)', one(s.paused ? 1 : 0));
  family('sv2miner_fan_speed_percent', 'gauge', 'Fan duty', one(s.fan.dutyPercent ?? s.fan.speedPercent));
  family('sv2miner_fan_auto', 'gauge', 'Automatic fan control (1=auto)', one(s.fan.auto ? 1 : 0));
  if (s.fan.minPercent !== undefined)
    family('sv2miner_fan_min_percent', 'gauge', 'Fan duty floor (minFanSpeed)', one(s.fan.minPercent));
  if (s.fan.targetC !== undefined)
    family('sv2miner_fan_target_celsius', 'gauge', 'Fan PID target temperature', one(s.fan.targetC));
  if (s.fan.stalled !== undefined)
    family(
      'sv2miner_fan_stalled',
      'gauge',
      'Fan tach reads 0 RPM while driven (1=stalled)',
      one(s.fan.stalled ? 1 : 0),
    );
  if (s.overheat !== undefined) {
    family(
      'sv2miner_overheat_mode',
      'gauge',
      'Overheat/fault latch set (1=latched: chips unpowered until it releases)',
      one(s.overheat.latched ? 1 : 0),
    );
    if (s.overheat.latched)
      family('sv2miner_overheat_info', 'gauge', 'Why the overheat latch is set', [
        [{ reason: s.overheat.reason ?? '' }, 1],
      ]);
    family(
      'sv2miner_overheat_trips',
      'gauge',
      'Latch trips in a row (the hold doubles with each)',
      one(s.overheat.trips),
    );
  }
  if (s.network.blockHeight !== null)
    family('sv2miner_block_height', 'gauge', 'Height of the block being mined', one(s.network.blockHeight));

  const chain = (c: RigSnapshot['chains'][number]) => ({ chain: c.index });
  family(
    'sv2miner_chain_hashrate_hashes_per_second',
    'gauge',
    'Chain hashrate (1 min window)',
    s.chains.map((c): Sample => [chain(c), c.hashrate.h1m]),
  );
  family(
    'sv2miner_chain_frequency_hz',
    'gauge',
    'Chain frequency',
    s.chains.map((c): Sample => [chain(c), c.frequencyMhz * 1e6]),
  );
  family(
    'sv2miner_chain_jobs_sent_total',
    'counter',
    'Jobs sent to the chain',
    s.chains.map((c): Sample => [chain(c), c.jobsSent]),
  );
  family(
    'sv2miner_uart_junk_bytes_total',
    'counter',
    'UART bytes skipped by the reply parser (began no valid chip reply)',
    s.chains.map((c): Sample => [chain(c), c.uartJunkBytes]),
  );
  family(
    'sv2miner_chain_up',
    'gauge',
    'Chain state (1 for the current state)',
    s.chains.map((c): Sample => [{ chain: c.index, state: c.state }, 1]),
  );
  family(
    'sv2miner_chain_recoveries_total',
    'counter',
    'Chain re-initialisations by flatline recovery, by reason',
    s.chains.flatMap((c): Sample[] =>
      Object.entries(c.recoveriesByReason).map(([reason, n]): Sample => [{ chain: c.index, reason }, n]),
    ),
  );
  family(
    'sv2miner_chain_recovery_failures_total',
    'counter',
    'Chain re-initialisations that failed (bring-up refused, or still no nonces after it)',
    s.chains.map((c): Sample => [chain(c), c.recoveryFailures]),
  );
  family('sv2miner_chains_disabled', 'gauge', 'Chains disabled after repeated failed recoveries', [
    [{}, s.chains.filter((c) => c.state === 'disabled').length],
  ]);
  family(
    'sv2miner_chain_temperature_celsius',
    'gauge',
    'Chain temperature',
    s.chains.flatMap((c): Sample[] => (c.temperatureC === null ? [] : [[chain(c), c.temperatureC]])),
  );

  const chip = (c: RigSnapshot['chips'][number]) => ({ chain: c.chain, chip: c.index });
  family(
    'sv2miner_chip_hashrate_hashes_per_second',
    'gauge',
    'Chip hashrate (1 min window)',
    s.chips.map((c): Sample => [chip(c), c.hashrate.h1m]),
  );
  family(
    'sv2miner_chip_nonces_total',
    'counter',
    'Nonces per chip',
    s.chips.map((c): Sample => [chip(c), c.nonces]),
  );
  family(
    'sv2miner_chip_hardware_errors_total',
    'counter',
    'Hardware errors per chip',
    s.chips.map((c): Sample => [chip(c), c.hardwareErrors]),
  );
  family(
    'sv2miner_chip_crc_errors_total',
    'counter',
    'CRC errors per chip',
    s.chips.map((c): Sample => [chip(c), c.crcErrors]),
  );
  family(
    'sv2miner_chip_stale_nonces_total',
    'counter',
    'Stale nonces per chip',
    s.chips.map((c): Sample => [chip(c), c.stale]),
  );
  family(
    'sv2miner_chip_health',
    'gauge',
    'Chip returned work against expectation (1 for the current state: ok, weak, silent, unknown)',
    s.chips.map((c): Sample => [{ ...chip(c), state: c.health }, 1]),
  );
  family(
    'sv2miner_chip_last_nonce_age_seconds',
    'gauge',
    'Seconds since the chip last returned a nonce',
    s.chips.flatMap((c): Sample[] => (c.lastNonceAgeS === null ? [] : [[chip(c), c.lastNonceAgeS]])),
  );

  const pool = (p: RigSnapshot['pools'][number]) => ({ pool: p.index, host: p.host });
  family(
    'sv2miner_pool_state',
    'gauge',
    'Pool connection state (1 for the current state)',
    s.pools.map((p): Sample => [{ ...pool(p), state: p.state }, 1]),
  );
  family(
    'sv2miner_pool_active',
    'gauge',
    'Pool currently used for work (1=active)',
    s.pools.map((p): Sample => [pool(p), p.active ? 1 : 0]),
  );
  family(
    'sv2miner_pool_shares_total',
    'counter',
    'Shares per pool by result',
    s.pools.flatMap((p): Sample[] => [
      [{ ...pool(p), result: 'accepted' }, p.accepted],
      [{ ...pool(p), result: 'rejected' }, p.rejected],
      [{ ...pool(p), result: 'stale' }, p.stale],
    ]),
  );
  family(
    'sv2miner_pool_difficulty',
    'gauge',
    'Share difficulty the pool asks for',
    s.pools.map((p): Sample => [pool(p), p.difficulty]),
  );
  family(
    'sv2miner_pool_connect_failures_total',
    'counter',
    'Failed connection attempts',
    s.pools.map((p): Sample => [pool(p), p.connectFailures]),
  );
  family(
    'sv2miner_pool_round_trip_seconds',
    'gauge',
    'Last share submit round trip',
    s.pools.flatMap((p): Sample[] =>
      p.lastRoundTripMs === null ? [] : [[pool(p), p.lastRoundTripMs / 1000]],
    ),
  );
  family(
    'sv2miner_pool_handshake_seconds',
    'gauge',
    'Noise handshake duration',
    s.pools.flatMap((p): Sample[] => (p.handshakeMs === null ? [] : [[pool(p), p.handshakeMs / 1000]])),
  );

  family(
    'sv2miner_job_switch_latency_seconds',
    'histogram',
    'New block to work on the chips, over the recent samples the daemon keeps (a window, not since start)',
    latencyHistogram(s.jobSwitchLatencyMs),
  );
  family(
    'sv2miner_event_loop_lag_seconds',
    'gauge',
    'Event-loop lag since the first scrape (perf_hooks, sampled every 10 ms) by quantile',
    eventLoopLag(),
  );
  return `${out.join('\n')}\n`;
}

let loopDelay: IntervalHistogram | undefined;
const LOOP_DELAY_RESOLUTION_MS = 10;

/**
 * Started by the first scrape, so start-up does not count. The histogram holds whole intervals of
 * its sampling timer; the lag is what exceeds the timer's period.
 */
function eventLoopLag(): Sample[] {
  if (loopDelay === undefined) {
    loopDelay = monitorEventLoopDelay({ resolution: LOOP_DELAY_RESOLUTION_MS });
    loopDelay.enable();
  }
  const h = loopDelay;
  if (h.count === 0) return [];
  const lag = (ns: number): number => Math.max(0, ns / 1e9 - LOOP_DELAY_RESOLUTION_MS / 1000);
  return [
    [{ quantile: '0.5' }, lag(h.percentile(50))],
    [{ quantile: '0.99' }, lag(h.percentile(99))],
    [{ quantile: '1' }, lag(h.max)],
  ];
}

function latencyHistogram(samplesMs: readonly number[]): Sample[] {
  const seconds = samplesMs.map((ms) => ms / 1000);
  const buckets = LATENCY_BUCKETS_S.map(
    (le): Sample => [{ le: String(le) }, seconds.filter((v) => v <= le).length, '_bucket'],
  );
  return [
    ...buckets,
    [{ le: '+Inf' }, seconds.length, '_bucket'],
    [{}, seconds.reduce((a, b) => a + b, 0), '_sum'],
    [{}, seconds.length, '_count'],
  ];
}

function isUp(state: string | undefined): boolean {
  return state === 'mining' || state === 'open';
}

function labelText(labels: Labels): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return '';
  return `{${entries.map(([k, v]) => `${k}="${escapeLabel(String(v))}"`).join(',')}}`;
}

/** Label values escape backslash, double quote and line feed (exposition format 0.0.4). */
export function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** HELP text escapes backslash and line feed only. */
function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function num(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}
