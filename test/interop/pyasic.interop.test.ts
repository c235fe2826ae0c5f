/**
 * pyasic (the library behind hass-miner) against the real daemon's AxeOS-style API
 * (monitoring.md §3a): detection as a BitAxe and get_data() figures equal to what the daemon's
 * /api/system/info reports. Opt-in (SV2MINER_PYASIC=1): it creates test/interop/.venv and installs
 * pyasic from PyPI. pyasic only probes port 80; pyasic_check.py redirects it to the test port.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../bench/free-port.js';
import { runMiner } from '../../src/roles/miner/main.js';

const here = dirname(fileURLToPath(import.meta.url));
const VENV = join(here, '.venv');
const PYTHON = join(VENV, 'bin', 'python');
/** The version this check was written against (its AxeOS field mapping is in monitoring.md §3a). */
const PYASIC = 'pyasic==0.79.0';
const enabled = process.env['SV2MINER_PYASIC'] === '1';
if (!enabled) console.warn('pyasic interop suite not enabled (set SV2MINER_PYASIC=1 to run it)');

/** Creates the venv and installs pyasic once; a reason string when that is impossible here. */
function ensurePyasic(): string | undefined {
  if (!existsSync(PYTHON)) {
    const venv = spawnSync('python3', ['-m', 'venv', VENV], { encoding: 'utf8' });
    if (venv.status !== 0) return `python3 -m venv failed: ${venv.stderr}`;
  }
  if (spawnSync(PYTHON, ['-c', 'import pyasic'], { stdio: 'ignore' }).status === 0) return undefined;
  const pip = spawnSync(PYTHON, ['-m', 'pip', 'install', '-q', PYASIC], { encoding: 'utf8' });
  return pip.status === 0 ? undefined : `pip install ${PYASIC} failed: ${pip.stderr.slice(-2000)}`;
}

async function untilJson(url: string, timeoutMs: number): Promise<Record<string, unknown>> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      const r = await fetch(url);
      if (r.ok) return (await r.json()) as Record<string, unknown>;
    } catch {
      // not listening yet
    }
    if (performance.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function runCheck(port: number): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(PYTHON, [
      join(here, 'pyasic_check.py'),
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
    ]);
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.on('exit', (code) => resolve({ code, out, err }));
  });
}

describe.runIf(enabled)('pyasic reads the running daemon', () => {
  it('detects the rig as a BitAxe and get_data() matches /api/system/info', async (ctx) => {
    const missing = ensurePyasic();
    if (missing !== undefined) {
      console.warn(`\n!!! SKIPPING pyasic interop: ${missing} !!!\n`);
      ctx.skip();
    }
    const apiPort = await freePort();
    const configDir = mkdtempSync(join(tmpdir(), 'sv2miner-pyasic-'));
    writeFileSync(
      join(configDir, 'default.json'),
      JSON.stringify({
        board: 'sim-bm1370-1',
        pools: [],
        chipDifficulty: 256,
        api: { host: '127.0.0.1', port: apiPort, cgminerPort: 0 },
        thermal: { throttleC: 70, shutdownC: 80, hysteresisC: 5, maxBadReadings: 3 },
        logLevel: 'silent',
        localPool: { host: '127.0.0.1', port: 0, sharesPerMinute: 60 },
        stateDir: join(configDir, 'state'),
      }),
    );
    const out: string[] = [];
    // The port the API really bound, from its own log line (falls back to the one we asked for).
    let boundPort: number | undefined;
    const daemon = runMiner(
      ['--config-dir', configDir, '--for', '30', '--api-port', String(apiPort), '--log-level', 'info'],
      { out: (l) => out.push(l), err: () => {} },
      {
        logSink: (line) => {
          const m = /"httpPort":(\d+).*monitoring API listening/.exec(line);
          if (m !== null) boundPort = Number(m[1]);
        },
      },
    );
    const deadline = performance.now() + 20_000;
    while (boundPort === undefined && performance.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    if (boundPort !== apiPort)
      console.warn(`the API bound ${boundPort} although --api-port ${apiPort} was given`);
    const port = boundPort ?? apiPort;
    const info = await untilJson(`http://127.0.0.1:${port}/api/system/info`, 20_000);
    expect(typeof info['hostname']).toBe('string');
    // Let some shares and uptime accumulate so the comparisons are not all zeros.
    await new Promise((r) => setTimeout(r, 8_000));
    const check = await runCheck(port);
    const report = JSON.parse(check.out.trim().split('\n').at(-1) ?? '{}') as {
      ok?: boolean;
      miner_class?: string;
      checks?: Record<string, { ok: boolean }>;
      error?: string;
    };
    console.info(`pyasic report: ${check.out.trim()}`);
    expect(report.error, check.out + check.err).toBeUndefined();
    expect(report.miner_class).toBe('BitAxeGamma');
    for (const [name, c] of Object.entries(report.checks ?? {}))
      expect(c.ok, `${name}: ${JSON.stringify(c)}`).toBe(true);
    expect(report.ok).toBe(true);
    expect(check.code).toBe(0);
    await daemon;
  }, 120_000);
});
