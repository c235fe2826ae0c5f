import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIo } from '../../src/cli/command.js';
import { command as checkConfig } from '../../src/cli/commands/check-config.js';
import { unreadableFileError } from '../../src/config/load.js';

function capture(): CliIo & { outLines: string[]; errLines: string[] } {
  const outLines: string[] = [];
  const errLines: string[] = [];
  return { outLines, errLines, out: (l) => outLines.push(l), err: (l) => errLines.push(l) };
}

describe('sv2miner check-config', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sv2miner-check-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('says ok for the shipped defaults', async () => {
    const io = capture();
    expect(await checkConfig.run(['--config-dir', join(import.meta.dirname, '..', '..', 'config')], io)).toBe(
      0,
    );
    expect(io.outLines[0]).toMatch(/^ok: board sim-bm1370-1, embedded local pool, API 127\.0\.0\.1:\d+$/);
  });

  it('prints every error line and exits 2, as run does', async () => {
    await writeFile(
      join(dir, 'default.json'),
      JSON.stringify({
        board: 'sim-bm1370-1',
        pools: [{ url: 'stratum+tcp://pool.example.com:3333', user: 'w' }],
        chipDifficulty: 256,
        api: { host: '127.0.0.1', port: 8080, cgminerPort: 4028 },
        thermal: { throttleC: 70, shutdownC: 80, hysteresisC: 5, maxBadReadings: 3 },
        logLevel: 'info',
        localPool: { host: '127.0.0.1', port: 34254, sharesPerMinute: 6 },
        stateDri: './state',
      }),
    );
    const io = capture();
    expect(await checkConfig.run(['--config-dir', dir], io)).toBe(2);
    expect(io.errLines.sort()).toEqual([
      'pools[0].url: expected stratum2+tcp://host:port/<authority key>, got "stratum+tcp://pool.example.com:3333"',
      'stateDir: expected a directory path, got nothing',
      'stateDri: expected a known key (did you mean "stateDir"?), got "stateDri"',
    ]);
  });

  it('says each pool was not tried and how to test it', async () => {
    const poolDir = await mkdtemp(join(tmpdir(), 'sv2miner-check-pools-'));
    const url = 'stratum2+tcp://127.0.0.1:1/9auqWEzQDVyd2oe1JVGFLMLHZtCo2FFqZwtKA5gd9xbuEu7PH72';
    await writeFile(
      join(poolDir, 'default.json'),
      await readFile(join(import.meta.dirname, '..', '..', 'config', 'default.json'), 'utf8'),
    );
    await writeFile(join(poolDir, 'local.json'), JSON.stringify({ pools: [{ url, user: 'rig1' }] }));
    const io = capture();
    expect(await checkConfig.run(['--config-dir', poolDir], io)).toBe(0);
    expect(io.outLines).toEqual([
      expect.stringMatching(/^ok: board sim-bm1370-1, 1 pool, API /),
      `pools[0] ${url}: not tried (config valid; connectivity not tested: sv2miner pool-check '${url}' --user 'rig1')`,
    ]);
    await rm(poolDir, { recursive: true, force: true });
  });

  it('names the file, line and column of a JSON syntax error in one line', async () => {
    const badDir = await mkdtemp(join(tmpdir(), 'sv2miner-check-json-'));
    await writeFile(join(badDir, 'local.json'), '{\n  "board": "sim-bm1370-1",\n  "pools": [,]\n}\n');
    const io = capture();
    expect(await checkConfig.run(['--config-dir', badDir], io)).toBe(2);
    expect(io.errLines).toEqual([
      `${join(badDir, 'local.json')}:3:13: expected valid JSON, got invalid character ','`,
    ]);
    await rm(badDir, { recursive: true, force: true });
  });

  it('turns node-config read failures into one line naming the file', () => {
    // The two messages node-config builds (lib/util.js loadFile), and anything else.
    expect(
      unreadableFileError(
        new Error(
          "Cannot parse config file: '/etc/sv2miner/local.json': SyntaxError: JSON5: invalid end of input at 5:1",
        ),
      ).message,
    ).toBe('/etc/sv2miner/local.json:5:1: expected valid JSON, got invalid end of input');
    expect(
      unreadableFileError(
        new Error(
          'Config file /etc/sv2miner/local.json cannot be read. Error code is: EACCES. Error message is: permission denied',
        ),
      ).message,
    ).toBe('/etc/sv2miner/local.json: expected a readable file, got EACCES');
    expect(unreadableFileError(new Error('something else\n    at stack')).message).toBe(
      'configuration: expected readable files, got something else',
    );
  });
});

describe('sv2miner check-config and the wire bounds', () => {
  it('fails a pool user longer than STR0_255 allows (bytes of UTF-8, not characters)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sv2miner-check-wire-'));
    try {
      await writeFile(
        join(dir, 'default.json'),
        JSON.stringify({
          board: 'sim-bm1370-1',
          // 128 characters, 256 bytes.
          pools: [{ url: 'stratum2+tcp://127.0.0.1:34254', user: 'é'.repeat(128), insecure: true }],
          chipDifficulty: 256,
          api: { host: '127.0.0.1', port: 8080, cgminerPort: 4028 },
          thermal: { throttleC: 70, shutdownC: 80, hysteresisC: 5, maxBadReadings: 3 },
          logLevel: 'info',
          localPool: { host: '127.0.0.1', port: 34254, sharesPerMinute: 6 },
          stateDir: './state',
        }),
      );
      const io = capture();
      expect(await checkConfig.run(['--config-dir', dir], io)).toBe(2);
      expect(io.errLines).toHaveLength(1);
      expect(io.errLines[0]).toMatch(
        /^pools\[0\]\.user: expected a user name of at most 255 bytes of UTF-8 \(SV2 STR0_255\), got "é+\.\.\."$/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
