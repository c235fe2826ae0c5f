/**
 * A start step after the daemon (the monitoring APIs) that cannot listen ends the start, as a
 * busy API port must on an installed rig: exit code 1, reason start-failed with the error's one
 * line, the miner stopped again, systemd told STOPPING with that line as STATUS, and one log
 * line without a stack. Real miner on the simulated board, real sockets, python's notify socket.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { boardById } from '../../boards/registry.js';
import { runLifecycle } from '../../src/app/lifecycle.js';
import { LogTap } from '../../src/app/log-tap.js';
import { systemdNotifier } from '../../src/app/sd-notify.js';
import { composeMiner } from '../../src/roles/miner/compose.js';
import { simConfig, stopMiner } from '../helpers/sim-rig.js';
import { waitFor } from '../helpers/wait.js';
import { fakeSystemd } from '../roles/miner/fake-systemd.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
}

describe('runLifecycle when a step after the daemon start fails', () => {
  it('stops the miner and returns start-failed with the one-line reason', async () => {
    const held = createServer();
    await listen(held, 0);
    cleanups.push(() => held.close());
    const address = held.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;

    const dir = mkdtempSync(join(tmpdir(), 'sv2miner-start-fail-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const config = simConfig({ board: 'sim-bm1370-1', stateDir: join(dir, 'state') });
    const lines: Record<string, unknown>[] = [];
    const log = pino({ level: 'info' }, { write: (l: string) => lines.push(JSON.parse(l)) });
    const miner = composeMiner({ config, board: boardById(config.board), log, logTap: new LogTap(() => {}) });
    cleanups.push(() => stopMiner(miner));
    const systemd = await fakeSystemd();
    cleanups.push(() => systemd.close());
    const notifier = systemdNotifier({ NOTIFY_SOCKET: systemd.path });
    cleanups.push(() => notifier.close());

    const result = await runLifecycle({
      daemon: miner,
      notifier,
      log,
      durationMs: 30_000,
      afterStart: async () => {
        await listen(createServer(), port);
        return undefined;
      },
    });

    const message = `listen EADDRINUSE: address already in use 127.0.0.1:${port}`;
    expect(result).toMatchObject({ code: 1, reason: 'start-failed', wasReady: false, startError: message });
    expect(miner.snapshot().chains.every((c) => c.state === 'stopped')).toBe(true);
    const errors = lines.filter((l) => l['level'] === 50);
    expect(errors.map((l) => l['msg'])).toEqual([`start failed: ${message}`]);
    expect(errors[0]).not.toHaveProperty('err');
    const stopping = `STOPPING=1\nSTATUS=start failed: ${message}`;
    await waitFor(() => systemd.received.some((d) => d.text === stopping));
    expect(systemd.received.map((d) => d.text)).toEqual([stopping]);
  }, 30_000);
});
