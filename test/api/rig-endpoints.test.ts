/**
 * Issue 7, "every endpoint against a running simulated rig": one real Miner on sim-bm1370-1 with
 * the embedded SV2 pool, served by startApi (monitoring.md §3a-§3c). Figures must be the rig's own
 * (non-zero hashrate, accepted shares equal to the snapshot), writes must reach the chips (pause
 * stops job frames, frequency reaches the chain and local.json), and no reply carries the token.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cgminer, cgminerRaw } from './helpers/api.js';
import { checkExposition, type Series } from './helpers/exposition.js';
import { openSse, type RealRig, startRealRig, until } from './helpers/real-rig.js';

let rig: RealRig;
const bodies: string[] = [];

beforeAll(async () => {
  rig = await startRealRig();
}, 45_000);
afterAll(async () => {
  await rig?.close();
});

async function http(
  path: string,
  init: RequestInit = {},
): Promise<{ status: number; text: string; type: string }> {
  const res = await fetch(rig.base + path, init);
  const text = await res.text();
  bodies.push(text);
  return { status: res.status, text, type: res.headers.get('content-type') ?? '' };
}

async function json(path: string): Promise<Record<string, unknown>> {
  const r = await http(path);
  expect(r.status, `${path}: ${r.text}`).toBe(200);
  return JSON.parse(r.text) as Record<string, unknown>;
}

const accepted = () => rig.miner.snapshot().shares.accepted;

/**
 * Reads `fetchValue` while no share is accepted around it, so the served figure can be compared
 * with the snapshot exactly (a share may land between the two otherwise).
 */
async function steady<T>(fetchValue: () => Promise<T>): Promise<{ value: T; accepted: number }> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const before = accepted();
    const value = await fetchValue();
    if (accepted() === before) return { value, accepted: before };
  }
  throw new Error('shares kept arriving during every read');
}

const writeHeaders = (token: string | null) => ({
  'Content-Type': 'application/json',
  ...(token === null ? {} : { Authorization: `Bearer ${token}` }),
});

function one(series: Series[], name: string): number {
  const hit = series.filter((s) => s.name === name);
  expect(hit, name).toHaveLength(1);
  return hit[0]?.value ?? Number.NaN;
}

describe('reads against the live rig', () => {
  it('GET / serves the AxeOS dashboard', async () => {
    const r = await http('/');
    expect(r.status).toBe(200);
    expect(r.type).toContain('text/html');
    expect(r.text).toContain('AxeOS');
  });

  it('/api/system/info carries the rig own figures', async () => {
    // A fast rig has its first share inside its first second: let uptime reach a whole second.
    expect(await until(() => rig.miner.snapshot().uptimeS >= 1.2, 5_000)).toBe(true);
    const { value: info, accepted: n } = await steady(() => json('/api/system/info'));
    const s = rig.miner.snapshot();
    const pool = rig.miner.localPool;
    if (pool === undefined) throw new Error('no embedded pool');
    expect(typeof info['hashRate']).toBe('number');
    expect(info['hashRate']).toBeGreaterThan(0);
    // A CPU-simulated BM1370 delivers at most its 0.25 MH/s.
    expect(info['hashRate']).toBeLessThan(0.01);
    expect(info['sharesAccepted']).toBeGreaterThanOrEqual(1);
    expect(info['sharesAccepted']).toBe(n);
    expect(info['sharesRejected']).toBe(0);
    expect(info).toMatchObject({
      ASICModel: 'BM1370',
      asicCount: 1,
      smallCoreCount: 2040,
      frequency: 525,
      stratumURL: '127.0.0.1',
      stratumPort: pool.port,
      stratumUser: 'sv2miner.local',
      stratumProtocol: 'SV2',
      stratumV2AuthorityPubkey: pool.authorityPublicKey,
      boardVersion: 'sim-bm1370-1',
      miningPaused: false,
    });
    // The sim sensor reads 55 °C plus a slow sine of amplitude 1 (src/roles/miner/compose-board.ts).
    expect(info['temp']).toBeGreaterThanOrEqual(54);
    expect(info['temp']).toBeLessThanOrEqual(56);
    // The snapshot is taken after the request: the two may straddle a second boundary.
    expect(Math.floor(s.uptimeS) - Number(info['uptimeSeconds'])).toBeGreaterThanOrEqual(0);
    expect(Math.floor(s.uptimeS) - Number(info['uptimeSeconds'])).toBeLessThanOrEqual(1);
    expect(info['uptimeSeconds']).toBeGreaterThanOrEqual(1);
    const asics = (info['hashrateMonitor'] as { asics: { total: number }[] }).asics;
    expect(asics).toHaveLength(1);
    expect(asics[0]?.total).toBeGreaterThan(0);
    const pools = info['pools'] as Record<string, unknown>[];
    expect(pools).toHaveLength(1);
    expect(pools[0]).toMatchObject({
      url: pool.url,
      active: true,
      state: 'mining',
      stratumPassword: '*****',
    });
  });

  it('/api/system/asic describes the BM1370', async () => {
    const asic = await json('/api/system/asic');
    expect(asic).toMatchObject({ ASICModel: 'BM1370', asicCount: 1, defaultFrequency: 525 });
    const options = asic['frequencyOptions'] as number[];
    expect(options).toContain(525);
    expect(Math.max(...options)).toBe(625);
  });

  it('/api/system/statistics and /dashboard hold sampled points of the real hashrate', async () => {
    // The sampler runs every 500 ms (startRealRig): ask until it has two points, one with a rate.
    const sampled = (s: Record<string, unknown>): boolean => {
      const points = s['statistics'] as number[][];
      const at = (s['labels'] as string[]).indexOf('hashrate');
      return points.length >= 2 && points.some((p) => (p[at] ?? 0) > 0);
    };
    let stats = await json('/api/system/statistics');
    for (let tries = 0; !sampled(stats) && tries < 100; tries++) {
      await new Promise((r) => setTimeout(r, 100));
      stats = await json('/api/system/statistics');
    }
    const labels = stats['labels'] as string[];
    const rows = stats['statistics'] as number[][];
    expect(labels).toContain('hashrate');
    expect(labels).toContain('timestamp');
    expect(rows.length).toBeGreaterThanOrEqual(2);
    const h = labels.indexOf('hashrate');
    const t = labels.indexOf('timestamp');
    expect(rows.some((r) => (r[h] ?? 0) > 0)).toBe(true);
    for (let i = 1; i < rows.length; i++) expect(rows[i]?.[t]).toBeGreaterThan(rows[i - 1]?.[t] ?? Infinity);
    const dash = await json('/api/system/statistics/dashboard');
    const dashLabels = dash['labels'] as string[];
    const dashRows = dash['statistics'] as number[][];
    expect(dashLabels).toContain('hashrate');
    expect(dashRows.length).toBeGreaterThanOrEqual(2);
    expect(dashRows.every((r) => r.length === dashLabels.length)).toBe(true);
  });

  it('/metrics and /api/system/metrics are valid expositions of the live counters', async () => {
    for (const path of ['/metrics', '/api/system/metrics']) {
      const { value: r, accepted: n } = await steady(() => http(path));
      expect(r.status).toBe(200);
      expect(r.type).toContain('text/plain');
      const { series, types } = checkExposition(r.text);
      expect(types.get('espminer_shares_accepted_total')).toBe('counter');
      expect(one(series, 'espminer_hashrate_hashes_per_second')).toBeGreaterThan(0);
      expect(one(series, 'espminer_shares_accepted_total')).toBe(n);
      expect(one(series, 'espminer_frequency_hz')).toBe(525e6);
      expect(one(series, 'espminer_mining_paused')).toBe(0);
      expect(one(series, 'sv2miner_nonces_total')).toBeGreaterThan(0);
      expect(one(series, 'sv2miner_hardware_errors_total')).toBe(0);
    }
  });

  it('cgminer summary, pools and summary+pools come from the rig, NUL terminated', async () => {
    const raw = await cgminerRaw(rig.cgminerPort, '{"command":"summary"}');
    bodies.push(raw.toString('utf8'));
    expect(raw[raw.length - 1]).toBe(0);
    expect(raw.indexOf(0)).toBe(raw.length - 1);
    const { value: summary, accepted: n } = await steady(() => cgminer(rig.cgminerPort, 'summary'));
    bodies.push(JSON.stringify(summary));
    const row = (summary['SUMMARY'] as Record<string, number>[])[0] ?? {};
    expect(row['MHS 5s']).toBeGreaterThan(0);
    // 0.25 MH/s at most, so GH/s rounds to 0.000 at three decimals.
    expect(row['MHS 5s']).toBeLessThan(1);
    expect(row['Accepted']).toBe(n);
    expect(row['Hardware Errors']).toBe(0);

    const pools = await cgminer(rig.cgminerPort, '{"command":"pools"}');
    bodies.push(JSON.stringify(pools));
    const poolRows = pools['POOLS'] as Record<string, unknown>[];
    expect(poolRows).toHaveLength(1);
    expect(poolRows[0]).toMatchObject({
      URL: rig.miner.localPool?.url,
      Status: 'Alive',
      User: 'sv2miner.local',
    });

    const joined = await cgminer(rig.cgminerPort, '{"command":"summary+pools"}');
    bodies.push(JSON.stringify(joined));
    const jSummary = (joined['summary'] as Record<string, unknown>[])[0] as Record<string, unknown>;
    const jPools = (joined['pools'] as Record<string, unknown>[])[0] as Record<string, unknown>;
    expect((jSummary['SUMMARY'] as Record<string, number>[])[0]?.['MHS 5s']).toBeGreaterThan(0);
    expect((jPools['POOLS'] as Record<string, unknown>[])[0]?.['URL']).toBe(rig.miner.localPool?.url);
  });
});

describe('writes against the live rig', () => {
  const nonces = () => rig.miner.snapshot().nonces;
  const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));
  let heldNonces = 0;
  let heldMetrics: Series[] = [];
  const counters = async () => checkExposition((await http('/metrics')).text).series;

  it('pause without the token is refused and the rig keeps mining', async () => {
    const r = await http('/api/system/pause', { method: 'POST', headers: writeHeaders(null) });
    expect(r.status).toBe(401);
    const wrong = await http('/api/system/pause', { method: 'POST', headers: writeHeaders('not-the-token') });
    expect(wrong.status).toBe(401);
    const before = nonces();
    expect(rig.miner.snapshot().paused).toBe(false);
    expect(await until(() => nonces() > before, 5_000)).toBe(true);
  });

  it('pause with the token holds the chips: no job frame and no nonce after a settle; SSE shows it', async () => {
    const sse = openSse(rig.base, (chunk) => bodies.push(chunk));
    try {
      // New clients first get the recent lines: the rig's own bring-up is among them.
      expect(await until(() => sse.logs.some((l) => l.includes('"msg":"chain ready"')), 5_000)).toBe(true);
      const r = await http('/api/system/pause', { method: 'POST', headers: writeHeaders(rig.token) });
      expect(r.status).toBe(200);
      expect(rig.miner.snapshot().paused).toBe(true);
      expect(
        await until(() => sse.logs.some((l) => l.includes('"msg":"paused: chips held in reset"')), 5_000),
      ).toBe(true);
      await settle(300);
      const frames = rig.jobFrames.length;
      const held = nonces();
      await settle(2_000);
      expect(rig.jobFrames.length).toBe(frames);
      expect(nonces()).toBe(held);
      heldNonces = held;
      heldMetrics = await counters();
      expect((await json('/api/system/info'))['miningPaused']).toBe(true);
    } finally {
      sse.close();
    }
  });

  it('resume with the token mines again', async () => {
    const frames = rig.jobFrames.length;
    const r = await http('/api/system/resume', { method: 'POST', headers: writeHeaders(rig.token) });
    expect(r.status).toBe(200);
    expect(rig.miner.snapshot().paused).toBe(false);
    expect(await until(() => rig.jobFrames.length > frames, 10_000)).toBe(true);
    // Resume builds new chains; the totals served must carry on from the paused ones, not restart.
    expect(nonces()).toBeGreaterThanOrEqual(heldNonces);
    expect(await until(() => nonces() > heldNonces, 10_000)).toBe(true);
    const now = await counters();
    for (const name of [
      'sv2miner_nonces_total',
      'sv2miner_chain_jobs_sent_total',
      'sv2miner_chip_nonces_total',
    ])
      expect(one(now, name), name).toBeGreaterThan(one(heldMetrics, name));
    expect(one(now, 'espminer_mining_paused')).toBe(0);
  });

  it('PATCH frequency 500 reaches the chain and local.json', async () => {
    const r = await http('/api/system', {
      method: 'PATCH',
      headers: writeHeaders(rig.token),
      body: JSON.stringify({ frequency: 500 }),
    });
    expect(r.status, r.text).toBe(200);
    const s = rig.miner.snapshot();
    expect(s.frequencyMhz).toBe(500);
    expect(s.chains[0]?.frequencyMhz).toBe(500);
    expect((await json('/api/system/info'))['frequency']).toBe(500);
    const local = JSON.parse(readFileSync(join(rig.configDir, 'local.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(local).toEqual({ frequencyMhz: 500 });
  });

  it('PATCH fan settings is served at once and kept in local.json beside the frequency (merged, not replaced)', async () => {
    const r = await http('/api/system', {
      method: 'PATCH',
      headers: writeHeaders(rig.token),
      body: JSON.stringify({ fanspeed: 45 }),
    });
    expect(r.status, r.text).toBe(200);
    const info = await json('/api/system/info');
    // As in AxeOS: manualFanSpeed is the setting, fanspeed what the fan runs at (here the PID's duty).
    expect([info['autofanspeed'], info['manualFanSpeed'], info['minFanSpeed'], info['temptarget']]).toEqual([
      1, 45, 25, 60,
    ]);
    expect(info['fanspeed']).toBeGreaterThanOrEqual(25);
    expect(info['fanspeed']).toBeLessThanOrEqual(100);
    const patchAuto = await http('/api/system', {
      method: 'PATCH',
      headers: writeHeaders(rig.token),
      body: JSON.stringify({ autofanspeed: 0 }),
    });
    expect(patchAuto.status, patchAuto.text).toBe(200);
    const local = JSON.parse(readFileSync(join(rig.configDir, 'local.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    const fan = { auto: false, speedPercent: 45, minPercent: 25, targetC: 60 };
    expect(local).toEqual({ frequencyMhz: 500, fan });
    // The fixed duty applies at once (the sim board has no fan driver: no tach, never stalled).
    expect(rig.miner.snapshot().fan).toEqual({ ...fan, dutyPercent: 45, rpm: null, stalled: false });
    expect((await json('/api/system/info'))['fanspeed']).toBe(45);
  });

  it('PATCH with bad values is a 400 naming the field, and changes nothing', async () => {
    const cases: [unknown, RegExp][] = [
      [{ frequency: 'fast' }, /^frequency: expected a positive number \(MHz\), got "fast"$/],
      [{ frequency: 900 }, /^frequencyMhz: /],
      [{ fanspeed: 150 }, /^fanspeed: expected a percentage 0\.\.100, got 150$/],
    ];
    for (const [body, message] of cases) {
      const r = await http('/api/system', {
        method: 'PATCH',
        headers: writeHeaders(rig.token),
        body: JSON.stringify(body),
      });
      expect(r.status, r.text).toBe(400);
      expect((JSON.parse(r.text) as { error: string }).error).toMatch(message);
    }
    expect(rig.miner.snapshot().chains[0]?.frequencyMhz).toBe(500);
  });

  it('no response carried the API token', async () => {
    expect(bodies.length).toBeGreaterThan(15);
    for (const body of bodies) expect(body).not.toContain(rig.token);
  });
});
