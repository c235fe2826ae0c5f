import { describe, expect, it } from 'vitest';
import { escapeLabel, renderMetrics } from '../../src/api/metrics.js';
import { checkExposition } from './helpers/exposition.js';
import { sampleSnapshot } from './helpers/fake-rig.js';

const value = (
  series: ReturnType<typeof checkExposition>['series'],
  name: string,
  labels: Record<string, string> = {},
) =>
  series.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

describe('exposition checker', () => {
  it('rejects what the format forbids', () => {
    expect(() => checkExposition('x 1\n')).toThrow(/without TYPE/);
    expect(() => checkExposition('# TYPE x gauge\nx{a="b} 1\n')).toThrow(/bad labels/);
    expect(() => checkExposition('# TYPE x gauge\nx{a="\\t"} 1\n')).toThrow(/bad labels/);
    expect(() => checkExposition('# TYPE x gauge\nx 1\nx 2\n')).toThrow(/duplicate/);
    expect(() => checkExposition('# TYPE x gauge\n# TYPE y gauge\nx 1\ny 1\nx{a="1"} 1\n')).toThrow(
      /contiguous/,
    );
    expect(() => checkExposition('# TYPE x gauge\nx one\n')).toThrow(/bad value/);
    expect(() =>
      checkExposition('# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n'),
    ).toThrow(/cumulative/);
    expect(() => checkExposition('# TYPE x gauge\nx 1')).toThrow(/line feed/);
  });
});

describe('renderMetrics', () => {
  const text = renderMetrics(sampleSnapshot());
  const { series, types } = checkExposition(text);

  it('is valid exposition with HELP and TYPE for every family', () => {
    for (const name of types.keys()) expect(text).toContain(`# HELP ${name} `);
    for (const [name, type] of types) if (name.endsWith('_total')) expect(type).toBe('counter');
  });

  it('uses the espminer_* names and units of ESP-Miner metrics', () => {
    const info = series.find((s) => s.name === 'espminer_build_info');
    expect(info?.labels).toEqual({
      firmware_version: '0.1.0',
      device_model: 'Simulated BM1370 chain',
      asic_model: 'BM1370',
      board: 'sim-bm1370-chain',
      hostname: 'rig-test-01',
    });
    expect(value(series, 'espminer_uptime_seconds')).toBe(3600.4);
    expect(value(series, 'espminer_hashrate_hashes_per_second')).toBe(4.22e12);
    expect(value(series, 'espminer_shares_accepted_total')).toBe(42);
    expect(value(series, 'espminer_shares_rejected_total')).toBe(3);
    expect(value(series, 'espminer_best_share')).toBe(9876543);
    expect(value(series, 'espminer_pool_connected')).toBe(1);
    expect(value(series, 'espminer_mining_paused')).toBe(0);
    expect(value(series, 'espminer_fan_rpm')).toBe(4200);
    expect(value(series, 'espminer_chip_temp_celsius')).toBe(56.5);
    expect(value(series, 'espminer_vr_temp_celsius')).toBe(48);
    expect(value(series, 'espminer_frequency_hz')).toBe(525e6);
  });

  it('exports shares by reason, per-chip counters, pool state and latency', () => {
    expect(value(series, 'sv2miner_shares_rejected_by_reason_total', { reason: 'invalid-job-id' })).toBe(2);
    expect(value(series, 'sv2miner_shares_total', { result: 'stale' })).toBe(1);
    expect(value(series, 'sv2miner_shares_lost_in_flight_total')).toBe(2);
    expect(value(series, 'sv2miner_chip_nonces_total', { chain: '1', chip: '1' })).toBe(1011);
    expect(value(series, 'sv2miner_chip_hardware_errors_total', { chain: '0', chip: '1' })).toBe(1);
    expect(value(series, 'sv2miner_chip_crc_errors_total', { chain: '1', chip: '0' })).toBe(1);
    expect(value(series, 'sv2miner_pool_state', { pool: '0', state: 'mining' })).toBe(1);
    expect(value(series, 'sv2miner_pool_state', { pool: '1', state: 'idle' })).toBe(1);
    expect(value(series, 'sv2miner_pool_round_trip_seconds', { pool: '0' })).toBe(0.038);
    expect(value(series, 'sv2miner_pool_connect_failures_total', { pool: '1' })).toBe(2);
    expect(value(series, 'sv2miner_chain_temperature_celsius', { chain: '1' })).toBe(56);
    expect(types.get('sv2miner_uart_junk_bytes_total')).toBe('counter');
    expect(value(series, 'sv2miner_uart_junk_bytes_total', { chain: '0' })).toBe(7);
    expect(value(series, 'sv2miner_uart_junk_bytes_total', { chain: '1' })).toBe(107);
    // Flatline recovery (FakeRig: chain 1 re-initialised twice, once failed; chip 1:1 silent).
    expect(types.get('sv2miner_chain_recoveries_total')).toBe('counter');
    expect(value(series, 'sv2miner_chain_recoveries_total', { chain: '1', reason: 'flatline' })).toBe(1);
    expect(value(series, 'sv2miner_chain_recoveries_total', { chain: '1', reason: 'chip-silent' })).toBe(1);
    expect(value(series, 'sv2miner_chain_recoveries_total', { chain: '0', reason: 'chip-weak' })).toBe(0);
    expect(value(series, 'sv2miner_chain_recovery_failures_total', { chain: '1' })).toBe(1);
    expect(value(series, 'sv2miner_chains_disabled')).toBe(0);
    expect(value(series, 'sv2miner_chip_health', { chain: '1', chip: '1', state: 'silent' })).toBe(1);
    expect(value(series, 'sv2miner_chip_health', { chain: '0', chip: '1', state: 'ok' })).toBe(1);
    // Latencies 0.8, 2, 4.5, 30, 120 ms.
    expect(types.get('sv2miner_job_switch_latency_seconds')).toBe('histogram');
    expect(value(series, 'sv2miner_job_switch_latency_seconds_bucket', { le: '0.001' })).toBe(1);
    expect(value(series, 'sv2miner_job_switch_latency_seconds_bucket', { le: '0.005' })).toBe(3);
    expect(value(series, 'sv2miner_job_switch_latency_seconds_bucket', { le: '0.1' })).toBe(4);
    expect(value(series, 'sv2miner_job_switch_latency_seconds_bucket', { le: '+Inf' })).toBe(5);
    expect(value(series, 'sv2miner_job_switch_latency_seconds_count')).toBe(5);
    expect(value(series, 'sv2miner_job_switch_latency_seconds_sum')).toBeCloseTo(0.1573, 10);
  });

  it('escapes label values so odd hostnames and reasons stay parseable', () => {
    const snap = {
      ...sampleSnapshot(),
      hostname: 'a"b\\c\nd',
      shares: { ...sampleSnapshot().shares, rejectReasons: { 'x"y': 1 } },
    };
    const parsed = checkExposition(renderMetrics(snap));
    expect(parsed.series.find((s) => s.name === 'espminer_build_info')?.labels['hostname']).toBe('a"b\\c\nd');
    expect(value(parsed.series, 'sv2miner_shares_rejected_by_reason_total', { reason: 'x"y' })).toBe(1);
    expect(escapeLabel('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd');
  });

  it('omits sensor series that have no reading instead of inventing 0', () => {
    const snap = {
      ...sampleSnapshot(),
      temperatures: { chipC: null, boardC: null },
      fan: { auto: true, speedPercent: 0, rpm: null },
    };
    const parsed = checkExposition(renderMetrics(snap));
    expect(parsed.types.has('espminer_chip_temp_celsius')).toBe(false);
    expect(parsed.types.has('espminer_fan_rpm')).toBe(false);
  });
});

describe('event-loop lag', () => {
  it('reports the delay of a blocked loop from the first scrape on, by quantile', async () => {
    renderMetrics(sampleSnapshot());
    // Node's histogram measures each timer tick against the previous one: let it tick once so the
    // block below lands inside a measured interval (a freshly enabled one skips its first).
    await new Promise((resolve) => setTimeout(resolve, 30));
    // Block the loop for 60 ms, then let the histogram's timer fire to record it.
    const until = performance.now() + 60;
    while (performance.now() < until) {}
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setTimeout(resolve, 20));
    const { series, types } = checkExposition(renderMetrics(sampleSnapshot()));
    expect(types.get('sv2miner_event_loop_lag_seconds')).toBe('gauge');
    const max = value(series, 'sv2miner_event_loop_lag_seconds', { quantile: '1' }) ?? 0;
    const p99 = value(series, 'sv2miner_event_loop_lag_seconds', { quantile: '0.99' }) ?? 0;
    // 60 ms blocked = one sampling interval 50 ms over its 10 ms period.
    expect(max).toBeGreaterThanOrEqual(0.045);
    // In seconds, not ms (60) or ns (6e7): the bound leaves room for a loaded machine stalling this
    // worker for seconds before the block, which the histogram rightly records too.
    expect(max).toBeLessThan(60);
    expect(p99).toBeLessThanOrEqual(max);
  });
});
