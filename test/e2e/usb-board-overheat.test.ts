/**
 * The overheat latch on the simulated bitaxe-gamma-usb over real ptys (control port with its
 * TPS546 and EMC2101 at register level, data port with one BM1370): a regulator fault latches
 * (state file, overheat_mode, fan 100 %, rail off); `sv2miner run` started again on the same
 * state never switches the rail on while latched (thermal.requireClear); the operator's clear
 * brings the board up and mining; then the regulator's own temperature over thermal.vrShutdownC
 * latches again within a second.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SIM_DEFAULTS } from '../../drivers/sim/sim-chain.js';
import { type PtyServer, servePty } from '../../drivers/sim/sim-pty.js';
import { createSimUsbBoard } from '../../drivers/sim/sim-usb-board.js';
import { systemInfo } from '../../src/api/axeos.js';
import { SIM_TIMING } from '../../src/roles/miner/compose-board.js';
import { runMiner } from '../../src/roles/miner/main.js';
import type { Miner } from '../../src/roles/miner/miner.js';
import { simConfigInput } from '../helpers/sim-rig.js';

const hasPython = spawnSync('python3', ['-c', 'import os; os.openpty()'], { stdio: 'ignore' }).status === 0;
if (!hasPython) console.warn('\n!!! USB board overheat end-to-end SKIPPED: python3 is not installed !!!\n');

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
const host = { macAddr: '00:00:00:00:00:00', ipv4: '127.0.0.1' };
const OPERATION_ON = '0180';

describe.skipIf(!hasPython)('overheat latch on the simulated bitaxe-gamma-usb', () => {
  it('a regulator fault latches across a restart; the clear powers up; the VR limit latches within a second', async () => {
    const trace: { addr: number; write: string }[] = [];
    const sim = createSimUsbBoard({
      board: (await import('../../boards/usb-bridge.js')).bitaxeGammaUsb,
      chain: { model: 'BM1370', chipCount: 1, hashrate: SIM_DEFAULTS.hashrate, simTargetShift: 24 },
      trace: (line) => trace.push(JSON.parse(line) as { addr: number; write: string }),
    });
    // The python relay holds the pty's other end itself, so the second run can reopen the paths.
    const control: PtyServer = await servePty(sim.bridge, { relay: 'python3' });
    cleanups.push(() => control.close());
    const data: PtyServer = await servePty(sim.chain, { relay: 'python3' });
    cleanups.push(() => data.close());
    const dir = mkdtempSync(join(tmpdir(), 'sv2miner-usb-overheat-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const input = simConfigInput({
      board: 'bitaxe-gamma-usb',
      stateDir: join(dir, 'state'),
      logLevel: 'info',
    });
    writeFileSync(
      join(dir, 'default.json'),
      JSON.stringify({
        ...input,
        thermal: { ...(input['thermal'] as object), requireClear: true },
        fan: { auto: false, speedPercent: 40 },
      }),
    );
    const args = [
      '--config-dir',
      dir,
      '--for',
      '600',
      '--no-api',
      '--control-port',
      control.path,
      '--data-port',
      data.path,
    ];
    const run = (onMiner: (miner: Miner, stop: () => void) => void) =>
      runMiner(
        args,
        { out: () => {}, err: () => {} },
        {
          // The simulated chips lock their PLL at once: no ESP-Miner ramp pacing (drivers test it).
          miner: { timing: SIM_TIMING },
          onMiner: (miner) => onMiner(miner, () => process.emit('SIGINT', 'SIGINT')),
        },
      );
    const poll = (fn: () => boolean, ms: number, done: () => void) => {
      const deadline = performance.now() + ms;
      const timer = setInterval(() => {
        if (!fn() && performance.now() < deadline) return;
        clearInterval(timer);
        done();
      }, 10);
    };

    // Run 1: mining, then an over-current fault.
    let info1: Record<string, unknown> | undefined;
    let faultToPausedMs: number | undefined;
    await run((miner, stop) => {
      let injectedAt = 0;
      poll(
        () => {
          const snap = miner.snapshot();
          if (injectedAt === 0 && snap.nonces > 0) {
            injectedAt = performance.now();
            sim.regulator?.inject('iout_oc_fault');
          }
          if (injectedAt === 0 || !snap.paused || snap.overheat?.latched !== true) return false;
          faultToPausedMs ??= performance.now() - injectedAt;
          info1 = systemInfo(snap, host);
          return sim.fan?.duty === 1;
        },
        30_000,
        stop,
      );
    });
    expect(faultToPausedMs).toBeLessThan(1_000);
    const reason = 'regulator fault (iout, power_not_good, off, iout_oc_fault)';
    expect(info1).toMatchObject({ overheat_mode: 1, overheatReason: reason, fanspeed: 100 });
    expect(sim.fan?.duty).toBe(1);
    expect(sim.regulator?.on).toBe(false);
    expect(JSON.parse(readFileSync(join(dir, 'state', 'overheat.json'), 'utf8'))).toMatchObject({
      latched: true,
      reason,
    });

    // Run 2: comes up latched; the rail stays off until the operator's clear, then it mines.
    const firstRunWrites = trace.length;
    let railOnWhileLatched = false;
    let clearedAtWrite = 0;
    let waited: string | null | undefined;
    let noncesAfterClear = 0;
    let vrToPausedMs: number | undefined;
    let info2: Record<string, unknown> | undefined;
    await run((miner, stop) => {
      let phase: 'latched' | 'cleared' | 'vr' = 'latched';
      let readyAt = 0;
      let vrAt = 0;
      void miner.ready.then(() => {
        readyAt = performance.now();
      });
      poll(
        () => {
          const snap = miner.snapshot();
          if (phase === 'latched') {
            railOnWhileLatched ||= sim.regulator?.on === true;
            // Three seconds up and latched (six thermal samples), then the clear.
            if (readyAt === 0 || performance.now() - readyAt < 3_000) return false;
            waited = snap.overheat?.waitingFor;
            clearedAtWrite = trace.length;
            phase = 'cleared';
            void miner.applySettings({ overheatClear: true });
            return false;
          }
          if (phase === 'cleared') {
            if (snap.nonces === 0 || snap.paused) return false;
            noncesAfterClear = snap.nonces;
            phase = 'vr';
            vrAt = performance.now();
            if (sim.regulator) sim.regulator.temperatureC = 110;
            return false;
          }
          if (!snap.paused || snap.overheat?.latched !== true) return false;
          vrToPausedMs ??= performance.now() - vrAt;
          info2 = systemInfo(snap, host);
          return true;
        },
        60_000,
        stop,
      );
    });
    expect(railOnWhileLatched).toBe(false);
    expect(waited).toBe('an operator clear (PATCH /api/system {"overheat_mode":0})');
    // While latched, the host never wrote OPERATION on to the TPS546 (0x24 = 36).
    const isOn = (t: { addr: number; write: string }) => t.addr === 36 && t.write === OPERATION_ON;
    expect(clearedAtWrite).toBeGreaterThan(firstRunWrites);
    expect(trace.slice(firstRunWrites, clearedAtWrite).some(isOn)).toBe(false);
    // The latched start did talk to the board: the fan to 100 % (EMC2101 FAN_SETTING 63 at 0x4C = 76).
    expect(trace.slice(firstRunWrites, clearedAtWrite).some((t) => t.addr === 76 && t.write === '4c3f')).toBe(
      true,
    );
    expect(trace.slice(clearedAtWrite).some(isOn)).toBe(true);
    expect(noncesAfterClear).toBeGreaterThan(0);
    expect(vrToPausedMs).toBeLessThan(1_000);
    expect(info2).toMatchObject({
      overheat_mode: 1,
      overheatReason: 'regulator 110.0 °C at or over thermal.vrShutdownC 105',
      fanspeed: 100,
    });
    expect(sim.regulator?.on).toBe(false);
  }, 150_000);
});
