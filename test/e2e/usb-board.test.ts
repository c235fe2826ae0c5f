/**
 * The whole USB path against real ttys: the simulated bitaxe-gamma-usb (bitaxe-raw control port
 * with its TPS546 and EMC2101 at register level, data port with one BM1370) served on two ptys,
 * and `sv2miner run --board bitaxe-gamma-usb --control-port --data-port --sim-target-shift`
 * powering it up through its own drivers, enumerating the chip and mining until a share is
 * accepted by the embedded pool.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SIM_DEFAULTS } from '../../drivers/sim/sim-chain.js';
import { type PtyServer, servePty } from '../../drivers/sim/sim-pty.js';
import { createSimUsbBoard } from '../../drivers/sim/sim-usb-board.js';
import { systemInfo } from '../../src/api/axeos.js';
import { renderMetrics } from '../../src/api/metrics.js';
import { SIM_TIMING } from '../../src/roles/miner/compose-board.js';
import { runMiner } from '../../src/roles/miner/main.js';
import { simConfigInput } from '../helpers/sim-rig.js';

const hasRelay =
  spawnSync('socat', ['-V'], { stdio: 'ignore' }).status === 0 ||
  spawnSync('python3', ['-c', 'import os; os.openpty()'], { stdio: 'ignore' }).status === 0;
if (!hasRelay)
  console.warn('\n!!! USB board end-to-end SKIPPED: neither socat nor python3 is installed !!!\n');

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe.skipIf(!hasRelay)('sv2miner run on the simulated bitaxe-gamma-usb over ptys', () => {
  it('powers the board up through the control port, enumerates the BM1370 and gets shares accepted', async () => {
    // Ticket difficulty 256 relaxed by 2^24: about four nonces a second at the simulated rate.
    const shift = 24;
    const trace: string[] = [];
    const sim = createSimUsbBoard({
      board: (await import('../../boards/usb-bridge.js')).bitaxeGammaUsb,
      chain: { model: 'BM1370', chipCount: 1, hashrate: SIM_DEFAULTS.hashrate, simTargetShift: shift },
      trace: (line) => trace.push(line),
    });
    const control: PtyServer = await servePty(sim.bridge);
    cleanups.push(() => control.close());
    const data: PtyServer = await servePty(sim.chain);
    cleanups.push(() => data.close());

    const dir = mkdtempSync(join(tmpdir(), 'sv2miner-usb-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(
      join(dir, 'default.json'),
      JSON.stringify({
        ...simConfigInput({ board: 'bitaxe-gamma-usb', stateDir: join(dir, 'state'), logLevel: 'info' }),
        coreVoltage: 1150,
        fan: { auto: false, speedPercent: 60 },
      }),
    );
    const out: string[] = [];
    const err: string[] = [];
    const logs: string[] = [];
    let accepted = 0;
    let info: Record<string, unknown> | undefined;
    let metrics = '';
    let timedOut = false;
    const code = await runMiner(
      [
        '--config-dir',
        dir,
        '--for',
        '600',
        '--no-api',
        '--status-interval',
        '0.25',
        '--control-port',
        control.path,
        '--data-port',
        data.path,
        '--sim-target-shift',
        String(shift),
      ],
      { out: (l) => out.push(l), err: (l) => err.push(l) },
      {
        logSink: (line) => logs.push(line),
        // The simulated chips lock their PLL at once: no ESP-Miner ramp pacing (drivers test it).
        miner: { timing: SIM_TIMING },
        onMiner: (miner) => {
          const deadline = performance.now() + 20_000;
          const poll = setInterval(() => {
            const snap = miner.snapshot();
            accepted = snap.shares.accepted;
            if ((accepted === 0 || !snap.power || snap.fan.rpm === null) && performance.now() < deadline)
              return;
            info = systemInfo(snap, { macAddr: '00:00:00:00:00:00', ipv4: '127.0.0.1' });
            metrics = renderMetrics(snap);
            clearInterval(poll);
            timedOut = accepted === 0;
            process.emit('SIGINT', 'SIGINT');
          }, 50);
        },
      },
    );
    expect(timedOut).toBe(false);
    expect(accepted).toBeGreaterThan(0);
    // /api/system/info from the simulated TPS546's telemetry: 5 V in, 1.148 V out at ~15 A.
    expect(info).toMatchObject({ coreVoltage: 1150, coreVoltageActual: 1148, voltage: 5000, vrTemp: 40 });
    // The fixed 60 % duty went to the EMC2101 as 37/63; its tach reads back through the bridge.
    expect(sim.fan?.map.registers.get(0x4c)).toBe(37);
    expect(info).toMatchObject({ fanspeed: 60, fanrpm: 3524 });
    expect(info?.['current']).toBeGreaterThan(14_000);
    expect(info?.['power']).toBeGreaterThan(15);
    expect(metrics).toMatch(/^sv2miner_core_voltage_volts 1\.148$/m);
    expect(metrics).toMatch(/^sv2miner_regulator_input_volts 5$/m);
    expect(metrics).toMatch(/^sv2miner_regulator_temp_celsius 40$/m);
    const summary = JSON.parse(out.at(-1) ?? '{}') as Record<string, unknown>;
    expect(summary['board']).toBe('bitaxe-gamma-usb');
    expect(summary['shares_rejected']).toBe(0);
    expect(summary['hardware_errors']).toBe(0);
    expect(code).toBe(0);
    // It was the host's TPS546 driver that powered the chip: VOUT_COMMAND 1.15 V and OPERATION on.
    const writes = trace.map((l) => JSON.parse(l) as { addr: number; write: string });
    const vout = writes.findIndex((t) => t.addr === 36 && t.write === '214c02');
    const on = writes.findIndex((t) => t.addr === 36 && t.write === '0180');
    expect(vout).toBeGreaterThan(-1);
    expect(on).toBeGreaterThan(vout);
    // And after the run the board was powered down: the rail is off.
    expect(sim.regulator?.on).toBe(false);
  }, 90_000);

  it('a regulator over-current fault stops hashing within one second: chips in reset, rail off, the fault named', async () => {
    const sim = createSimUsbBoard({
      board: (await import('../../boards/usb-bridge.js')).bitaxeGammaUsb,
      chain: { model: 'BM1370', chipCount: 1, hashrate: SIM_DEFAULTS.hashrate, simTargetShift: 24 },
    });
    const control: PtyServer = await servePty(sim.bridge);
    cleanups.push(() => control.close());
    const data: PtyServer = await servePty(sim.chain);
    cleanups.push(() => data.close());
    const dir = mkdtempSync(join(tmpdir(), 'sv2miner-usb-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(
      join(dir, 'default.json'),
      JSON.stringify({
        ...simConfigInput({ board: 'bitaxe-gamma-usb', stateDir: join(dir, 'state'), logLevel: 'info' }),
        // A fixed 40 % while mining, so the 100 % on the fault is the fault's doing.
        fan: { auto: false, speedPercent: 40 },
      }),
    );
    const logs: string[] = [];
    let injectedAt = 0;
    let pausedAfterMs: number | undefined;
    let railOnWhenPaused: boolean | undefined;
    let reported: unknown;
    let dutyBefore: number | undefined;
    const code = await runMiner(
      [
        '--config-dir',
        dir,
        '--for',
        '600',
        '--no-api',
        '--control-port',
        control.path,
        '--data-port',
        data.path,
      ],
      { out: () => {}, err: () => {} },
      {
        logSink: (line) => logs.push(line),
        // The simulated chips lock their PLL at once: no ESP-Miner ramp pacing (drivers test it).
        miner: { timing: SIM_TIMING },
        onMiner: (miner) => {
          const deadline = performance.now() + 30_000;
          const poll = setInterval(() => {
            const snap = miner.snapshot();
            if (injectedAt === 0 && snap.shares.accepted + snap.nonces > 0) {
              dutyBefore = sim.fan?.duty;
              injectedAt = performance.now();
              sim.regulator?.inject('iout_oc_fault');
            }
            if (injectedAt > 0 && snap.paused && pausedAfterMs === undefined) {
              pausedAfterMs = performance.now() - injectedAt;
              railOnWhenPaused = sim.regulator?.on;
              reported = systemInfo(snap, { macAddr: '00:00:00:00:00:00', ipv4: '127.0.0.1' })['powerFaults'];
            }
            if (pausedAfterMs === undefined && performance.now() < deadline) return;
            clearInterval(poll);
            process.emit('SIGINT', 'SIGINT');
          }, 10);
        },
      },
    );
    expect(code).not.toBe(2);
    expect(pausedAfterMs).toBeDefined();
    expect(pausedAfterMs).toBeLessThan(1000);
    expect(railOnWhenPaused).toBe(false);
    expect(dutyBefore).toBe(25 / 63); // 40 % as the EMC2101's 6-bit duty
    expect(sim.fan?.duty).toBe(1); // fans at 100 % on the fault
    expect(reported).toEqual(['iout', 'power_not_good', 'off', 'iout_oc_fault']);
    expect(sim.chain.isPowered).toBe(false);
    const fault = logs.find((l) => l.includes('hashing stopped'));
    expect(fault).toContain('regulator fault (iout, power_not_good, off, iout_oc_fault): hashing stopped');
  }, 90_000);
});
