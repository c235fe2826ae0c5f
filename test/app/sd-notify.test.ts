/**
 * The systemd notify protocol (sd-notify.ts): the datagrams as a python3 receiver reads them from
 * NOTIFY_SOCKET (fake-systemd.ts), and the watchdog interval from WATCHDOG_USEC and WATCHDOG_PID.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { systemdNotifier } from '../../src/app/sd-notify.js';
import { until } from '../helpers/wait.js';
import { fakeSystemd } from '../roles/miner/fake-systemd.js';

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
    await until(() => systemd.received.length === 3, 3_000, 10);
    expect(systemd.received.map((d) => d.text)).toEqual([
      'READY=1\nSTATUS=mining on 1 chain',
      'WATCHDOG=1',
      'STOPPING=1',
    ]);
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
