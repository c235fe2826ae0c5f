/**
 * The two CLI processes for the emberOne/00 and the Pi-native TPS546 board, as a user runs them
 * (built CLI, `npm test` builds it): `sim-board --board emberone00 --pty` prints `control:`,
 * `data:`, `sim-target-shift:`; `sim-board --board rpi-tps546-bm1370 --pty --dev-root DIR` prints
 * `dev-root:`, `data:`, `sim-target-shift:`; `run` on each powers the board up, mines and exits 0
 * with shares accepted; `--trace-i2c` holds the regulator writes. The `run` halves mine for 6 s
 * each and run under `npm run test:slow` (and in CI); the same boards mine in-process in
 * test/e2e/emberone-board.test.ts and pi-board.test.ts on every `npm test`.
 */
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, firstLines, runCli } from '../helpers/cli-process.js';
import { simConfigInput } from '../helpers/sim-rig.js';

const SLOW = process.env['SV2MINER_SLOW'] === '1';

const hasRelay =
  spawnSync('socat', ['-V'], { stdio: 'ignore' }).status === 0 ||
  spawnSync('python3', ['-c', 'import os; os.openpty()'], { stdio: 'ignore' }).status === 0;
if (!hasRelay)
  console.warn('\n!!! sim-board boards CLI test SKIPPED: neither socat nor python3 is installed !!!\n');

let server: ChildProcessWithoutNullStreams | undefined;
const dirs: string[] = [];
afterEach(async () => {
  if (server !== undefined && server.exitCode === null && server.signalCode === null) {
    const exited = new Promise((r) => server?.once('exit', r));
    server.kill('SIGTERM');
    await exited;
  }
  server = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function configDir(board: string, extra: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'sv2miner-boardcli-'));
  dirs.push(dir);
  writeFileSync(
    join(dir, 'default.json'),
    JSON.stringify({
      ...simConfigInput({ board, stateDir: join(dir, 'state'), logLevel: 'info' }),
      ...extra,
    }),
  );
  return dir;
}

function summaryOf(stdout: string): Record<string, unknown> {
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
}

describe.skipIf(!hasRelay)('sim-board and run for emberone00 and rpi-tps546-bm1370 (two processes)', () => {
  it('emberone00: three lines, run powers the string up and mines; the trace holds the DAC write', async () => {
    const dir = configDir('emberone00', { coreVoltage: 320 });
    const traceFile = join(dir, 'i2c.jsonl');
    server = spawn(process.execPath, [
      CLI,
      'sim-board',
      '--board',
      'emberone00',
      '--pty',
      '--trace-i2c',
      traceFile,
    ]);
    const lines = await firstLines(server, 3);
    expect(lines[0]).toMatch(/^control: \/\S+$/);
    expect(lines[1]).toMatch(/^data: \/\S+$/);
    expect(lines[2]).toBe('sim-target-shift: 24');
    if (!SLOW) return;
    const run = await runCli([
      'run',
      '--config-dir',
      dir,
      '--no-api',
      '--for',
      '6',
      '--log-format',
      'json',
      '--control-port',
      lines[0]?.slice('control: '.length) ?? '',
      '--data-port',
      lines[1]?.slice('data: '.length) ?? '',
      '--sim-target-shift',
      '24',
    ]);
    expect(run.code, run.stderr.slice(-2000)).toBe(0);
    const summary = summaryOf(run.stdout);
    expect(summary['board']).toBe('emberone00');
    expect(summary['shares_accepted']).toBeGreaterThan(0);
    expect(run.stderr).toContain('power: core at 320 mV');
    expect(run.stderr).toContain('power: io enable asserted');
    const trace = readFileSync(traceFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(trace).toContainEqual(expect.objectContaining({ addr: 72, write: 'f82b', read: '' }));
    expect(trace.at(-1)).toMatchObject({ addr: 72, write: 'f800' });
  }, 90_000);

  it('rpi-tps546-bm1370: dev-root, data and shift lines; run --dev-root mines; the root is removed at exit', async () => {
    const dir = configDir('rpi-tps546-bm1370', {});
    server = spawn(process.execPath, [CLI, 'sim-board', '--board', 'rpi-tps546-bm1370', '--pty']);
    const lines = await firstLines(server, 3);
    expect(lines[0]).toMatch(/^dev-root: \/\S+$/);
    const root = lines[0]?.slice('dev-root: '.length) ?? '';
    expect(lines[1]).toBe(`data: ${root}/dev/serial0`);
    expect(lines[2]).toBe('sim-target-shift: 24');
    expect(existsSync(join(root, 'dev', 'i2c-1'))).toBe(true);
    if (SLOW) await mines(dir, root);
    const exited = new Promise((r) => server?.once('exit', r));
    server.kill('SIGTERM');
    await exited;
    expect(existsSync(root)).toBe(false);
  }, 90_000);

  async function mines(dir: string, root: string): Promise<void> {
    const run = await runCli([
      'run',
      '--config-dir',
      dir,
      '--no-api',
      '--for',
      '6',
      '--log-format',
      'json',
      '--dev-root',
      root,
      '--sim-target-shift',
      '24',
    ]);
    expect(run.code, run.stderr.slice(-2000)).toBe(0);
    const summary = summaryOf(run.stdout);
    expect(summary['board']).toBe('rpi-tps546-bm1370');
    expect(summary['shares_accepted']).toBeGreaterThan(0);
    expect(run.stderr).toContain('power: core at 1150 mV');
  }

  it('--dev-root with a USB board is one line and exit 2', async () => {
    const r = await runCli(['sim-board', '--board', 'bitaxe-gamma-usb', '--pty', '--dev-root', '/tmp/x']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(
      'sim-board: --dev-root needs a Linux-hosted board with a power section (--board rpi-…) (see sv2miner sim-board --help)',
    );
  });
});
