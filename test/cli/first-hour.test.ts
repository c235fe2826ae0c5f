/**
 * What a new user meets in the first hour, through the built CLI as a child process (issue 13):
 * a config file that does not parse, a pool that refuses connections, busy ports, where `pool`
 * prints its url and its logs, and --help/--version. Needs `npm run build` (npm test does it).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { simConfigInput } from '../helpers/sim-rig.js';

const ROOT = join(import.meta.dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');
const KEY = '9auqWEzQDVyd2oe1JVGFLMLHZtCo2FFqZwtKA5gd9xbuEu7PH72';

interface Ran {
  readonly code: number | null;
  readonly out: string[];
  readonly err: string[];
}

function start(args: string[]): ChildProcess {
  // cwd = the checkout so node-config finds ./config; stderr is a pipe, so logs are JSON.
  return spawn(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
}

async function run(args: string[]): Promise<Ran> {
  const child = start(args);
  let out = '';
  let err = '';
  child.stdout?.on('data', (b: Buffer) => {
    out += b.toString();
  });
  child.stderr?.on('data', (b: Buffer) => {
    err += b.toString();
  });
  const [code] = (await once(child, 'close')) as [number | null];
  const lines = (t: string) => t.split('\n').filter((l) => l !== '');
  return { code, out: lines(out), err: lines(err) };
}

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanup.splice(0)) f();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sv2miner-first-hour-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A complete simulated-rig config in a fresh directory, `patch` merged over it. */
function configDir(patch: Record<string, unknown> = {}): string {
  const dir = tempDir();
  const config = {
    ...simConfigInput({ board: 'sim-bm1370-1', stateDir: join(dir, 'state'), logLevel: 'info' }),
    ...patch,
  };
  writeFileSync(join(dir, 'default.json'), JSON.stringify(config));
  return dir;
}

async function holdPort(): Promise<{ server: Server; port: number }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(() => server.close());
  const address = server.address();
  return { server, port: typeof address === 'object' && address !== null ? address.port : 0 };
}

async function refusedPort(): Promise<number> {
  const { server, port } = await holdPort();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('a config file that is not valid JSON', () => {
  it('is one line naming file, line and column, exit 2 from run and check-config alike', async () => {
    const dir = configDir();
    writeFileSync(join(dir, 'local.json'), '{\n  "board": "sim-bm1370-1",\n  "pools": [,]\n}\n');
    const line = `${join(dir, 'local.json')}:3:13: expected valid JSON, got invalid character ','`;
    const [fromRun, fromCheck] = await Promise.all([
      run(['run', '--config-dir', dir, '--for', '1']),
      run(['check-config', '--config-dir', dir]),
    ]);
    expect(fromRun).toEqual({ code: 2, out: [], err: [line] });
    expect(fromCheck).toEqual({ code: 2, out: [], err: [line] });
  });
});

describe('top-level help and version', () => {
  it('--help lists --version, which prints the package version', async () => {
    const [help, version] = await Promise.all([run(['--help']), run(['--version'])]);
    expect(help.code).toBe(0);
    expect(help.out).toContain('  -V, --version  print the sv2miner version');
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(version).toEqual({ code: 0, out: [pkg.version], err: [] });
  });
});

describe('sv2miner pool', () => {
  it('prints its url line first on stdout and its JSON log on stderr, and stops cleanly right after', async () => {
    const child = start(['pool', '--port', '0']);
    cleanup.push(() => child.kill('SIGKILL'));
    const [first] = (await once(child.stdout as NodeJS.ReadableStream, 'data')) as [Buffer];
    expect(first.toString()).toMatch(/^url: stratum2\+tcp:\/\/127\.0\.0\.1:\d+\/\w{51}\n$/);
    const [log] = (await once(child.stderr as NodeJS.ReadableStream, 'data')) as [Buffer];
    expect(JSON.parse(log.toString().split('\n')[0] ?? '')).toMatchObject({
      msg: 'local SV2 pool listening',
    });
    // Stopped the moment its url is read, it still stops cleanly.
    child.kill('SIGTERM');
    expect(await once(child, 'close')).toEqual([0, null]);
  });

  it('a busy port is one line and exit 1', async () => {
    const { port } = await holdPort();
    expect(await run(['pool', '--port', String(port)])).toEqual({
      code: 1,
      out: [],
      err: [
        `sv2miner pool: cannot listen on 127.0.0.1:${port}: the port is already in use (another pool running? pick --port N, or --port 0 for any free port)`,
      ],
    });
  });
});

describe('sv2miner run', () => {
  it('with a busy API port does not start: exit 1 before touching the chips, one line saying which port and what to do', async () => {
    const { port } = await holdPort();
    const dir = configDir({
      api: { host: '127.0.0.1', port: 0, cgminerPort: port, token: 'a-test-token-0123456789' },
    });
    expect(await run(['run', '--config-dir', dir, '--for', '30'])).toEqual({
      code: 1,
      out: [],
      err: [
        `sv2miner run: cannot start: API port 127.0.0.1:${port} is already in use (another sv2miner or web server?); free it, change api.port / api.cgminerPort (--api-port, --cgminer-port), or run with --no-api`,
      ],
    });
  }, 30_000);

  it('with its one pool refusing connections says "retrying" and puts the cause in the summary', async () => {
    const port = await refusedPort();
    const dir = configDir({ pools: [{ url: `stratum2+tcp://127.0.0.1:${port}/${KEY}`, user: 'rig1' }] });
    const r = await run(['run', '--config-dir', dir, '--for', '3', '--no-api']);
    expect(r.code).toBe(1);
    const warnings = r.err
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { level: number; msg: string })
      .filter((l) => l.level === 40)
      .map((l) => l.msg);
    expect(warnings.length).toBeGreaterThan(0);
    for (const w of warnings)
      expect(w).toMatch(
        /^pool failed \(connecting: connect ECONNREFUSED .*\); retrying in [\d.]+ s \(no other pool configured\)$/,
      );
    const summary = JSON.parse(r.out.at(-1) ?? '') as Record<string, unknown>;
    expect(summary).toMatchObject({
      shares_accepted: 0,
      pool: null,
      reason: `no pool gave the rig a job: 127.0.0.1:${port} (connecting: connect ECONNREFUSED 127.0.0.1:${port})`,
    });
  }, 30_000);
});
