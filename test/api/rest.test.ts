import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness, TOKEN } from './helpers/api.js';

let h: Harness;
const auth = { Authorization: `Bearer ${TOKEN}` };

beforeAll(async () => {
  // A fake /sys/class/net: loopback first, an all-zero tunnel, then the real NIC.
  const net = mkdtempSync(join(tmpdir(), 'sysnet-'));
  for (const [name, mac] of [
    ['lo', '00:00:00:00:00:00'],
    ['eth0', 'b8:27:eb:12:ab:cd'],
    ['tun0', '00:00:00:00:00:00'],
  ]) {
    mkdirSync(join(net, name as string));
    writeFileSync(join(net, name as string, 'address'), `${mac}\n`);
  }
  h = await startHarness({ sysNetDir: net });
});
afterAll(() => h.close());

describe('pyasic detection and reads (monitoring.md §3a)', () => {
  it('serves a web root whose HTML contains "AxeOS"', async () => {
    const r = await h.http('/');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/html/);
    expect(r.text).toContain('AxeOS');
    expect(r.text).toMatch(/<title>[^<]*AxeOS[^<]*<\/title>/);
  });

  it('reports the fields pyasic reads in its units', async () => {
    const info = await h.json('/api/system/info');
    // hashRate: float GH/s = the 1 min window (4.22 TH/s) / 1e9.
    expect(info['hashRate']).toBe(4220);
    expect(typeof info['hashRate']).toBe('number');
    expect(info['uptimeSeconds']).toBe(3600);
    expect(info['hostname']).toBe('rig-test-01');
    expect(info['ASICModel']).toBe('BM1370');
    expect(info['asicCount']).toBe(4);
    expect(info['smallCoreCount']).toBe(2040);
    expect(info['frequency']).toBe(525);
    expect(info['stratumURL']).toBe('pool.example.org');
    expect(info['stratumPort']).toBe(34254);
    expect(info['stratumUser']).toBe('bc1qworker.rig0');
    expect(info['sharesAccepted']).toBe(42);
    expect(info['sharesRejected']).toBe(3);
    expect(info['sharesLostInFlight']).toBe(2);
    expect(info['temp']).toBe(56.5);
    expect(info['vrTemp']).toBe(48);
    expect(info['fanrpm']).toBe(4200);
    expect(info['autofanspeed']).toBe(1);
    expect(info['fanspeed']).toBe(65);
    expect(info['macAddr']).toBe('B8:27:EB:12:AB:CD');
    expect(info['version']).toBe('0.1.0');
  });

  it('expectedHashrate (GH/s) agrees with pyasic rule smallCoreCount x asicCount x frequency (MH/s)', async () => {
    const info = await h.json('/api/system/info');
    const pyasicMhs =
      (info['smallCoreCount'] as number) * (info['asicCount'] as number) * (info['frequency'] as number);
    expect((info['expectedHashrate'] as number) * 1000).toBeCloseTo(pyasicMhs, 6);
  });

  it('fills the AxeOS SV2 and pool fields with the password masked', async () => {
    const info = await h.json('/api/system/info');
    expect(info['stratumProtocol']).toBe('SV2');
    expect(info['stratumV2ChannelType']).toBe('standard');
    expect(info['fallbackStratumURL']).toBe('backup.example.net');
    expect(info['isUsingFallbackStratum']).toBe(0);
    expect(info['hashRate_1m']).toBe(4220);
    expect(info['hashRate_10m']).toBeCloseTo(4177.8, 6);
    expect(info['sharesRejectedReasons']).toEqual([
      { message: 'invalid-job-id', count: 2 },
      { message: 'stale-share', count: 1 },
    ]);
    const pools = info['pools'] as Record<string, unknown>[];
    expect(pools).toHaveLength(2);
    for (const p of pools) expect(p['stratumPassword']).toBe('*****');
    expect(pools.map((p) => p['violations'])).toEqual([{ 'unknown-channel': 4 }, {}]);
    expect(info['miningPaused']).toBe(false);
    expect(info['responseTime']).toBe(38);
    expect(info['poolDifficulty']).toBe(4096);
    expect(info['bestDiff']).toBe(9876543);
    expect(info['bestSessionDiff']).toBe(123456.5);
    expect(info['blockHeight']).toBe(850000);
    // errorPercentage = 2 hardware errors / (4001 + 2) nonces
    expect(info['errorPercentage']).toBeCloseTo((100 * 2) / 4003, 3);
    const asics = (
      info['hashrateMonitor'] as { asics: { total: number; domains: unknown[]; errorCount: number }[] }
    ).asics;
    expect(asics).toHaveLength(4);
    expect(asics[1]).toEqual({ total: 1060, domains: [], errorCount: 1, health: 'ok' });
    // FakeRig: chain 1 chip 1 is silent.
    expect(asics.map((a) => (a as { health?: string }).health)).toEqual(['ok', 'ok', 'ok', 'silent']);
    // Per chain: bytes the UART reply parser skipped (FakeRig: 7 and 107), and flatline recovery.
    expect((info['hashrateMonitor'] as { chains: unknown[] }).chains).toEqual([
      {
        chain: 0,
        uartJunkBytes: 7,
        crcErrors: 0,
        state: 'mining',
        recoveries: 0,
        recoveriesByReason: { flatline: 0, 'chip-silent': 0, 'chip-weak': 0 },
        recoveryFailures: 0,
        lastRecoveryReason: null,
      },
      {
        chain: 1,
        uartJunkBytes: 107,
        crcErrors: 1,
        state: 'mining',
        recoveries: 2,
        recoveriesByReason: { flatline: 1, 'chip-silent': 1, 'chip-weak': 0 },
        recoveryFailures: 1,
        lastRecoveryReason: 'chip-silent: chip 1 (0 of 40.0 expected) in 41 s',
      },
    ]);
  });

  it('reports network difficulty of block 840000 (nBits 0x17034219 -> 86388558925171.1)', async () => {
    h.rig.update({ network: { blockHeight: 840000, nbits: 0x17034219 } });
    const info = await h.json('/api/system/info');
    expect((info['networkDifficulty'] as number) / 86388558925171.1).toBeCloseTo(1, 9);
  });
});

describe('GET /api/system/asic', () => {
  it('serves the SystemASIC shape', async () => {
    expect(await h.json('/api/system/asic')).toEqual({
      ASICModel: 'BM1370',
      deviceModel: 'Simulated BM1370 chain',
      swarmColor: 'purple',
      asicCount: 4,
      defaultFrequency: 525,
      frequencyOptions: [400, 490, 525, 575, 600],
      defaultVoltage: 0,
      voltageOptions: [],
    });
  });
});

describe('statistics', () => {
  it('serves {currentTimestamp, labels, statistics} with timestamp last', async () => {
    const stats = await h.json<{ currentTimestamp: number; labels: string[]; statistics: number[][] }>(
      '/api/system/statistics?columns=hashrate,asicTemp,fanRpm',
    );
    expect(stats.labels).toEqual(['hashrate', 'asicTemp', 'fanRpm', 'timestamp']);
    expect(stats.statistics.length).toBeGreaterThanOrEqual(1);
    expect(stats.statistics[0]).toEqual([4304.4, 56.5, 4200, 3600400]);
    expect(stats.currentTimestamp).toBe(Math.round(h.rig.state.uptimeS * 1000));
  });

  it('default columns include one hashrate column per chain; dashboard has its fixed set', async () => {
    const stats = await h.json<{ labels: string[] }>('/api/system/statistics');
    expect(stats.labels).toContain('hashrate_chain0');
    expect(stats.labels).toContain('hashrate_chain1');
    const dash = await h.json<{ labels: string[] }>('/api/system/statistics/dashboard');
    expect(dash.labels).toEqual(['hashrate', 'asicTemp', 'vrTemp', 'power', 'timestamp']);
  });

  it('serves an empty scoreboard and the raw snapshot', async () => {
    expect(await h.json('/api/system/scoreboard')).toEqual([]);
    const snap = await h.json('/api/sv2miner/snapshot');
    expect(snap['chipCount']).toBe(4);
  });
});

describe('write endpoints need the bearer token', () => {
  const writes: [string, string, string?][] = [
    ['PATCH', '/api/system', JSON.stringify({ frequency: 500 })],
    ['PATCH', '/api/system', JSON.stringify({ overheat_mode: 0 })],
    ['POST', '/api/system/restart'],
    ['POST', '/api/system/pause'],
    ['POST', '/api/system/resume'],
    ['POST', '/api/system/identify'],
  ];

  it.each(writes)('%s %s without or with a wrong token -> 401 and no call', async (method, path, body) => {
    const before = h.rig.calls.length;
    for (const headers of [
      {},
      { Authorization: 'Bearer wrong-token-xxxxxxxx' },
      { Authorization: `Basic ${TOKEN}` },
    ]) {
      const r = await h.http(path, { method, headers, ...(body === undefined ? {} : { body }) });
      expect(r.status).toBe(401);
      expect(r.headers.get('www-authenticate')).toMatch(/^Bearer/);
    }
    expect(h.rig.calls.length).toBe(before);
  });

  it('accepts pause, resume, restart and identify with the token', async () => {
    h.rig.calls.length = 0;
    for (const p of ['pause', 'resume', 'restart', 'identify']) {
      const r = await h.http(`/api/system/${p}`, { method: 'POST', headers: auth });
      expect(r.status).toBe(200);
      expect(JSON.parse(r.text)).toEqual({ message: `${p} accepted` });
    }
    expect(h.rig.calls.map((c) => c.kind)).toEqual(['pause', 'resume', 'restart']);
  });

  it('PATCH maps AxeOS keys (incl. pyasic autoFanspeed) to applySettings', async () => {
    h.rig.calls.length = 0;
    const r = await h.http('/api/system', {
      method: 'PATCH',
      headers: { ...auth, 'Content-Type': 'application/json' },
      body: JSON.stringify({ frequency: 490, fanspeed: 80, autoFanspeed: 0, stratumUser: 'bc1qnew.worker' }),
    });
    expect(r.status).toBe(200);
    expect(h.rig.calls).toEqual([
      {
        kind: 'applySettings',
        patch: {
          frequencyMhz: 490,
          fan: { auto: false, speedPercent: 80 },
          pools: [
            { url: h.rig.state.pools[0]?.url, user: 'bc1qnew.worker', insecure: false },
            { url: h.rig.state.pools[1]?.url, user: 'bc1qworker.rig1', insecure: false },
          ],
        },
      },
    ]);
  });

  it('PATCH overheat_mode 0 with the token is the operator clear of the overheat latch', async () => {
    h.rig.calls.length = 0;
    const r = await h.http('/api/system', {
      method: 'PATCH',
      headers: { ...auth, 'Content-Type': 'application/json' },
      body: JSON.stringify({ overheat_mode: 0 }),
    });
    expect(r.status).toBe(200);
    expect(h.rig.calls).toEqual([{ kind: 'applySettings', patch: { overheatClear: true } }]);
  });

  it('PATCH answers 400 with the ConfigError message for bad values', async () => {
    const bad = async (body: string) => {
      const r = await h.http('/api/system', { method: 'PATCH', headers: auth, body });
      expect(r.status).toBe(400);
      return (JSON.parse(r.text) as { error: string }).error;
    };
    expect(await bad(JSON.stringify({ fanspeed: 150 }))).toBe(
      'fanspeed: expected a percentage 0..100, got 150',
    );
    expect(await bad(JSON.stringify({ frequency: 'fast' }))).toBe(
      'frequency: expected a positive number (MHz), got "fast"',
    );
    // The rig's own validation (ConfigError from applySettings) also becomes a 400.
    expect(await bad(JSON.stringify({ frequency: 5000 }))).toBe(
      'frequencyMhz: expected at most 1000 MHz for BM1370, got 5000',
    );
    expect(await bad('{not json')).toBe('body: expected JSON, got unparsable text');
    expect(await bad(JSON.stringify({ ssid: 'x' }))).toMatch(/^body: expected at least one of/);
    // A user longer than user_identity (STR0_255) carries: 128 characters, 256 bytes of UTF-8.
    const calls = h.rig.calls.length;
    expect(await bad(JSON.stringify({ stratumUser: 'é'.repeat(128) }))).toBe(
      'stratumUser: expected a user name of at most 255 bytes of UTF-8 (SV2 STR0_255), got 256 bytes',
    );
    expect(h.rig.calls.length).toBe(calls);
  });

  it('answers 404 for unknown paths and 405 for a wrong method', async () => {
    expect((await h.http('/api/nope')).status).toBe(404);
    expect((await h.http('/api/system/restart')).status).toBe(405);
  });
});

describe('metrics endpoints', () => {
  it('serves the exposition format at /metrics and /api/system/metrics', async () => {
    for (const path of ['/metrics', '/api/system/metrics']) {
      const r = await h.http(path);
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
      expect(r.text).toContain('espminer_hashrate_hashes_per_second 4220000000000\n');
    }
  });
});

describe('request targets the URL parser refuses', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h.close());

  /** One raw request over TCP; resolves with the status line. */
  const raw = (target: string): Promise<string> =>
    new Promise((resolve, reject) => {
      const { port, hostname } = new URL(h.base);
      const socket = connect({ port: Number(port), host: hostname }, () =>
        socket.write(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`),
      );
      let text = '';
      socket.on('data', (chunk: Buffer) => {
        text += chunk.toString('latin1');
      });
      socket.on('error', reject);
      socket.on('close', () => resolve(text.split('\r\n')[0] ?? ''));
    });

  it('answers `//` (found by the soak campaign: it used to throw out of the handler) and `*`, and keeps serving', async () => {
    expect(await raw('//')).toBe('HTTP/1.1 404 Not Found');
    expect(await raw('//api/system/info')).toBe('HTTP/1.1 404 Not Found');
    expect(await raw('*')).toBe('HTTP/1.1 400 Bad Request');
    expect((await h.http('/api/system/info')).status).toBe(200);
  });
});
