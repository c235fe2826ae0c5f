/**
 * The two CLI processes of the USB path, as a user runs them (built CLI, `npm test` builds it):
 * `sv2miner sim-board --board bitaxe-gamma-usb --pty --trace-i2c FILE` prints exactly
 * `control: <path>`, `data: <path>`, `sim-target-shift: <k>` and serves until killed;
 * `sv2miner run --control-port --data-port --sim-target-shift --for` powers the board up and
 * mines on it, exits 0 with shares accepted; the trace file holds one JSON object per I2C
 * transaction the simulated devices saw.
 */
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, firstLines, runCli } from '../helpers/cli-process.js';
import { simConfigInput } from '../helpers/sim-rig.js';

const hasRelay =
  spawnSync('socat', ['-V'], { stdio: 'ignore' }).status === 0 ||
  spawnSync('python3', ['-c', 'import os; os.openpty()'], { stdio: 'ignore' }).status === 0;
if (!hasRelay)
  console.warn('\n!!! sim-board USB CLI test SKIPPED: neither socat nor python3 is installed !!!\n');

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

describe.skipIf(!hasRelay)('sim-board and run over the USB path (two processes, real ptys)', () => {
  it('prints the three lines, serves; run powers up, mines, exits 0; the trace holds the I2C transactions', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sv2miner-usbcli-'));
    dirs.push(dir);
    const traceFile = join(dir, 'i2c.jsonl');
    server = spawn(process.execPath, [
      CLI,
      'sim-board',
      '--board',
      'bitaxe-gamma-usb',
      '--pty',
      '--trace-i2c',
      traceFile,
    ]);
    const lines = await firstLines(server, 3);
    expect(lines[0]).toMatch(/^control: \/\S+$/);
    expect(lines[1]).toMatch(/^data: \/\S+$/);
    expect(lines[2]).toBe('sim-target-shift: 24');
    const control = lines[0]?.slice('control: '.length) ?? '';
    const data = lines[1]?.slice('data: '.length) ?? '';

    writeFileSync(
      join(dir, 'default.json'),
      JSON.stringify(
        simConfigInput({ board: 'bitaxe-gamma-usb', stateDir: join(dir, 'state'), logLevel: 'info' }),
      ),
    );
    const run = await runCli([
      'run',
      '--config-dir',
      dir,
      '--no-api',
      '--for',
      '8',
      '--log-format',
      'json',
      '--control-port',
      control,
      '--data-port',
      data,
      '--sim-target-shift',
      '24',
    ]);
    expect(run.code, run.stderr.slice(-2000)).toBe(0);
    const summary = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
    expect(summary['board']).toBe('bitaxe-gamma-usb');
    expect(summary['shares_accepted']).toBeGreaterThan(0);
    expect(summary['shares_rejected']).toBe(0);
    expect(run.stderr).toContain('SIMULATED HARDWARE ONLY: chip target relaxed by 2^24');
    expect(run.stderr).toContain('power: core at 1150 mV');

    const trace = readFileSync(traceFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(Object.keys(trace[0] ?? {})).toEqual(['t_ms', 'addr', 'write', 'read']);
    expect(trace[0]).toMatchObject({ addr: 36, write: 'ad', read: '065449546d2441' });
    expect(trace).toContainEqual(expect.objectContaining({ addr: 36, write: '0180', read: '' }));
    expect(trace).toContainEqual(expect.objectContaining({ addr: 76, write: '01' }));
    // After --for the board was powered down: OPERATION off is among the last transactions.
    expect(trace.slice(-3)).toContainEqual(expect.objectContaining({ addr: 36, write: '0100' }));
  }, 90_000);
});
