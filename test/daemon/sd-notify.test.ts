import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { systemdNotifier } from '../../src/daemon/sd-notify.js';

/**
 * A fake systemd: a python3 child binds a datagram socket and prints each datagram it receives as
 * one JSON line. Python (not the addon under test) is the receiver, so a bug in our sending side
 * cannot be cancelled out by the same bug on the receiving side.
 */
async function fakeSystemd(): Promise<{ path: string; received: string[]; close(): void }> {
  const dir = mkdtempSync(join(tmpdir(), 'sv2miner-notify-'));
  const path = join(dir, 'notify.sock');
  const script = [
    'import socket, sys, json',
    's = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)',
    's.bind(sys.argv[1])',
    'print("bound", flush=True)',
    'while True:',
    '    print(json.dumps(s.recv(4096).decode()), flush=True)',
  ].join('\n');
  const child = spawn('python3', ['-c', script, path], { stdio: ['ignore', 'pipe', 'inherit'] });
  const received: string[] = [];
  let bound = false;
  let buffer = '';
  child.stdout.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    let nl = buffer.indexOf('\n');
    while (nl >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (line === 'bound') bound = true;
      else received.push(JSON.parse(line) as string);
      nl = buffer.indexOf('\n');
    }
  });
  await until(() => bound);
  return {
    path,
    received,
    close: () => {
      child.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 300 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
}

describe('systemd notify protocol', () => {
  let cleanup: (() => void) | undefined;
  afterEach(() => cleanup?.());

  it('is a no-op without NOTIFY_SOCKET', async () => {
    const n = systemdNotifier({});
    expect(n.enabled).toBe(false);
    await n.notify({ READY: 1 });
  });

  it('sends READY, WATCHDOG and STOPPING datagrams to the socket', async () => {
    const systemd = await fakeSystemd();
    const notifier = systemdNotifier({ NOTIFY_SOCKET: systemd.path });
    cleanup = () => {
      notifier.close();
      systemd.close();
    };
    await notifier.notify({ READY: 1, STATUS: 'mining\non 1 chain' });
    await notifier.notify({ WATCHDOG: 1 });
    await notifier.notify({ STOPPING: 1 });
    await until(() => systemd.received.length === 3);
    expect(systemd.received).toEqual(['READY=1\nSTATUS=mining on 1 chain', 'WATCHDOG=1', 'STOPPING=1']);
  });

  it('derives the watchdog interval from WATCHDOG_USEC only for its own pid', () => {
    expect(systemdNotifier({ WATCHDOG_USEC: '20000000' }).watchdogIntervalMs).toBe(20_000);
    expect(
      systemdNotifier({ WATCHDOG_USEC: '20000000', WATCHDOG_PID: String(process.pid) }).watchdogIntervalMs,
    ).toBe(20_000);
    expect(
      systemdNotifier({ WATCHDOG_USEC: '20000000', WATCHDOG_PID: '1' }).watchdogIntervalMs,
    ).toBeUndefined();
    expect(systemdNotifier({}).watchdogIntervalMs).toBeUndefined();
  });
});
