/**
 * The built CLI (what `npm link`, /usr/bin/sv2miner and the systemd unit start) run from an
 * unrelated working directory: it finds its own config folder and state directory, honours
 * NODE_CONFIG_DIR, and an installed rig with no pool says so instead of mining on the demo pool.
 */
import { execFile } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const REPO = join(import.meta.dirname, '..', '..');
const MAIN = join(REPO, 'dist', 'src', 'cli', 'main.js');
const VERSION = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;

const cwd = mkdtempSync(join(tmpdir(), 'sv2miner-anywhere-'));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

interface Result {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The built CLI with cwd = a temp dir; NODE_CONFIG_DIR, NODE_ENV and the state dir only as given. */
function cli(args: readonly string[], env: Record<string, string> = {}, timeoutMs = 20_000): Promise<Result> {
  return cliAt(MAIN, args, env, timeoutMs);
}

function cliAt(
  script: string,
  args: readonly string[],
  env: Record<string, string> = {},
  timeoutMs = 20_000,
): Promise<Result> {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: npm run build first (npm test does)`);
  const base = { ...process.env };
  for (const key of ['NODE_CONFIG_DIR', 'NODE_ENV', 'SV2MINER_STATE_DIR']) delete base[key];
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [script, ...args],
      { cwd, env: { ...base, ...env }, timeout: timeoutMs },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** A /etc/sv2miner-like folder holding only a rig's local.json. */
function etcDir(local: Record<string, unknown>): string {
  const dir = mkdtempSync(join(cwd, 'etc-'));
  writeFileSync(join(dir, 'local.json'), JSON.stringify(local));
  return dir;
}

const INSTALLED = { localPool: { useWhenNoPools: false } };
const KEY = '9auqWEzQDVyd2oe1JVGFLMLHZtCo2FFqZwtKA5gd9xbuEu7PH72';

describe('the built CLI from an unrelated directory', () => {
  it('prints the package version', async () => {
    const r = await cli(['--version']);
    expect(r).toMatchObject({ code: 0, stdout: `${VERSION}\n` });
  });

  it('through a symlink, as npm link installs the bin, still finds its own config', async () => {
    const link = join(cwd, 'sv2miner');
    symlinkSync(MAIN, link);
    const r = await cliAt(link, ['check-config']);
    expect(r.stdout).toBe('ok: board sim-bm1370-1, embedded local pool, API 127.0.0.1:8080\n');
    expect(r.code).toBe(0);
  });

  it('lists the boards', async () => {
    const r = await cli(['boards']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('sim-bm1370-chain');
    expect(r.stdout).toContain('rpi-uart-bm1370');
  });

  it('check-config without NODE_CONFIG_DIR reads the install config, not ./config', async () => {
    const r = await cli(['check-config']);
    expect(r.stderr).not.toContain('No configurations found');
    expect(r).toMatchObject({ code: 0 });
    expect(r.stdout).toMatch(/^ok: board sim-bm1370-1, embedded local pool, API 127\.0\.0\.1:8080\n$/);
  });

  it('check-config merges the NODE_CONFIG_DIR folders in order, the last one the rig’s', async () => {
    const etc = etcDir({
      board: 'sim-bm1370-chain',
      pools: [{ url: `stratum2+tcp://127.0.0.1:3336/${KEY}`, user: 'w' }],
    });
    const r = await cli(['check-config'], { NODE_CONFIG_DIR: `${join(REPO, 'config')}:${etc}` });
    const url = `stratum2+tcp://127.0.0.1:3336/${KEY}`;
    expect(r.stdout).toBe(
      `ok: board sim-bm1370-chain, 1 pool, API 127.0.0.1:8080\npools[0] ${url}: not tried (config valid; connectivity not tested: sv2miner pool-check '${url}' --user 'w')\n`,
    );
    expect(r.code).toBe(0);
  });

  it('check-config: an installed rig with "pools": [] is an error naming its local.json', async () => {
    const etc = etcDir({ ...INSTALLED, pools: [] });
    const r = await cli(['check-config'], { NODE_CONFIG_DIR: `${join(REPO, 'config')}:${etc}` });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `pools: expected at least one pool in ${join(etc, 'local.json')}, e.g. {"url": "stratum2+tcp://host:port/<authority key>", "user": "<worker>"}, got [] (no pool configured, and this installed rig does not mine on the embedded demo pool: localPool.useWhenNoPools is false)\n`,
    );
  });

  it('run: an installed rig with no pool refuses to start (exit 2, one line) and mines nothing', async () => {
    const etc = etcDir({ ...INSTALLED, pools: [] });
    const state = join(cwd, 'state-refused');
    const r = await cli(['run', '--for', '5', '--no-api'], {
      NODE_CONFIG_DIR: `${join(REPO, 'config')}:${etc}`,
      SV2MINER_STATE_DIR: state,
    });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^pools: expected at least one pool in /),
    ]);
    expect(existsSync(state)).toBe(false);
  });

  it('run --for mines on the simulated board and keeps state in SV2MINER_STATE_DIR, nothing in cwd', async () => {
    const state = join(cwd, 'state-run');
    mkdirSync(state);
    const before = readdirSync(cwd).sort();
    const r = await cli(
      ['run', '--for', '6', '--api-port', '0', '--cgminer-port', '0', '--log-level', 'warn'],
      { SV2MINER_STATE_DIR: state },
      40_000,
    );
    const summary = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
    expect(summary['board']).toBe('sim-bm1370-1');
    expect(summary['nonces']).toBeGreaterThan(0);
    expect(r.code).toBe(0);
    expect(readdirSync(cwd).sort()).toEqual(before);
    // The API's write token is created once in the state directory.
    expect(readdirSync(state)).toContain('api-token');
    expect(r.stderr).toContain(`kept in ${state}/api-token`);
  });
});
