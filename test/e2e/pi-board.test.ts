/**
 * A Pi-native TPS546 board against a fake device root: the simulated board serves its TPS546 and
 * EMC2101 on ROOT/dev/i2c-1 (a socket in place of the kernel's i2c-dev), its NRST in a fake
 * ROOT/sys/class/gpio, its BM1370 on a pty at ROOT/dev/serial0; `sv2miner run --board
 * rpi-tps546-bm1370 --dev-root ROOT --sim-target-shift k` exports the line, powers the board up
 * through LinuxI2cBus and SysfsGpio, enumerates the chip and mines until shares are accepted.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { rpiTps546Bm1370 } from '../../boards/rpi-tps546.js';
import { SIM_DEFAULTS } from '../../drivers/sim/sim-chain.js';
import { serveSimLinuxBoard } from '../../drivers/sim/sim-linux-board.js';
import { systemInfo } from '../../src/api/axeos.js';
import { SIM_TIMING } from '../../src/roles/miner/compose-board.js';
import { runMiner } from '../../src/roles/miner/main.js';
import { simConfigInput } from '../helpers/sim-rig.js';

const hasRelay =
  spawnSync('socat', ['-V'], { stdio: 'ignore' }).status === 0 ||
  spawnSync('python3', ['-c', 'import os; os.openpty()'], { stdio: 'ignore' }).status === 0;
if (!hasRelay)
  console.warn('\n!!! Pi board end-to-end SKIPPED: neither socat nor python3 is installed !!!\n');

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe.skipIf(!hasRelay)('sv2miner run on the simulated rpi-tps546-bm1370 under a fake device root', () => {
  it('exports NRST, powers up over /dev/i2c-1, enumerates the BM1370 and gets shares accepted', async () => {
    const shift = 24;
    const dir = mkdtempSync(join(tmpdir(), 'sv2miner-pi-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const root = join(dir, 'root');
    const events: string[] = [];
    const sim = await serveSimLinuxBoard({
      board: rpiTps546Bm1370,
      root,
      chain: { model: 'BM1370', chipCount: 1, hashrate: SIM_DEFAULTS.hashrate, simTargetShift: shift },
      onLine: (role, asserted) => events.push(`${role} ${asserted ? 'asserted' : 'released'}`),
    });
    cleanups.push(() => sim.close());
    sim.i2c.onTransaction = (t) => {
      const w = Buffer.from(t.write).toString('hex');
      if (t.address === 0x24 && (w === '0180' || w === '0100' || w.startsWith('21')))
        events.push(`tps546 ${w}`);
    };
    writeFileSync(
      join(dir, 'default.json'),
      JSON.stringify({
        ...simConfigInput({ board: 'rpi-tps546-bm1370', stateDir: join(dir, 'state'), logLevel: 'info' }),
        coreVoltage: 1150,
        fan: { auto: false, speedPercent: 60 },
      }),
    );
    const out: string[] = [];
    let accepted = 0;
    let info: Record<string, unknown> | undefined;
    let timedOut = false;
    let resetLevelWhileMining: 0 | 1 | undefined;
    const code = await runMiner(
      [
        '--config-dir',
        dir,
        '--for',
        '600',
        '--no-api',
        '--status-interval',
        '0.25',
        '--dev-root',
        root,
        '--sim-target-shift',
        String(shift),
      ],
      { out: (l) => out.push(l), err: () => {} },
      {
        logSink: () => {},
        // The simulated chips lock their PLL at once: no ESP-Miner ramp pacing (drivers test it).
        miner: { timing: SIM_TIMING },
        onMiner: (miner) => {
          const deadline = performance.now() + 30_000;
          const poll = setInterval(() => {
            const snap = miner.snapshot();
            accepted = snap.shares.accepted;
            if ((accepted === 0 || !snap.power || snap.fan.rpm === null) && performance.now() < deadline)
              return;
            info = systemInfo(snap, { macAddr: '00:00:00:00:00:00', ipv4: '127.0.0.1' });
            resetLevelWhileMining = sim.gpio.level(512 + 17);
            clearInterval(poll);
            timedOut = accepted === 0;
            process.emit('SIGINT', 'SIGINT');
          }, 50);
        },
      },
    );
    expect(timedOut).toBe(false);
    expect(accepted).toBeGreaterThan(0);
    const summary = JSON.parse(out.at(-1) ?? '{}') as Record<string, unknown>;
    expect(summary['board']).toBe('rpi-tps546-bm1370');
    expect(summary['shares_rejected']).toBe(0);
    expect(code).toBe(0);
    // Telemetry over the socket-backed /dev/i2c-1: the TPS546 at 1.148 V, the EMC2101 fan at 60 %.
    expect(info).toMatchObject({ coreVoltage: 1150, coreVoltageActual: 1148, voltage: 5000, fanspeed: 60 });
    expect(sim.fan?.map.registers.get(0x4c)).toBe(37);
    // NRST (BCM 17 = sysfs 529) is active low: electrically high while mining.
    expect(resetLevelWhileMining).toBe(1);
    // Order: reset held (configuration writes OPERATION off and its own VOUT_COMMAND), then
    // VOUT_COMMAND 1.15 V, OPERATION on, reset released; at the end reset held, OPERATION off.
    const on = events.indexOf('tps546 0180');
    expect(events[0]).toBe('reset asserted');
    expect(events.slice(on - 1, on + 2)).toEqual(['tps546 214c02', 'tps546 0180', 'reset released']);
    expect(events.slice(1, on - 1)).not.toContain('reset released');
    const tail = events.slice(events.lastIndexOf('reset released') + 1);
    expect(tail[0]).toBe('reset asserted');
    expect(tail.length).toBeGreaterThan(1);
    expect(tail.slice(1).every((e) => e === 'tps546 0100')).toBe(true);
    expect(sim.regulator?.on).toBe(false);
    expect(sim.chain.isPowered).toBe(false);
  }, 90_000);
});
