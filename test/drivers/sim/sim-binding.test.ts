/**
 * SimBinding behind the real SerialPortStream (the object UartLink builds): discovery over the
 * binding, update({baudRate}) honoured in both the right and the wrong order, close cancels reads.
 */
import { SerialPortStream } from '@serialport/stream';
import { afterEach, describe, expect, it } from 'vitest';
import { SimBinding } from '../../../drivers/sim/sim-binding.js';
import { bytesToHex, hexToBytes } from '../../../src/bytes/hex.js';
import { TransportError } from '../../../src/errors.js';

const READ_CHIP_ID = hexToBytes('55 AA 52 05 00 00 0A'); // command_frames.csv row 1
const BAUD_1M = hexToBytes('55 AA 51 09 00 28 11 30 02 00 03'); // command_frames.csv: 0x28 = 0x11300200
const CHIP_ID_9 = 'aa5513700000000006'; // response_frames.csv: 9-byte BM1370 chip-id reply

afterEach(() => SimBinding.reset());

function openPort(path: string): Promise<SerialPortStream> {
  return new Promise((resolve, reject) => {
    const port = new SerialPortStream({ binding: SimBinding, path, baudRate: 115_200 }, (err) =>
      err ? reject(err) : resolve(port),
    );
  });
}

const cb =
  (resolve: () => void, reject: (e: Error) => void) =>
  (err?: Error | null): void =>
    err ? reject(err) : resolve();

function write(port: SerialPortStream, bytes: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    port.write(Buffer.from(bytes));
    port.drain(cb(resolve, reject));
  });
}

function update(port: SerialPortStream, baudRate: number): Promise<void> {
  return new Promise((resolve, reject) => port.update({ baudRate }, cb(resolve, reject)));
}

function close(port: SerialPortStream): Promise<void> {
  return new Promise((resolve, reject) => port.close(cb(resolve, reject)));
}

/**
 * What the port receives: once `expected` bytes are in, plus 20 ms for any extra, or within 50 ms
 * when nothing is expected. A loaded machine only delays the answers, so waiting for their count
 * (up to 3 s) cannot cut them off the way a fixed window did.
 */
function collect(port: SerialPortStream, expected = 0): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let settle: NodeJS.Timeout | undefined;
    const done = (): void => {
      clearTimeout(deadline);
      clearTimeout(settle);
      port.off('data', onData);
      resolve(bytesToHex(Buffer.concat(chunks)));
    };
    const onData = (b: Buffer): void => {
      chunks.push(b);
      if (expected > 0 && settle === undefined && Buffer.concat(chunks).length >= expected)
        settle = setTimeout(done, 20);
    };
    port.on('data', onData);
    const deadline = setTimeout(done, expected > 0 ? 3_000 : 50);
  });
}

describe('SimBinding', () => {
  it('serves a chain at a sim: path and answers discovery through SerialPortStream', async () => {
    SimBinding.createChain('sim:one', { model: 'BM1370', chipCount: 2 });
    expect((await SimBinding.list()).map((p) => p.path)).toEqual(['sim:one']);
    const port = await openPort('sim:one');
    const heard = collect(port, 18);
    await write(port, READ_CHIP_ID);
    expect(await heard).toBe(CHIP_ID_9 + CHIP_ID_9);
    await close(port);
  });

  it('switches baud in the right order: tell the chips, drain, then update', async () => {
    const chain = SimBinding.createChain('sim:baud', { model: 'BM1370', chipCount: 1 });
    const port = await openPort('sim:baud');
    await write(port, BAUD_1M);
    await update(port, 1_000_000);
    expect(chain.linkOk).toBe(true);
    const heard = collect(port, 9);
    await write(port, READ_CHIP_ID);
    expect(await heard).toBe(CHIP_ID_9);
    await close(port);
  });

  it('goes deaf when the host updates its baud before telling the chips', async () => {
    const chain = SimBinding.createChain('sim:deaf', { model: 'BM1370', chipCount: 1 });
    const port = await openPort('sim:deaf');
    await update(port, 1_000_000);
    const heard = collect(port);
    await write(port, BAUD_1M);
    await write(port, READ_CHIP_ID);
    expect(await heard).toBe('');
    expect(chain.linkOk).toBe(false);
    expect(chain.chips[0]?.baud).toBe(115_741);
    await close(port);
  });

  it('garbles the baud write when the host updates without draining first', async () => {
    const chain = SimBinding.createChain('sim:nodrain', { model: 'BM1370', chipCount: 1 });
    const port = await SimBinding.open({ path: 'sim:nodrain', baudRate: 115_200 });
    await port.write(Buffer.from(BAUD_1M)); // handed to the OS, still ~1 ms on the wire
    await port.update({ baudRate: 1_000_000 });
    await port.drain();
    expect(chain.chips[0]?.baud).toBe(115_741);
    expect(chain.linkOk).toBe(false);
  });

  it('delivers writes only after their line time; drain waits for it', async () => {
    const chain = SimBinding.createChain('sim:line', { model: 'BM1370', chipCount: 1 });
    const port = await SimBinding.open({ path: 'sim:line', baudRate: 9600 });
    chain.setHostBaud('follow');
    const job = new Uint8Array(88); // 88 bytes at 9600 baud: ~92 ms on the wire
    const t0 = performance.now();
    await port.write(Buffer.from(job));
    expect(chain.stats().lostBytes).toBe(0);
    await port.drain();
    expect(performance.now() - t0).toBeGreaterThanOrEqual(85);
    expect(chain.stats().lostBytes).toBe(88);
  });

  it('rejects unknown paths and paths without the sim: prefix', async () => {
    expect(() => SimBinding.createChain('/dev/ttyS0', { model: 'BM1370', chipCount: 1 })).toThrow(
      TransportError,
    );
    await expect(SimBinding.open({ path: 'sim:nothing', baudRate: 115_200 })).rejects.toThrow(
      /no simulated chain/,
    );
  });

  it('cancels a pending read on close', async () => {
    SimBinding.createChain('sim:close', { model: 'BM1370', chipCount: 1 });
    const port = await SimBinding.open({ path: 'sim:close', baudRate: 115_200 });
    const pending = port.read(Buffer.alloc(16), 0, 16);
    await new Promise((r) => setImmediate(r));
    await port.close();
    await expect(pending).rejects.toMatchObject({ canceled: true });
    // The path can be opened again.
    const again = await SimBinding.open({ path: 'sim:close', baudRate: 115_200 });
    expect(again.isOpen).toBe(true);
  });

  it('reads what the chips sent across several small reads', async () => {
    SimBinding.createChain('sim:reads', { model: 'BM1370', chipCount: 1 });
    const port = await SimBinding.open({ path: 'sim:reads', baudRate: 115_200 });
    await port.write(Buffer.from(READ_CHIP_ID));
    const buf = Buffer.alloc(9);
    const first = await port.read(buf, 0, 4);
    const second = await port.read(buf, 4, 5);
    expect(first.bytesRead + second.bytesRead).toBe(9);
    expect(bytesToHex(buf)).toBe(CHIP_ID_9);
    expect(await port.getBaudRate()).toEqual({ baudRate: 115_200 });
  });
});
