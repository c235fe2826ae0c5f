import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SimBinding } from '../../drivers/sim/sim-binding.js';
import { runMiner } from '../../src/cli/commands/run.js';
import type { Miner } from '../../src/daemon/miner.js';
import { simConfigInput } from '../helpers/sim-rig.js';
import { type FakeSystemd, fakeSystemd } from './fake-systemd.js';

function configDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sv2miner-notify-run-'));
  const config = simConfigInput({ board: 'sim-bm1370-1', stateDir: join(dir, 'state') });
  writeFileSync(join(dir, 'default.json'), JSON.stringify(config));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
  SimBinding.reset();
});

const quiet = { out: () => {}, err: () => {} };

describe('systemd notify protocol, end to end', () => {
  let systemd: FakeSystemd;

  it('READY once mining, WATCHDOG at half WatchdogSec while healthy, STOPPING on stop', async () => {
    systemd = await fakeSystemd();
    cleanups.push(() => systemd.close());
    let miner: Miner | undefined;
    let readyAt = Number.POSITIVE_INFINITY;
    const code = await runMiner(['--config-dir', configDir(), '--for', '5', '--no-api'], quiet, {
      processHooks: false,
      env: { NOTIFY_SOCKET: systemd.path, WATCHDOG_USEC: '1000000' },
      onMiner: (m) => {
        miner = m;
        void m.ready.then(() => {
          readyAt = performance.now();
        });
      },
    });
    expect(code).toBe(0);
    const texts = systemd.received.map((d) => d.text);
    // READY=1 comes first, with a STATUS line, and only after chains and pool were mining.
    expect(texts[0]).toMatch(/^READY=1\nSTATUS=\[sv2miner\] .* \| pool 127\.0\.0\.1:\d+ mining \| up /);
    expect(systemd.received[0]?.at ?? 0).toBeGreaterThanOrEqual(readyAt);
    expect(miner?.snapshot().nonces).toBeGreaterThan(0);
    // Pings every 500 ms for ~4 s of mining.
    const pings = texts.filter((t) => t === 'WATCHDOG=1').length;
    expect(pings).toBeGreaterThanOrEqual(5);
    expect(texts.at(-1)).toBe('STOPPING=1');
    expect(texts.filter((t) => t.startsWith('READY=1'))).toHaveLength(1);
  }, 30_000);

  it('stops pinging when the chips are stuck', async () => {
    systemd = await fakeSystemd();
    cleanups.push(() => systemd.close());
    let stuckAt = Number.POSITIVE_INFINITY;
    const code = await runMiner(['--config-dir', configDir(), '--for', '11', '--no-api'], quiet, {
      processHooks: false,
      env: { NOTIFY_SOCKET: systemd.path, WATCHDOG_USEC: '1000000' },
      miner: { chainDeadlineMs: 1_500 },
      onMiner: (m) => {
        // Once it has mined (a nonce came back, so `--for` may exit 0) and pinged for a second,
        // assert NRST behind the daemon's back: the chips forget everything and stop hashing.
        void m.ready.then(async () => {
          const minedAt = performance.now() + 1_000;
          while (m.snapshot().nonces === 0 || performance.now() < minedAt)
            await new Promise((r) => setTimeout(r, 50));
          SimBinding.getChain('sim:sim-bm1370-1:0')?.reset();
          stuckAt = performance.now();
        });
      },
    });
    expect(code).toBe(0);
    const pings = systemd.received.filter((d) => d.text === 'WATCHDOG=1');
    expect(pings.some((p) => p.at < stuckAt)).toBe(true);
    // Deadline 1.5 s + one 0.5 s ping period + the 1 s progress poll, plus slack for the python
    // receiver's timestamps under load: then silence for the rest of the run (a healthy
    // daemon would send ~6 pings in that window).
    const late = pings.filter((p) => p.at > stuckAt + 4_000);
    expect(late).toEqual([]);
    expect(systemd.received.at(-1)?.at ?? 0).toBeGreaterThan(stuckAt + 5_000);
    expect(systemd.received.at(-1)?.text).toBe('STOPPING=1');
  }, 30_000);
});
