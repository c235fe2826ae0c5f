/**
 * The layering the README's Architecture section draws, checked on every relative import of the
 * product code: roles are composition roots that never import each other; shared pieces below
 * them never import a role; hardware and protocol layers never reach up into the apps.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(dir, f));
}

/** Every relative import of `file`, as a repo-relative path (type-only ones left out if asked). */
function importsOf(file: string, { values = false } = {}): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(
    /(import\s+type\s[^;]*?|export\s+type\s[^;]*?)?(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g,
  )) {
    const spec = m[2];
    if (spec === undefined || (values && m[1] !== undefined)) continue;
    out.push(relative(ROOT, resolve(ROOT, dirname(file), spec)));
  }
  return out;
}

const FILES = [...sources('src'), ...sources('drivers'), ...sources('boards')];

function violations(from: (file: string) => boolean, forbidden: (target: string) => boolean): string[] {
  return FILES.filter(from).flatMap((f) =>
    importsOf(f)
      .filter(forbidden)
      .map((t) => `${f} -> ${t}`),
  );
}

const roleOf = (path: string): string | undefined => /^src\/roles\/([^/]+)\//.exec(path)?.[1];

describe('architecture', () => {
  it('reads the imports it checks', () => {
    expect(importsOf('src/roles/miner/main.ts')).toContain('src/app/lifecycle.js');
  });

  it('has the layout it describes', () => {
    for (const dir of [
      'src/roles/miner',
      'src/roles/pool',
      'src/roles/pool-check',
      'src/app',
      'src/connection',
    ])
      expect(readdirSync(join(ROOT, dir)).length, dir).toBeGreaterThan(0);
  });

  it('roles never import each other', () => {
    const crossing = FILES.filter((f) => roleOf(f) !== undefined).flatMap((f) =>
      importsOf(f)
        .filter((t) => roleOf(t) !== undefined && roleOf(t) !== roleOf(f))
        .map((t) => `${f} -> ${t}`),
    );
    expect(crossing).toEqual([]);
  });

  it('nothing below the roles imports a role (the CLI table excepted: it names them)', () => {
    expect(
      violations(
        (f) => roleOf(f) === undefined && !f.startsWith('src/cli/'),
        (t) => roleOf(t) !== undefined,
      ),
    ).toEqual([]);
  });

  it('drivers and boards never import the apps, the client stack or the APIs', () => {
    const up = ['src/roles/', 'src/upstream/', 'src/api/', 'src/app/', 'src/cli/', 'src/pool-server/'];
    expect(
      violations(
        (f) => f.startsWith('drivers/') || f.startsWith('boards/'),
        (t) => up.some((u) => t.startsWith(u)),
      ),
    ).toEqual([]);
  });

  it("the miner's composition root alone picks hardware and pool implementations", () => {
    // Outside compose*.ts the role uses what it is handed (parts.ts); from drivers/ it may take
    // only data and pure decisions: the chip table, the simulator's defaults, the thermal rule,
    // the fan's PID.
    const data = [
      'drivers/bm13xx/chips.js',
      'drivers/sim/sim-chain.js',
      'drivers/peripherals/thermal.js',
      'drivers/fans/fan-control.js',
    ];
    const picks = (t: string): boolean =>
      (t.startsWith('drivers/') && !data.includes(t)) || t.startsWith('src/pool-server/');
    const offenders = sources('src/roles/miner')
      .filter((f) => !/\/compose[^/]*\.ts$/.test(f))
      .flatMap((f) =>
        importsOf(f, { values: true })
          .filter(picks)
          .map((t) => `${f} -> ${t}`),
      );
    expect(offenders).toEqual([]);
    // The rule reads value imports: the composition root does import a driver.
    expect(importsOf('src/roles/miner/compose-board.ts', { values: true })).toContain(
      'drivers/bm13xx/chain.js',
    );
  });

  it('config, channels, bitcoin and the connection never import the APIs or the apps', () => {
    const low = ['src/config/', 'src/channels/', 'src/bitcoin/', 'src/connection/', 'src/work/'];
    expect(
      violations(
        (f) => low.some((l) => f.startsWith(l)),
        (t) => t.startsWith('src/api/') || t.startsWith('src/app/') || t.startsWith('src/cli/'),
      ),
    ).toEqual([]);
  });
});
