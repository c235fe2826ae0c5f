import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SimBinding } from '../../drivers/sim/sim-binding.js';
import { runMiner } from '../../src/roles/miner/main.js';
import type { Miner } from '../../src/roles/miner/miner.js';
import { simConfigInput } from '../helpers/sim-rig.js';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) } };
}

/** A complete config in a fresh directory, with `patch` merged over it. */
function configDir(patch: Record<string, unknown> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'sv2miner-run-'));
  const config = { ...simConfigInput({ board: 'sim-bm1370-1', stateDir: join(dir, 'state') }), ...patch };
  writeFileSync(join(dir, 'default.json'), JSON.stringify(config));
  dirs.push(dir);
  return dir;
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  SimBinding.reset();
});

const SUMMARY_KEYS = [
  'uptime_s',
  'hashrate_ghs',
  'shares_accepted',
  'shares_rejected',
  'shares_stale',
  'hardware_errors',
  'nonces',
  'pool',
  'board',
  'reason',
  'shares_lost_in_flight',
];

/**
 * Ends the run the way systemd or Ctrl-C would, once the test saw what it waits for: the signal
 * goes to the handlers the run installed, in-process. `--for` itself (mine N
 * seconds, then the summary line) is checked on the real CLI in test/log/log-format.test.ts.
 */
function signalWhen(cond: () => boolean, ms = 20_000): { timedOut: () => boolean } {
  let timedOut = false;
  const deadline = performance.now() + ms;
  const poll = setInterval(() => {
    if (!cond() && performance.now() < deadline) return;
    clearInterval(poll);
    timedOut = !cond();
    process.emit('SIGINT', 'SIGINT');
  }, 50);
  return { timedOut: () => timedOut };
}

describe('sv2miner run --for', () => {
  it('mines on the demo and, stopped by a signal, prints the summary JSON as the last stdout line', async () => {
    const c = capture();
    const dir = configDir();
    let poolPort: number | undefined;
    let readyAt = Number.POSITIVE_INFINITY;
    let rigMiner: Miner | undefined;
    let stop: { timedOut: () => boolean } | undefined;
    const statusLine =
      /^\[sv2miner\] [\d.]+ [kMGT]?H\/s \(1m\) \| accepted \d+ rejected \d+ stale \d+ \| pool 127\.0\.0\.1:\d+ \w+ \| up \d\d:\d\d:\d\d$/;
    const startedAt = performance.now();
    const code = await runMiner(
      ['--config-dir', dir, '--for', '600', '--no-api', '--status-interval', '0.25'],
      c.io,
      {
        onMiner: (miner) => {
          rigMiner = miner;
          void miner.ready.then(() => {
            readyAt = performance.now();
            poolPort = miner.localPool?.port;
            // Stopped once a share was accepted and a status line printed.
            stop = signalWhen(
              () => miner.snapshot().shares.accepted > 0 && c.out.some((l) => statusLine.test(l)),
            );
          });
        },
      },
    );
    const elapsedS = (performance.now() - startedAt) / 1000;
    expect(stop?.timedOut()).toBe(false);
    const last = c.out.at(-1) ?? '';
    const summary = JSON.parse(last) as Record<string, unknown>;
    expect(Object.keys(summary)).toEqual(SUMMARY_KEYS);
    expect(summary['board']).toBe('sim-bm1370-1');
    expect(summary['reason']).toBeNull();
    // Taken after the ordered stop: still the pool mined on (the embedded one), not null.
    expect(poolPort).toBeDefined();
    expect(summary['pool']).toBe(`127.0.0.1:${poolPort}`);
    expect(summary['shares_accepted']).toBeGreaterThan(0);
    expect(summary['shares_rejected']).toBe(0);
    expect(summary['hardware_errors']).toBe(0);
    expect(summary['nonces']).toBeGreaterThan(0);
    // The daemon's uptime: at least the time it mined after READY, at most the whole run.
    expect(summary['uptime_s']).toBeGreaterThanOrEqual(Math.floor((performance.now() - readyAt) / 1000) - 1);
    expect(summary['uptime_s']).toBeLessThanOrEqual(Math.ceil(elapsedS));
    // The rig's measured rate in GH/s: what the miner itself measured (H/s), and at most the
    // board's 2 MH/s. How much the simulator hashed depends on the machine's load, not on us.
    const measured = rigMiner?.snapshot().hashrate.h1m ?? 0;
    expect(measured).toBeGreaterThan(0);
    expect((summary['hashrate_ghs'] as number) * 1e9).toBeGreaterThanOrEqual(measured * 0.9);
    expect((summary['hashrate_ghs'] as number) * 1e9).toBeLessThanOrEqual(measured * 1.5);
    expect(summary['hashrate_ghs']).toBeLessThan(0.02);
    expect(code).toBe(0);
    // Status lines before it, in the documented shape.
    expect(c.out.slice(0, -1).some((l) => statusLine.test(l))).toBe(true);
  }, 40_000);
});

describe('sv2miner run with the monitoring APIs', () => {
  it('starts the AxeOS API on the configured port and serves the live rig', async () => {
    const c = capture();
    const logs: string[] = [];
    let info: Record<string, unknown> | undefined;
    let stop: { timedOut: () => boolean } | undefined;
    const dir = configDir({ logLevel: 'info' });
    const code = await runMiner(
      ['--config-dir', dir, '--for', '600', '--api-port', '0', '--cgminer-port', '0'],
      c.io,
      {
        onMiner: (miner) => {
          // Stopped once the API answered and the rig mined (a nonce came back: the run exits 0).
          stop = signalWhen(() => info !== undefined && miner.snapshot().nonces > 0);
        },
        logSink: (line) => {
          logs.push(line);
          const parsed = JSON.parse(line) as { msg?: string; http?: number };
          if (parsed.msg === 'monitoring APIs listening' && parsed.http !== undefined) {
            void fetch(`http://127.0.0.1:${parsed.http}/api/system/info`)
              .then((r) => r.json())
              .then((j) => {
                info = j as Record<string, unknown>;
              });
          }
        },
      },
    );
    expect(stop?.timedOut()).toBe(false);
    expect(code).toBe(0);
    expect(info?.['ASICModel']).toBe('BM1370');
    // The token is created in stateDir and never logged.
    expect(logs.some((l) => JSON.parse(l).msg === 'created an API token in the state directory')).toBe(true);
  }, 30_000);
});

describe('sv2miner run: configuration errors', () => {
  async function runWith(args: string[]): Promise<{ code: number; err: string[]; out: string[] }> {
    const c = capture();
    const code = await runMiner(args, c.io);
    return { code, err: c.err, out: c.out };
  }

  it('a value out of range in the file: one line, exit 2', async () => {
    const r = await runWith(['--config-dir', configDir({ frequencyMhz: 9999 }), '--for', '1']);
    expect(r).toEqual({
      code: 2,
      err: ['frequencyMhz: expected at most 625 MHz for board sim-bm1370-1, got 9999'],
      out: [],
    });
  });

  it('a misspelt key names the key it probably meant', async () => {
    const r = await runWith(['--config-dir', configDir({ stateDri: '/tmp' }), '--for', '1']);
    expect(r.code).toBe(2);
    expect(r.err).toEqual(['stateDri: expected a known key (did you mean "stateDir"?), got "stateDri"']);
  });

  it('command-line overrides go through the same schema', async () => {
    const dir = configDir();
    const port = await runWith(['--config-dir', dir, '--api-port', '70000', '--for', '1']);
    expect(port).toMatchObject({ code: 2, err: ['api.port: expected a TCP port 0..65535, got 70000'] });
    const board = await runWith(['--config-dir', dir, '--board', 'nope', '--for', '1']);
    expect(board.code).toBe(2);
    expect(board.err).toHaveLength(1);
    expect(board.err[0]).toMatch(/^board: expected one of sim-bm1370-1, [a-z0-9, -]+, got "nope"$/);
  });

  it('usage errors exit 2 with a pointer to --help', async () => {
    const r = await runWith(['--for', 'soon']);
    expect(r.code).toBe(2);
    expect(r.err).toEqual([
      'run: --for must be a positive number of seconds, got "soon" (see sv2miner run --help)',
    ]);
  });
});
