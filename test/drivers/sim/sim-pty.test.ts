/**
 * One run over a real pseudo-terminal: serveSimBoardOnPty, then the hardware serial binding
 * (@serialport/bindings-cpp, what `sv2miner run` uses on a real UART) opens the path and does the
 * discovery read. Needs socat or python3; without both it skips and says so loudly.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { autoDetect } from '@serialport/bindings-cpp';
import { SerialPortStream } from '@serialport/stream';
import { describe, expect, it } from 'vitest';
import { findPtyRelay, type PtyRelay, serveSimBoardOnPty } from '../../../drivers/sim/sim-pty.js';
import { bytesToHex, hexToBytes } from '../../../src/bytes/hex.js';

const READ_CHIP_ID = hexToBytes('55 AA 52 05 00 00 0A'); // command_frames.csv row 1
const CHIP_ID_9 = 'aa5513700000000006'; // response_frames.csv: 9-byte BM1370 chip-id reply

const has = (cmd: string, args: string[]) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
const relays: PtyRelay[] = [];
if (has('socat', ['-V'])) relays.push('socat');
if (has('python3', ['-c', 'import os; os.openpty()'])) relays.push('python3');
if (relays.length === 0) {
  console.warn(
    '\n!!! sim-pty test SKIPPED: neither socat nor python3 is installed (apt-get install socat) !!!\n',
  );
}

describe.skipIf(relays.length === 0)('sim board on a pty', () => {
  it('finds a relay helper', () => {
    expect(findPtyRelay()).toBe(relays[0]);
  });

  it.each(relays)('answers discovery through the hardware serial binding (%s)', async (relay) => {
    const server = await serveSimBoardOnPty({ chain: { model: 'BM1370', chipCount: 2 }, relay });
    try {
      expect(existsSync(server.path)).toBe(true);
      for (let round = 0; round < 2; round++) {
        // Twice: a client may close the pty and open it again.
        const port = new SerialPortStream({ binding: autoDetect(), path: server.path, baudRate: 115_200 });
        await new Promise<void>((resolve, reject) => port.once('open', resolve).once('error', reject));
        const got: Buffer[] = [];
        port.on('data', (b: Buffer) => got.push(b));
        port.write(Buffer.from(READ_CHIP_ID));
        const end = Date.now() + 3000;
        while (Buffer.concat(got).length < 18 && Date.now() < end)
          await new Promise((r) => setTimeout(r, 20));
        expect(bytesToHex(Buffer.concat(got))).toBe(CHIP_ID_9 + CHIP_ID_9);
        await new Promise<void>((resolve, reject) => port.close((err) => (err ? reject(err) : resolve())));
      }
    } finally {
      await server.close();
    }
    expect(existsSync(server.path)).toBe(false);
  });
});
