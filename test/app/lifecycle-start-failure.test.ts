/**
 * A start step after the daemon (the monitoring APIs) that cannot listen ends the start, as a
 * busy API port must on an installed rig: exit code 1, reason start-failed with the error's one
 * line, the miner stopped again, systemd told STOPPING with that line as STATUS, and one log
 * line without a stack. A daemon whose own start fails ends the same way. Real miner on the
 * simulated board, real sockets, python's notify socket.
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
import type { Config } from '../../src/config/schema.js';
import type { Logger } from '../../src/log.js';
import { composeMiner } from '../../src/roles/miner/compose.js';
import type { Miner } from '../../src/roles/miner/miner.js';
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

interface Harness {
  readonly miner: Miner;
  readonly lines: Record<string, unknown>[];
  readonly log: Logger;
  readonly systemd: Awaited<ReturnType<typeof fakeSystemd>>;
  readonly notifier: ReturnType<typeof systemdNotifier>;
}

async function harness(change: (config: Config) => Config = (c) => c): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'sv2miner-start-fail-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const config = change(simConfig({ board: 'sim-bm1370-1', stateDir: join(dir, 'state') }));
  const lines: Record<string, unknown>[] = [];
  const log: Logger = pino({ level: 'info' }, { write: (l: string) => lines.push(JSON.parse(l)) });
  const miner = composeMiner({ config, board: boardById(config.board), log, logTap: new LogTap(() => {}) });
  cleanups.push(() => stopMiner(miner));
  const systemd = await fakeSystemd();
  cleanups.push(() => systemd.close());
  const notifier = systemdNotifier({ NOTIFY_SOCKET: systemd.path });
  cleanups.push(() => notifier.close());
  return { miner, lines, log, systemd, notifier };
}

function runWithAfterStart(h: Harness, afterStart: () => Promise<void>) {
  return runLifecycle({
    daemon: h.miner,
    notifier: h.notifier,
    log: h.log,
    durationMs: 30_000,
    afterStart: async () => {
      await afterStart();
      return undefined;
    },
  });
}

/** One error line without a stack, STOPPING with the reason as STATUS and nothing else. */
async function expectOneLineFailure(h: Harness, message: string): Promise<void> {
  const errors = h.lines.filter((l) => l['level'] === 50);
  expect(errors.map((l) => l['msg'])).toEqual([`start failed: ${message}`]);
  expect(errors[0]).not.toHaveProperty('err');
  const stopping = `STOPPING=1\nSTATUS=start failed: ${message}`;
  await waitFor(() => h.systemd.received.some((d) => d.text === stopping));
  expect(h.systemd.received.map((d) => d.text)).toEqual([stopping]);
}

describe('runLifecycle when a step after the daemon start fails', () => {
  it('stops the miner and returns start-failed with the one-line reason', async () => {
    const held = createServer();
    await listen(held, 0);
    cleanups.push(() => held.close());
    const address = held.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const h = await harness();

    const result = await runWithAfterStart(h, () => listen(createServer(), port));

    const message = `listen EADDRINUSE: address already in use 127.0.0.1:${port}`;
    expect(result).toMatchObject({ code: 1, reason: 'start-failed', wasReady: false, startError: message });
    expect(h.miner.snapshot().chains.every((c) => c.state === 'stopped')).toBe(true);
    await expectOneLineFailure(h, message);
  }, 30_000);
});

describe('runLifecycle when the daemon itself cannot start', () => {
  it('ends the same way, and runs no step after the daemon', async () => {
    // No pools and no embedded pool to fall back on: the miner refuses to start.
    const h = await harness((c) => ({
      ...c,
      pools: [],
      localPool: { ...c.localPool, useWhenNoPools: false },
    }));
    let afterStartRan = false;
    const result = await runWithAfterStart(h, async () => {
      afterStartRan = true;
    });

    expect(result).toMatchObject({ code: 1, reason: 'start-failed', wasReady: false });
    const message = result.startError ?? '';
    expect(message).toMatch(/^pools: .*at least one pool/);
    expect(message).not.toContain('\n');
    expect(afterStartRan).toBe(false);
    await expectOneLineFailure(h, message);
  }, 30_000);
});
