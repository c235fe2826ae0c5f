import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SimBinding } from '../../drivers/sim/sim-binding.js';
import { runMiner } from '../../src/roles/miner/main.js';
import type { Miner } from '../../src/roles/miner/miner.js';
import { simConfigInput } from '../helpers/sim-rig.js';
import { until } from '../helpers/wait.js';
import { type FakeSystemd, fakeSystemd } from '../roles/miner/fake-systemd.js';

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

/**
 * Ends a `run` the way systemd does, once the test has seen what it waits for: SIGTERM to the
 * handlers the run installed, delivered in-process so no real signal is needed.
 */
function stopWhen(cond: () => boolean, onTimeout: () => void, ms = 20_000): void {
  const deadline = performance.now() + ms;
  const poll = setInterval(() => {
    if (!cond() && performance.now() < deadline) return;
    clearInterval(poll);
    if (!cond()) onTimeout();
    process.emit('SIGTERM', 'SIGTERM');
  }, 50);
}

describe('systemd notify protocol, end to end', () => {
  let systemd: FakeSystemd;
  /** Waits for the receiver to have printed `text` as its latest datagram. */
  const systemdSaw = async (text: string): Promise<void> => {
    expect(await until(() => systemd.received.at(-1)?.text === text, 5_000, 10)).toBe(true);
  };

  it('READY once mining, WATCHDOG at half WatchdogSec while healthy, STOPPING on stop', async () => {
    systemd = await fakeSystemd();
    cleanups.push(() => systemd.close());
    let miner: Miner | undefined;
    let readyAt = Number.POSITIVE_INFINITY;
    let timedOut = false;
    const pings = () => systemd.received.filter((d) => d.text === 'WATCHDOG=1').length;
    const code = await runMiner(['--config-dir', configDir(), '--for', '60', '--no-api'], quiet, {
      env: { NOTIFY_SOCKET: systemd.path, WATCHDOG_USEC: '400000' },
      onMiner: (m) => {
        miner = m;
        void m.ready.then(() => {
          readyAt = performance.now();
          // Five pings of a healthy daemon (one every 200 ms), then systemd stops it.
          stopWhen(
            () => pings() >= 5 && m.snapshot().nonces > 0,
            () => {
              timedOut = true;
            },
          );
        });
      },
    });
    const stoppedAt = performance.now();
    expect(timedOut).toBe(false);
    expect(code).toBe(0);
    await systemdSaw('STOPPING=1');
    const texts = systemd.received.map((d) => d.text);
    // READY=1 comes first, with a STATUS line, and only after chains and pool were mining.
    expect(texts[0]).toMatch(/^READY=1\nSTATUS=\[sv2miner\] .* \| pool 127\.0\.0\.1:\d+ mining \| up /);
    expect(systemd.received[0]?.at ?? 0).toBeGreaterThanOrEqual(readyAt);
    expect(miner?.snapshot().nonces).toBeGreaterThan(0);
    // Every 200 ms (half WatchdogSec): at least the five waited for, and never more than the time
    // since READY allows (interval timers cannot fire early; a loaded machine only makes them late).
    expect(pings()).toBeGreaterThanOrEqual(5);
    expect(pings()).toBeLessThanOrEqual(Math.floor((stoppedAt - readyAt) / 200) + 1);
    expect(texts.at(-1)).toBe('STOPPING=1');
    expect(texts.filter((t) => t.startsWith('READY=1'))).toHaveLength(1);
  }, 30_000);

  it('stops pinging when the chips are stuck', async () => {
    systemd = await fakeSystemd();
    cleanups.push(() => systemd.close());
    // Every health verdict the watchdog asked for, in order (it is the only caller of health()).
    const verdicts: boolean[] = [];
    /** How many verdicts there were when the chips were stuck (-1 before). */
    let stuckAfter = -1;
    /**
     * Where the verdicts after the reset turned unhealthy for the last time (-1: not yet). Nonces
     * already on their way when the chips were reset can still count as progress once.
     */
    const turned = () => {
      if (stuckAfter < 0 || verdicts.at(-1) !== false) return -1;
      const lastOk = verdicts.lastIndexOf(true);
      return Math.max(lastOk + 1, stuckAfter);
    };
    let timedOut = false;
    const code = await runMiner(['--config-dir', configDir(), '--for', '60', '--no-api'], quiet, {
      env: { NOTIFY_SOCKET: systemd.path, WATCHDOG_USEC: '400000' },
      miner: { chainDeadlineMs: 1_500 },
      onMiner: (m) => {
        const health = m.health.bind(m);
        m.health = () => {
          const h = health();
          verdicts.push(h.ok);
          return h;
        };
        // Once it has mined (a nonce came back, so the run may exit 0) and pinged twice, assert
        // NRST behind the daemon's back: the chips forget everything and stop hashing.
        void m.ready.then(async () => {
          await until(() => m.snapshot().nonces > 0 && verdicts.filter((ok) => ok).length >= 2, 20_000, 20);
          SimBinding.getChain('sim:sim-bm1370-1:0')?.reset();
          stuckAfter = verdicts.length;
          // Five watchdog periods (a second) of verdicts after it turned, then systemd stops it.
          stopWhen(
            () => turned() >= 0 && verdicts.length - turned() >= 5,
            () => {
              timedOut = true;
            },
          );
        });
      },
    });
    expect(stuckAfter).toBeGreaterThanOrEqual(2);
    expect(timedOut).toBe(false);
    expect(code).toBe(0);
    // After the chips stuck the daemon turned unhealthy and stayed so: five verdicts in a row
    // (a second of watchdog periods) to the end of the run. Before that a starved machine may
    // miss a deadline and recover; that is the rule working.
    expect(turned()).toBeGreaterThanOrEqual(stuckAfter);
    expect(verdicts.length - turned()).toBeGreaterThanOrEqual(5);
    // One ping per healthy verdict and none for an unhealthy one (the datagrams are all in: the
    // run sent STOPPING=1 after the last of them).
    await systemdSaw('STOPPING=1');
    const pings = systemd.received.filter((d) => d.text === 'WATCHDOG=1');
    expect(pings).toHaveLength(verdicts.filter((ok) => ok).length);
  }, 40_000);

  it('keeps pinging while the overheat latch holds the chips off, past every chip deadline', async () => {
    systemd = await fakeSystemd();
    cleanups.push(() => systemd.close());
    const asic = {
      label: 'asic',
      celsius: 55,
      async read(): Promise<number> {
        return this.celsius;
      },
    };
    const verdicts: boolean[] = [];
    let latchedAt = -1;
    let timedOut = false;
    let miner: Miner | undefined;
    const code = await runMiner(['--config-dir', configDir(), '--for', '60', '--no-api'], quiet, {
      env: { NOTIFY_SOCKET: systemd.path, WATCHDOG_USEC: '400000' },
      // Short chip deadlines (work 1.5 s, nonces 20 x 0.26 s = 5.2 s) that a paused rig would miss.
      miner: { chainDeadlineMs: 1_500, thermalReaders: [asic] },
      onMiner: (m) => {
        miner = m;
        const health = m.health.bind(m);
        m.health = () => {
          const h = health();
          verdicts.push(h.ok);
          return h;
        };
        void m.ready.then(async () => {
          await until(() => m.snapshot().nonces > 0 && verdicts.filter((ok) => ok).length >= 2, 20_000, 20);
          asic.celsius = 90;
          await until(() => m.snapshot().overheat?.latched === true && m.snapshot().paused, 5_000, 10);
          latchedAt = verdicts.length;
          // Eight seconds of watchdog periods (200 ms) with the chips off, then systemd stops it.
          stopWhen(
            () => latchedAt >= 0 && verdicts.length - latchedAt >= 40,
            () => {
              timedOut = true;
            },
          );
        });
      },
    });
    expect(timedOut).toBe(false);
    expect(code).toBe(0);
    expect(latchedAt).toBeGreaterThan(0);
    expect(miner?.snapshot().overheat).toMatchObject({
      latched: true,
      reason: 'chip 90.0 °C at or over thermal.shutdownC 80',
    });
    expect(miner?.snapshot().chains[0]?.state).toBe('stopped');
    // Every verdict while latched was healthy, and each one sent its ping.
    expect(verdicts.slice(latchedAt)).not.toContain(false);
    expect(verdicts.length - latchedAt).toBeGreaterThanOrEqual(40);
    await systemdSaw('STOPPING=1');
    const pings = systemd.received.filter((d) => d.text === 'WATCHDOG=1');
    expect(pings).toHaveLength(verdicts.filter((ok) => ok).length);
  }, 60_000);
});
