/**
 * The simulated bitaxe-gamma-usb served whole over two real ptys: the host's own drivers
 * (BridgeControlPort, BridgeGpio, BridgeI2cBus, the board's PowerSequencer and TPS546 driver)
 * power it up through the control port, and only then does the BM1370 answer on the data port.
 * The I2C trace lines are the transactions the simulated devices saw.
 */
import { spawnSync } from 'node:child_process';
import { autoDetect } from '@serialport/bindings-cpp';
import { afterEach, describe, expect, it } from 'vitest';
import { bitaxeGammaUsb } from '../../../boards/usb-bridge.js';
import { readRegister } from '../../../drivers/bm13xx/commands.js';
import { BridgeControlPort } from '../../../drivers/bridge/control-port.js';
import { BridgeGpio, BridgeI2cBus } from '../../../drivers/peripherals/bridge.js';
import { type PtyServer, servePty } from '../../../drivers/sim/sim-pty.js';
import { createSimUsbBoard } from '../../../drivers/sim/sim-usb-board.js';
import { UartLink } from '../../../drivers/transport/uart-link.js';
import { silentLog } from '../../../src/log.js';
import { boardSequencer } from '../../../src/roles/miner/compose-board.js';
import { waitFor } from '../../helpers/wait.js';

const hasRelay =
  spawnSync('socat', ['-V'], { stdio: 'ignore' }).status === 0 ||
  spawnSync('python3', ['-c', 'import os; os.openpty()'], { stdio: 'ignore' }).status === 0;
if (!hasRelay)
  console.warn('\n!!! simulated USB board test SKIPPED: neither socat nor python3 is installed !!!\n');

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Resolves with the first bytes the link receives after `send`. */
function firstReply(link: UartLink, send: Uint8Array): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const off = link.onBytes((bytes) => {
      off();
      resolve(bytes);
    });
    link.write(send).catch(reject);
  });
}

describe.skipIf(!hasRelay)('simulated bitaxe-gamma-usb over two ptys', () => {
  it('the host powers it up through the control port; the chip answers only afterwards; the trace shows it', async () => {
    const power = bitaxeGammaUsb.power;
    if (power === undefined) throw new Error('no power section');
    const trace: { t_ms: number; addr: number; write: string; read: string }[] = [];
    const sim = createSimUsbBoard({
      board: bitaxeGammaUsb,
      chain: { model: 'BM1370', chipCount: 1, hashrate: 1000, simTargetShift: 0 },
      trace: (line) => trace.push(JSON.parse(line)),
    });
    const control: PtyServer = await servePty(sim.bridge);
    cleanups.push(() => control.close());
    const data: PtyServer = await servePty(sim.chain);
    cleanups.push(() => data.close());

    const port = new BridgeControlPort({
      path: control.path,
      link: () => new UartLink({ binding: autoDetect(), path: control.path }),
    });
    cleanups.push(() => port.close());
    const reset = await BridgeGpio.open(port, 0, { activeLow: true, initial: 1 });
    const sequencer = boardSequencer({
      board: bitaxeGammaUsb,
      def: power,
      lines: { reset },
      log: silentLog,
      resetHoldMs: 100,
      resetSettleMs: 100,
      openBus: () => new BridgeI2cBus(port),
      wait: async () => {},
    });
    const link = new UartLink({ binding: autoDetect(), path: data.path });
    await link.open(115_200);
    cleanups.push(() => link.close());

    // Unpowered: the chain drops what it hears (all 5 bytes arrive, none is answered).
    await link.write(readRegister('all', 0x00));
    await waitFor(() => sim.chain.stats().lostBytes >= 5);
    expect(sim.chain.stats().replies).toBe(0);

    await sequencer.powerUp(1150);
    expect(sim.regulator?.on).toBe(true);
    const reply = await firstReply(link, readRegister('all', 0x00));
    expect(Array.from(reply.subarray(0, 4))).toEqual([0xaa, 0x55, 0x13, 0x70]); // BM1370 chip id

    // The trace: decimal address, hex write and read, increasing time.
    expect(trace[0]).toEqual({ t_ms: trace[0]?.t_ms, addr: 36, write: 'ad', read: '065449546d2441' });
    expect(trace.some((t) => t.addr === 36 && t.write === '214c02' && t.read === '')).toBe(true);
    expect(trace.some((t) => t.addr === 36 && t.write === '0180')).toBe(true);
    expect(trace.map((t) => t.t_ms)).toEqual([...trace.map((t) => t.t_ms)].sort((a, b) => a - b));

    await sequencer.powerDown();
    expect(sim.regulator?.on).toBe(false);
    expect(sim.chain.isPowered).toBe(false);
  });

  it('the fan cools the simulated diode: full duty reads cooler than none', async () => {
    const sim = createSimUsbBoard({
      board: bitaxeGammaUsb,
      chain: { model: 'BM1370', chipCount: 1, hashrate: 1000 },
    });
    const fan = sim.fan;
    if (fan === undefined || !('thermal' in fan) || fan.thermal === undefined) throw new Error('no EMC2101');
    sim.regulator?.transfer(Uint8Array.of(0x01, 0x80), 0);
    expect(fan.thermal(1)).toBeLessThan(fan.thermal(0));
    sim.chain.close();
  });
});
