import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { boardById } from '../../../boards/registry.js';
import { SimBinding } from '../../../drivers/sim/sim-binding.js';
import { LogTap } from '../../../src/app/log-tap.js';
import { ConfigError } from '../../../src/errors.js';
import { composeMiner } from '../../../src/roles/miner/compose.js';
import type { Miner } from '../../../src/roles/miner/miner.js';
import { simConfig, stopMiner } from '../../helpers/sim-rig.js';
import { until } from '../../helpers/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'sv2miner-control-'));
const local = join(dir, 'local.json');
const readLocal = (): unknown => JSON.parse(readFileSync(local, 'utf8'));

let miner: Miner;
const tap = new LogTap(() => {});
const lines: string[] = [];

beforeAll(async () => {
  tap.onLine((l) => lines.push(l));
  miner = composeMiner({
    config: simConfig({ board: 'sim-bm1370-1', logLevel: 'info', stateDir: join(dir, 'state') }),
    board: boardById('sim-bm1370-1'),
    configDir: dir,
    log: pino({ level: 'info' }, tap),
    logTap: tap,
  });
  await miner.start();
  await miner.ready;
}, 30_000);

afterAll(async () => {
  await stopMiner(miner);
  rmSync(dir, { recursive: true, force: true });
});

describe('RigControl on the running demo', () => {
  it('serves recent log lines and streams new ones', () => {
    const recent = miner.recentLogs();
    expect(
      recent.some((l) => JSON.parse(l).msg === 'no pools configured: mining on the embedded local pool'),
    ).toBe(true);
    expect(lines.length).toBe(recent.length);
  });

  it('applies a frequency on the running chain and persists it to local.json', async () => {
    await miner.applySettings({ frequencyMhz: 400 });
    const s = miner.snapshot();
    expect(s.frequencyMhz).toBe(400);
    // The PLL reaches 400 MHz exactly on the BM1370's 25 MHz reference grid (bm13xx.md §5).
    expect(s.chains[0]?.frequencyMhz).toBeCloseTo(400, 0);
    expect(readLocal()).toEqual({ frequencyMhz: 400 });
  });

  it('refuses a bad value with the config schema message and persists nothing', async () => {
    await expect(miner.applySettings({ frequencyMhz: 9999 })).rejects.toThrow(ConfigError);
    await expect(miner.applySettings({ frequencyMhz: 9999 })).rejects.toThrow(
      'frequencyMhz: expected at most 625 MHz for board sim-bm1370-1, got 9999',
    );
    expect(readLocal()).toEqual({ frequencyMhz: 400 });
  });

  it('refuses a pool user longer than user_identity (STR0_255) carries, and persists nothing', async () => {
    const key = miner.localPool?.authorityPublicKey ?? '';
    const url = `stratum2+tcp://127.0.0.1:1/${key}`;
    // 128 characters, 256 bytes of UTF-8.
    await expect(miner.applySettings({ pools: [{ url, user: 'é'.repeat(128) }] })).rejects.toThrow(
      /^pools\[0\]\.user: expected a user name of at most 255 bytes of UTF-8 \(SV2 STR0_255\), got "é+\.\.\."$/,
    );
    await expect(miner.addPool({ url, user: 'é'.repeat(128) })).rejects.toThrow(ConfigError);
    expect(readLocal()).toEqual({ frequencyMhz: 400 });
    expect(miner.snapshot().pools.map((p) => p.user)).toEqual(['sv2miner.local']);
  });

  it('adds, disables and removes a pool; only configured pools are persisted', async () => {
    const key = miner.localPool?.authorityPublicKey ?? '';
    // Port 1 on loopback: nothing listens, so this pool only ever fails over.
    const url = `stratum2+tcp://127.0.0.1:1/${key}`;
    await expect(miner.addPool({ url: 'http://nope', user: 'x' })).rejects.toThrow(
      /^pools\[0\]\.url: expected stratum2\+tcp:\/\/host:port\/<authority key>, got "http:\/\/nope"$/,
    );
    await miner.addPool({ url, user: 'backup' });
    expect(miner.snapshot().pools.map((p) => [p.index, p.url, p.user])).toEqual([
      [0, miner.localPool?.url, 'sv2miner.local'],
      [1, url, 'backup'],
    ]);
    expect(readLocal()).toEqual({ frequencyMhz: 400, pools: [{ url, user: 'backup' }] });
    await miner.setPoolEnabled(1, false);
    expect(miner.snapshot().pools[1]).toMatchObject({
      enabled: false,
      state: 'disabled',
      host: '127.0.0.1',
      port: 1,
    });
    // The embedded pool is still first and mining again after the client rebuild.
    expect(await until(() => miner.snapshot().pools[0]?.state === 'mining', 10_000)).toBe(true);
    await miner.removePool(1);
    expect(miner.snapshot().pools).toHaveLength(1);
    expect(readLocal()).toEqual({ frequencyMhz: 400, pools: [] });
  }, 20_000);

  it('pause holds the chips in reset; resume brings them back to work', async () => {
    await miner.pause();
    let s = miner.snapshot();
    expect(s.paused).toBe(true);
    expect(s.chains[0]?.state).toBe('stopped');
    expect(SimBinding.getChain('sim:sim-bm1370-1:0')?.chips[0]?.address).toBe(0);
    expect(miner.health()).toEqual({ ok: true });
    await miner.resume();
    s = miner.snapshot();
    expect(s.paused).toBe(false);
    expect(s.chains[0]?.state).toBe('mining');
    // A fresh rig: its counters restart, and work reaches it again.
    expect(await until(() => (miner.snapshot().chains[0]?.jobsSent ?? 0) > 0, 10_000)).toBe(true);
    expect(await until(() => miner.snapshot().nonces > 0, 15_000)).toBe(true);
  }, 30_000);

  it('restart re-initialises the chains and reconnects the pool in-process', async () => {
    const connections = miner.localPool?.stats().connectionsTotal ?? 0;
    await miner.restart();
    expect(miner.snapshot().chains[0]?.state).toBe('mining');
    expect(await until(() => (miner.localPool?.stats().connectionsTotal ?? 0) > connections, 10_000)).toBe(
      true,
    );
    expect(await until(() => miner.snapshot().pools[0]?.state === 'mining', 10_000)).toBe(true);
    expect(await until(() => (miner.snapshot().chains[0]?.jobsSent ?? 0) > 0, 10_000)).toBe(true);
  }, 30_000);
});
