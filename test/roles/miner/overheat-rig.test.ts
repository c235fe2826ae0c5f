/**
 * The overheat latch on a running daemon (sim-bm1370-1, embedded pool): a chip over shutdownC
 * stops hashing within a second and is latched on disk and in the APIs; it resumes only below
 * resumeC and after the hold (the clock is skewed past it), or with requireClear only after the
 * operator's clear; a daemon started latched never touches the chips until then.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { boardById } from '../../../boards/registry.js';
import type { ThermalReader } from '../../../drivers/peripherals/thermal.js';
import { tappedLink } from '../../../drivers/transport/tapped-link.js';
import { systemInfo } from '../../../src/api/axeos.js';
import { renderMetrics } from '../../../src/api/metrics.js';
import type { Config } from '../../../src/config/schema.js';
import { ConfigError } from '../../../src/errors.js';
import { composeMiner } from '../../../src/roles/miner/compose.js';
import { type Clock, systemClock } from '../../../src/time/clock.js';
import { simConfig, stopMiner } from '../../helpers/sim-rig.js';
import { until } from '../../helpers/wait.js';

const host = { macAddr: '00:00:00:00:00:00', ipv4: '127.0.0.1' };
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Real timers, with a time offset the test moves forward to pass the latch's hold. */
function skewedClock(): Clock & { skip(ms: number): void } {
  let offset = 0;
  return {
    now: () => performance.now() + offset,
    setTimer: systemClock.setTimer,
    clearTimer: systemClock.clearTimer,
    skip: (ms) => {
      offset += ms;
    },
  };
}

/** A chip sensor whose temperature the test sets. */
function sensor(celsius: number): ThermalReader & { celsius: number | undefined } {
  return {
    label: 'asic',
    celsius,
    async read() {
      return this.celsius;
    },
  };
}

function rig(o: {
  stateDir: string;
  reader: ThermalReader;
  clock: Clock;
  thermal?: Partial<Config['thermal']>;
}) {
  const base = simConfig({ board: 'sim-bm1370-1', stateDir: o.stateDir });
  const writes = { count: 0 };
  const miner = composeMiner({
    config: { ...base, thermal: { ...base.thermal, ...o.thermal } },
    board: boardById('sim-bm1370-1'),
    configDir: o.stateDir,
    clock: o.clock,
    thermalReaders: [o.reader],
    wrapLink: (link) =>
      tappedLink(link, () => {
        writes.count++;
      }),
  });
  cleanups.push(() => stopMiner(miner));
  return { miner, writes };
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sv2miner-overheat-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const stateFile = (dir: string) =>
  JSON.parse(readFileSync(join(dir, 'overheat.json'), 'utf8')) as Record<string, unknown>;

describe('overheat latch on the running daemon', () => {
  it('trips within a second, holds below resumeC for the hold time, then resumes mining', async () => {
    const dir = tempDir();
    const clock = skewedClock();
    const asic = sensor(55);
    const { miner } = rig({ stateDir: dir, reader: asic, clock });
    await miner.start();
    await miner.ready;
    expect(await until(() => miner.snapshot().nonces > 0, 15_000)).toBe(true);

    const hotAt = performance.now();
    asic.celsius = 85;
    expect(await until(() => miner.snapshot().paused, 5_000, 5)).toBe(true);
    const stoppedAfterMs = performance.now() - hotAt;
    // One 500 ms sample period plus the pause itself.
    expect(stoppedAfterMs).toBeLessThan(1_000);
    const snap = miner.snapshot();
    expect(snap.chains[0]?.state).toBe('stopped');
    expect(snap.overheat).toMatchObject({
      latched: true,
      reason: 'chip 85.0 °C at or over thermal.shutdownC 80',
      trips: 1,
    });
    expect(stateFile(dir)).toMatchObject({
      latched: true,
      reason: 'chip 85.0 °C at or over thermal.shutdownC 80',
    });
    expect(systemInfo(snap, host)).toMatchObject({
      overheat_mode: 1,
      overheatReason: 'chip 85.0 °C at or over thermal.shutdownC 80',
      miningPaused: true,
      fanspeed: 100,
    });
    expect(renderMetrics(snap)).toMatch(/^sv2miner_overheat_mode 1$/m);
    expect(renderMetrics(snap)).toMatch(
      /^sv2miner_overheat_info\{reason="chip 85\.0 °C at or over thermal\.shutdownC 80"\} 1$/m,
    );
    // A deliberate stop is healthy: the watchdog keeps pinging.
    expect(miner.health()).toEqual({ ok: true });
    // The operator's resume does not override the latch.
    await expect(miner.resume()).rejects.toThrow(ConfigError);
    await expect(miner.resume()).rejects.toThrow(
      /^overheat_mode: expected the overheat latch released first/,
    );

    // Cooler, but not below resumeC (default shutdownC - 15 = 65): still latched.
    asic.celsius = 70;
    expect(
      await until(() => miner.snapshot().overheat?.waitingFor === 'chips below 65 °C (now 70.0)', 5_000, 10),
    ).toBe(true);
    asic.celsius = 50;
    expect(
      await until(
        () => /^the hold time \(\d+ s left\)$/.test(miner.snapshot().overheat?.waitingFor ?? ''),
        5_000,
        10,
      ),
    ).toBe(true);
    expect(miner.snapshot().paused).toBe(true);
    // Past the 60 s hold: the latch releases and the chips are brought back.
    clock.skip(61_000);
    expect(
      await until(() => !miner.snapshot().paused && miner.snapshot().chains[0]?.state === 'mining', 15_000),
    ).toBe(true);
    const before = miner.snapshot().nonces;
    expect(await until(() => miner.snapshot().nonces > before, 15_000)).toBe(true);
    expect(stateFile(dir)).toMatchObject({ latched: false, reason: null, trips: 1 });
    expect(systemInfo(miner.snapshot(), host)['overheat_mode']).toBe(0);
  }, 60_000);

  it('a restart comes back latched without touching the chips; with requireClear only the clear releases it', async () => {
    const dir = tempDir();
    const first = rig({
      stateDir: dir,
      reader: sensor(90),
      clock: skewedClock(),
      thermal: { requireClear: true },
    });
    await first.miner.start();
    expect(await until(() => first.miner.snapshot().overheat?.latched === true, 10_000, 10)).toBe(true);
    await stopMiner(first.miner);

    const clock = skewedClock();
    const asic = sensor(50);
    const second = rig({ stateDir: dir, reader: asic, clock, thermal: { requireClear: true } });
    await second.miner.start();
    // Up (READY) while latched: paused on purpose, healthy.
    await second.miner.ready;
    expect(second.miner.snapshot()).toMatchObject({ paused: true, overheat: { latched: true } });
    expect(second.miner.health()).toEqual({ ok: true });
    // Cool and hours later, still nothing: the clear is required.
    clock.skip(3 * 3_600_000);
    expect(
      await until(
        () =>
          second.miner.snapshot().overheat?.waitingFor ===
          'an operator clear (PATCH /api/system {"overheat_mode":0})',
        5_000,
        10,
      ),
    ).toBe(true);
    expect(second.writes.count).toBe(0);
    expect(second.miner.snapshot().paused).toBe(true);

    // The operator clears it while the chips are hot: nothing until they cool.
    asic.celsius = 70;
    await second.miner.applySettings({ overheatClear: true });
    expect(stateFile(dir)).toMatchObject({ latched: true, cleared: true });
    expect(
      await until(
        () => second.miner.snapshot().overheat?.waitingFor?.startsWith('chips below') === true,
        5_000,
        10,
      ),
    ).toBe(true);
    expect(second.writes.count).toBe(0);
    asic.celsius = 50;
    expect(await until(() => second.miner.snapshot().nonces > 0, 20_000)).toBe(true);
    expect(second.writes.count).toBeGreaterThan(0);
    expect(second.miner.snapshot().overheat).toMatchObject({ latched: false });
    expect(stateFile(dir)).toMatchObject({ latched: false });
  }, 60_000);

  it('unreadable chip sensors for maxBadReadings samples latch too', async () => {
    const dir = tempDir();
    const asic = sensor(55);
    const { miner } = rig({ stateDir: dir, reader: asic, clock: skewedClock() });
    await miner.start();
    await miner.ready;
    asic.celsius = undefined;
    expect(await until(() => miner.snapshot().paused, 5_000, 10)).toBe(true);
    expect(miner.snapshot().overheat?.reason).toBe('no chip temperature for 3 samples in a row');
    expect(systemInfo(miner.snapshot(), host)).toMatchObject({ overheat_mode: 1, fanspeed: 100 });
  }, 30_000);
});
