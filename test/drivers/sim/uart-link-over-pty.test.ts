/**
 * UartLink on a pseudo-terminal whose other end is slow to read (a loaded host: the relay process
 * is not scheduled). tcdrain on a pty returns as soon as the bytes sit in the master's buffer, and
 * the hardware binding's baud change and flush both call tcflush(TCIOFLUSH), which on a pty slave
 * empties that buffer too: everything written but not yet relayed was silently lost. This is what
 * made the driver-over-pty run mine nothing after a good bring-up: the writes after the chip-id
 * read (MISC_CONTROL's core gates, ticket mask, PLL) vanished when the host moved to 1 Mbaud.
 * The relay is paused with SIGSTOP, so the starvation is certain, not a matter of load.
 */
import { autoDetect } from '@serialport/bindings-cpp';
import { afterEach, describe, expect, it } from 'vitest';
import { findPtyRelay, type PtyServer, servePty } from '../../../drivers/sim/sim-pty.js';
import { isPseudoTerminal } from '../../../drivers/transport/pseudo-terminal.js';
import { UartLink } from '../../../drivers/transport/uart-link.js';

const hasRelay = findPtyRelay() !== undefined;
if (!hasRelay)
  console.warn('\n!!! uart-link-over-pty test SKIPPED: neither socat nor python3 is installed !!!\n');

/** The far end of the pty: records what the host wrote and resolves when a marker arrives. */
class Recorder {
  readonly received: number[] = [];
  private waiter: { marker: number; resolve: () => void } | undefined;
  write(bytes: Uint8Array): void {
    this.received.push(...bytes);
    if (this.waiter !== undefined && bytes.includes(this.waiter.marker)) this.waiter.resolve();
  }
  onData(): void {}
  close(): void {}
  /** Resolves once `marker` has come through: the pty is FIFO, so all earlier bytes came or were lost. */
  until(marker: number): Promise<void> {
    if (this.received.includes(marker)) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiter = { marker, resolve };
    });
  }
}

let server: PtyServer | undefined;
let link: UartLink | undefined;
let pausedPid: number | undefined;
afterEach(async () => {
  if (pausedPid !== undefined) process.kill(pausedPid, 'SIGCONT');
  pausedPid = undefined;
  await link?.close();
  await server?.close();
  link = undefined;
  server = undefined;
});

async function openOverPty(device: Recorder): Promise<{ link: UartLink; relayPid: number }> {
  server = await servePty(device);
  const relayPid = server.relayPid;
  if (relayPid === undefined) throw new Error('pty relay has no pid');
  link = new UartLink({ binding: autoDetect(), path: server.path });
  await link.open(115_200);
  return { link, relayPid };
}

describe.skipIf(!hasRelay)('UartLink over a pty with a starved far end', () => {
  it.each([
    ['a baud change', (l: UartLink) => l.setBaud(1_000_000)],
    ['an input flush', (l: UartLink) => l.flushInput()],
  ])('keeps written bytes across %s', async (_what, step) => {
    const device = new Recorder();
    const { link, relayPid } = await openOverPty(device);
    process.kill(relayPid, 'SIGSTOP');
    pausedPid = relayPid;
    // More than the master's 4 KiB line-discipline buffer: the rest waits in the tty flip buffer,
    // which is what tcflush empties (as it does any bytes the kernel's worker has not moved yet on a
    // loaded host). Well under the ~11.5 KiB a pty takes before a write would wait for the relay.
    const before = Uint8Array.from({ length: 6_000 }, (_, i) => 1 + (i % 200)); // never 0xee
    await link.write(before);
    await step(link);
    await link.write(Uint8Array.of(0xee));
    process.kill(relayPid, 'SIGCONT');
    pausedPid = undefined;
    await device.until(0xee);
    expect(device.received.length, 'bytes lost between the write and the marker').toBe(before.length + 1);
    expect(Buffer.from(device.received).equals(Buffer.from([...before, 0xee]))).toBe(true);
  });

  it('records the baud a pty cannot take', async () => {
    const { link } = await openOverPty(new Recorder());
    await link.setBaud(1_000_000);
    expect(link.baud).toBe(1_000_000);
  });
});

describe('isPseudoTerminal', () => {
  it.skipIf(!hasRelay)('sees a pty through the relay symlink', async () => {
    server = await servePty(new Recorder());
    expect(server.path.startsWith('/dev/')).toBe(false);
    expect(await isPseudoTerminal(server.path)).toBe(true);
  });

  it.each(['/dev/null', '/nonexistent/ttyUSB0', 'sim://chain0'])('says no for %s', async (path) => {
    expect(await isPseudoTerminal(path)).toBe(false);
  });
});
