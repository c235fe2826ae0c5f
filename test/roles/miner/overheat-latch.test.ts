/**
 * The overheat latch (overheat-latch.ts): persisted before it resolves, loaded latched after a
 * restart, released only below the resume temperatures, after the hold (doubling on repeats) or
 * an operator clear, and with requireClear only after one.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLog } from '../../../src/log.js';
import { OverheatLatch } from '../../../src/roles/miner/overheat-latch.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function statePath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sv2miner-latch-'));
  dirs.push(dir);
  return join(dir, 'state', 'overheat.json');
}
const limits = { resumeC: 65, vrResumeC: 90, requireClear: false };
const cool = { chipC: 50, vrC: 60 };

describe('OverheatLatch', () => {
  it('a trip is on disk when trip() resolves, and a new process loads it latched', async () => {
    const path = statePath();
    let wall = Date.parse('2026-12-07T23:00:00Z');
    const latch = await OverheatLatch.load({ path, limits, log: silentLog, now: 0, wallNow: () => wall });
    expect(latch.latched).toBe(false);
    expect(await latch.trip('chip 82.0 °C over thermal.shutdownC 80', 1_000)).toBe(true);
    // A second cause while latched keeps the first reason.
    expect(await latch.trip('regulator fault (ot_fault)', 1_100)).toBe(false);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({
      latched: true,
      reason: 'chip 82.0 °C over thermal.shutdownC 80',
      since: '2026-12-07T23:00:00.000Z',
      cleared: false,
      trips: 1,
      lastTripAt: wall,
    });
    wall += 10_000;
    const again = await OverheatLatch.load({ path, limits, log: silentLog, now: 5, wallNow: () => wall });
    expect(again.snapshot()).toMatchObject({
      latched: true,
      reason: 'chip 82.0 °C over thermal.shutdownC 80',
    });
    // The hold restarts with the new process: 60 s from its start, not from the old trip.
    expect(again.mayResume(cool, 60_004)).toBe(false);
    expect(again.snapshot().waitingFor).toBe('the hold time (1 s left)');
    expect(again.mayResume(cool, 60_005)).toBe(true);
    await again.release();
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({ latched: false, reason: null, trips: 1 });
  });

  it('resumes only below resumeC and the regulator resume point; unreadable chips are not cool', async () => {
    const latch = await OverheatLatch.load({ path: statePath(), limits, log: silentLog, now: 0 });
    await latch.trip('over temperature', 0);
    const later = 120_000;
    expect(latch.mayResume({ chipC: 65, vrC: 60 }, later)).toBe(false);
    expect(latch.snapshot().waitingFor).toBe('chips below 65 °C (now 65.0)');
    expect(latch.mayResume({ chipC: undefined, vrC: 60 }, later)).toBe(false);
    expect(latch.snapshot().waitingFor).toBe('a chip temperature reading');
    expect(latch.mayResume({ chipC: 64.9, vrC: 95 }, later)).toBe(false);
    expect(latch.snapshot().waitingFor).toBe('regulator below 90 °C (now 95.0)');
    expect(latch.mayResume({ chipC: 64.9, vrC: undefined }, later)).toBe(false);
    // A board without that sensor has nothing to wait for.
    expect(latch.mayResume({ chipC: 64.9, vrC: null }, later)).toBe(true);
    expect(latch.mayResume({ chipC: null, vrC: null }, later)).toBe(true);
  });

  it('with requireClear it waits for the operator, whose clear also skips the hold but never the temperature', async () => {
    const latch = await OverheatLatch.load({
      path: statePath(),
      limits: { ...limits, requireClear: true },
      log: silentLog,
      now: 0,
    });
    await latch.trip('regulator fault (iout_oc_fault)', 0);
    expect(latch.mayResume(cool, 10 * 3_600_000)).toBe(false);
    expect(latch.snapshot().waitingFor).toBe('an operator clear (PATCH /api/system {"overheat_mode":0})');
    await latch.clear();
    expect(latch.mayResume({ chipC: 70, vrC: 60 }, 1_000)).toBe(false);
    expect(latch.mayResume(cool, 1_000)).toBe(true);
  });

  it('the hold doubles for trips within an hour of each other, capped at an hour', async () => {
    let wall = 1_000_000;
    const latch = await OverheatLatch.load({
      path: statePath(),
      limits,
      log: silentLog,
      now: 0,
      wallNow: () => wall,
    });
    const holds: number[] = [];
    for (let i = 0; i < 8; i++) {
      await latch.trip('over temperature', 0);
      holds.push(latch.holdMs() / 1000);
      await latch.release();
      wall += 10 * 60_000;
    }
    expect(holds).toEqual([60, 120, 240, 480, 960, 1920, 3600, 3600]);
    wall += 2 * 3_600_000;
    await latch.trip('over temperature', 0);
    expect(latch.holdMs()).toBe(60_000);
  });

  it('a state file that is not a latch state loads latched, with the reason', async () => {
    const path = statePath();
    await (await OverheatLatch.load({ path, limits, log: silentLog, now: 0 })).trip('x', 0);
    writeFileSync(path, '{"latched": "yes"');
    const latch = await OverheatLatch.load({ path, limits, log: silentLog, now: 0 });
    expect(latch.latched).toBe(true);
    expect(latch.reason).toMatch(
      /^overheat state .*overheat\.json unreadable \(not a latch state\): treated as latched$/,
    );
  });
});
