import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { configureRootLogger } from '../../src/log.js';
import { prettyLineFormatter, resolveLogFormat } from '../../src/log-format.js';
import { runCli, runNode } from '../helpers/cli-process.js';
import { simConfigInput } from '../helpers/sim-rig.js';

const here = dirname(fileURLToPath(import.meta.url));

/** What our root logger serialises for one entry (redaction included). */
function jsonLineOf(write: (log: pino.Logger) => void): string {
  const lines: string[] = [];
  const log = configureRootLogger({ level: 'info', destination: { write: (l: string) => lines.push(l) } });
  write(log);
  configureRootLogger({ level: 'silent' });
  expect(lines).toHaveLength(1);
  return lines[0] ?? '';
}

describe('log format', () => {
  it('auto is pretty on a terminal and JSON anywhere else; explicit forms win', () => {
    expect(resolveLogFormat('auto', true)).toBe('pretty');
    expect(resolveLogFormat('auto', false)).toBe('json');
    expect(resolveLogFormat('json', true)).toBe('json');
    expect(resolveLogFormat('pretty', false)).toBe('pretty');
  });

  it('renders one JSON line as one readable line: time, level, [component], message, fields', () => {
    const line = jsonLineOf((log) =>
      log.child({ component: 'pool' }).info({ state: 'open', channelId: 3 }, 'pool session open'),
    );
    const out = prettyLineFormatter(false)(line);
    expect(out.endsWith('\n')).toBe(true);
    expect(out.trimEnd().split('\n')).toHaveLength(1);
    expect(out).toMatch(/^\[\d\d:\d\d:\d\d\] INFO: \[pool\] pool session open /);
    expect(out).toContain('"state":"open"');
    expect(out).toContain('"channelId":3');
    expect(out).not.toContain('"svc"');
    expect(out).not.toContain('"component"');
  });

  it('keeps redaction: a password in a logged object never reaches the readable line', () => {
    const line = jsonLineOf((log) => log.warn({ pool: { url: 'x', password: 'hunter2' } }, 'pool refused'));
    const out = prettyLineFormatter(true)(line);
    expect(out).toContain('pool refused');
    expect(out).not.toContain('hunter2');
    expect(out).toContain('[redacted]');
  });

  it('the daemon loads pino-pretty only once a readable form is asked for (JSON runs never carry it)', async () => {
    const dist = join(here, '..', '..', 'dist', 'src');
    // A fresh process: this worker's module cache is shared with other test files.
    const script = [
      "import { createRequire } from 'node:module';",
      "const cache = createRequire(process.cwd() + '/').cache;",
      "const loaded = () => Object.keys(cache).some((k) => k.includes('/node_modules/pino-pretty/'));",
      `await import(${JSON.stringify(pathToFileURL(join(dist, 'roles', 'miner', 'main.js')).href)});`,
      'const before = loaded();',
      `const { prettyLineFormatter } = await import(${JSON.stringify(pathToFileURL(join(dist, 'log-format.js')).href)});`,
      "const line = prettyLineFormatter(false)(JSON.stringify({ level: 30, time: 0, msg: 'hello' }) + '\\n');",
      'console.log(JSON.stringify({ before, after: loaded(), line }));',
    ].join('\n');
    const run = await runNode(['--input-type=module', '-e', script]);
    expect(run.stderr).toBe('');
    const seen = JSON.parse(run.stdout) as { before: boolean; after: boolean; line: string };
    expect(seen.before).toBe(false);
    expect(seen.after).toBe(true);
    expect(seen.line).toMatch(/INFO: hello/);
  });

  it('sv2miner run --for 1 --log-format pretty prints readable lines, json prints JSON, a bad form is a usage error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sv2miner-logfmt-'));
    try {
      // One config directory (and state directory) per run: the runs go at once.
      const configDir = (name: string): string => {
        const at = join(dir, name);
        mkdirSync(at);
        const config = {
          ...simConfigInput({ board: 'sim-bm1370-1', stateDir: join(at, 'state') }),
          logLevel: 'info',
        };
        writeFileSync(join(at, 'default.json'), JSON.stringify(config));
        return at;
      };
      // The contract is the shape of every line of a whole run (start to "stopped cleanly"), not
      // how long it mines: one second each, both forms and the usage error side by side.
      const mineBriefly = (format: string) =>
        runCli(['run', '--config-dir', configDir(format), '--for', '1', '--no-api', '--log-format', format]);
      const [pretty, json, bad] = await Promise.all([
        mineBriefly('pretty'),
        mineBriefly('json'),
        runCli(['run', '--config-dir', configDir('fancy'), '--log-format', 'fancy']),
      ]);
      const prettyLines = pretty.stderr.split('\n').filter((l) => l !== '');
      expect(prettyLines.some((l) => /\] INFO: \[lifecycle\] stopped cleanly/.test(l))).toBe(true);
      expect(prettyLines.some((l) => l.startsWith('{'))).toBe(false);

      // `--for 1` on the real CLI: it mined for the second and printed the summary line last.
      for (const run of [pretty, json]) {
        const summary = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '') as { uptime_s?: number };
        expect(summary.uptime_s).toBeGreaterThanOrEqual(1);
      }

      const jsonLines = json.stderr.split('\n').filter((l) => l !== '');
      const parsed = jsonLines.map((l) => JSON.parse(l) as { msg?: string; component?: string });
      expect(parsed.some((e) => e.component === 'lifecycle' && e.msg === 'stopped cleanly')).toBe(true);

      expect(bad.code).toBe(2);
      expect(bad.stderr.trim()).toBe(
        'run: --log-format must be one of auto, json, pretty, got "fancy" (see sv2miner run --help)',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
