/**
 * The .deb checks `npm run package` runs (systemd/debian/check-deb.sh), on small packages built
 * here with dpkg-deb from the real control template, maintainer scripts and rig config: a
 * well-formed one passes, and each fault the check exists for is caught with its own line. The
 * full build with native addons is `npm run package`; installing on arm64 is `npm run test:arm`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const REPO = join(import.meta.dirname, '..', '..');
const DEBIAN = join(REPO, 'systemd', 'debian');
const CHECK = join(DEBIAN, 'check-deb.sh');
const VERSION = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;
const X86_64_ELF = 'ELF 64-bit LSB .*x86-64';
const AARCH64_ELF = 'ELF 64-bit LSB .*ARM aarch64';
const SCRIPTS = ['postinst', 'prerm', 'postrm'] as const;
/** A small x86-64 ELF program of this host (the suite runs on amd64 Debian, like CI). */
const HOST_ELF = realpathSync('/bin/true');

for (const tool of ['dpkg-deb', 'file']) {
  if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0)
    throw new Error(`${tool} is missing: apt-get install dpkg file (.ci/run installs it)`);
}

const work = mkdtempSync(join(tmpdir(), 'sv2miner-deb-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Fault {
  readonly unlistedConffile?: boolean;
  readonly brokenPostinst?: boolean;
  readonly depends?: string;
}

/** A package tree with what check-deb.sh looks for; the addons are copies of a small host ELF. */
function buildDeb(name: string, arch: string, fault: Fault = {}): string {
  const root = join(work, name);
  const put = (path: string, text: string, mode = 0o644) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
    chmodSync(join(root, path), mode);
  };
  put('usr/bin/sv2miner', readFileSync(join(DEBIAN, 'sv2miner.sh'), 'utf8'), 0o755);
  put('usr/lib/sv2miner/dist/src/cli/main.js', '#!/usr/bin/env node\n', 0o755);
  put('usr/lib/sv2miner/package.json', '{}\n');
  put('usr/lib/sv2miner/config/default.json', '{}\n');
  put('usr/lib/systemd/system/sv2miner.service', '[Service]\n');
  put('usr/share/doc/sv2miner/copyright', 'MIT\n');
  put('usr/share/doc/sv2miner/changelog.gz', '');
  put('etc/sv2miner/local.json', readFileSync(join(DEBIAN, 'local.json'), 'utf8'));
  put('etc/sv2miner/examples/sim-bm1370-1.json5', '// example\n{}\n');
  for (const addon of ['serialport', 'i2c', 'epoll', 'unix_dgram']) {
    const path = join(root, `usr/lib/sv2miner/node_modules/${addon}/build/Release/${addon}.node`);
    mkdirSync(dirname(path), { recursive: true });
    copyFileSync(HOST_ELF, path);
  }
  const control = readFileSync(join(DEBIAN, 'control'), 'utf8')
    .replace('@VERSION@', VERSION)
    .replace('@ARCH@', arch)
    .replace('@SIZE@', '1')
    .replace('@MAINTAINER@', 'test <test@example.invalid>');
  put(
    'DEBIAN/control',
    fault.depends === undefined ? control : control.replace(/^Depends: .*$/m, `Depends: ${fault.depends}`),
  );
  for (const script of SCRIPTS) {
    const text = readFileSync(join(DEBIAN, script), 'utf8');
    put(
      `DEBIAN/${script}`,
      script === 'postinst' && fault.brokenPostinst === true ? `${text}\nif then\n` : text,
      0o755,
    );
  }
  const conffiles = ['/etc/sv2miner/examples/sim-bm1370-1.json5'];
  if (fault.unlistedConffile !== true) conffiles.push('/etc/sv2miner/local.json');
  put('DEBIAN/conffiles', `${conffiles.join('\n')}\n`);
  const deb = join(work, `sv2miner_${VERSION}_${arch}.deb`);
  rmSync(deb, { force: true });
  execFileSync('dpkg-deb', ['--root-owner-group', '-Zgzip', '--build', root, deb], { stdio: 'ignore' });
  return deb;
}

function check(deb: string, arch: string, elf: string): { code: number; lines: string[] } {
  const r = spawnSync('bash', [CHECK, deb, arch, elf], { encoding: 'utf8' });
  return { code: r.status ?? -1, lines: r.stderr.trim().split('\n') };
}

describe('maintainer scripts and launcher', () => {
  for (const script of [...SCRIPTS, 'sv2miner.sh']) {
    it(`${script} passes sh -n and starts with #!/bin/sh`, () => {
      const r = spawnSync('sh', ['-n', join(DEBIAN, script)], { encoding: 'utf8' });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(readFileSync(join(DEBIAN, script), 'utf8').startsWith('#!/bin/sh\n')).toBe(true);
    });
  }

  it('install.sh (install from a clone) passes bash -n and checks the config the unit will read', () => {
    const script = join(REPO, 'systemd', 'install.sh');
    const r = spawnSync('bash', ['-n', script], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(readFileSync(script, 'utf8')).toContain(
      'NODE_CONFIG_DIR=/opt/sv2miner/config:/etc/sv2miner node /opt/sv2miner/dist/src/cli/main.js check-config',
    );
    expect(readFileSync(join(REPO, 'systemd', 'sv2miner.service'), 'utf8')).toContain(
      'Environment=NODE_CONFIG_DIR=/opt/sv2miner/config:/etc/sv2miner',
    );
  });

  it('purge removes the user, config and state; remove keeps them', () => {
    const postrm = readFileSync(join(DEBIAN, 'postrm'), 'utf8');
    const purge = postrm.slice(postrm.indexOf('if [ "$1" = purge ]'));
    expect(purge).toContain('rm -rf /etc/sv2miner /var/lib/sv2miner');
    expect(purge).toContain('userdel sv2miner');
    expect(readFileSync(join(DEBIAN, 'prerm'), 'utf8')).toMatch(
      /"\$1" = remove .*\n\s+deb-systemd-invoke stop sv2miner\.service/,
    );
  });

  it('the launcher defaults NODE_CONFIG_DIR to the package defaults then /etc/sv2miner, keeping a given one', () => {
    const launcher = join(DEBIAN, 'sv2miner.sh');
    const probe = (env: Record<string, string>) =>
      execFileSync('sh', ['-c', `sed 's#^exec .*#echo "$NODE_CONFIG_DIR"#' "${launcher}" | sh`], {
        encoding: 'utf8',
        env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...env },
      }).trim();
    expect(probe({})).toBe('/usr/lib/sv2miner/config:/etc/sv2miner');
    expect(probe({ NODE_CONFIG_DIR: '/srv/rig' })).toBe('/srv/rig');
  });
});

describe('check-deb.sh', () => {
  it('passes a well-formed package and lists what it checked', () => {
    const r = check(buildDeb('good', 'amd64'), 'amd64', X86_64_ELF);
    expect(r.lines).toEqual([`check-deb: sv2miner_${VERSION}_amd64.deb: ok (4 native addons, all amd64)`]);
    expect(r.code).toBe(0);
  });

  it('catches addons built for the wrong architecture, one line each', () => {
    const r = check(buildDeb('wrong-arch', 'arm64'), 'arm64', AARCH64_ELF);
    expect(r.code).toBe(1);
    const wrong = r.lines.filter((l) => l.includes('is not a arm64 ELF: ELF 64-bit LSB'));
    expect(wrong).toHaveLength(4);
    expect(
      wrong.some((l) => l.includes('/usr/lib/sv2miner/node_modules/epoll/build/Release/epoll.node')),
    ).toBe(true);
  });

  it('catches a file under /etc that is not a conffile, a broken postinst and a missing nodejs dependency', () => {
    const deb = buildDeb('faults', 'amd64', {
      unlistedConffile: true,
      brokenPostinst: true,
      depends: 'libc6',
    });
    const r = check(deb, 'amd64', X86_64_ELF);
    expect(r.code).toBe(1);
    const name = `check-deb: sv2miner_${VERSION}_amd64.deb:`;
    expect(r.lines).toContain(
      `${name} /etc/sv2miner/local.json is not a conffile (an upgrade would overwrite the rig's edits)`,
    );
    expect(r.lines).toContain(`${name} Depends lacks nodejs (>= 20.19): libc6`);
    expect(r.lines.some((l) => l.startsWith(`${name} postinst: sh -n: `))).toBe(true);
  });

  it('the control template names the distribution nodejs, not a bundled runtime', () => {
    const control = readFileSync(join(DEBIAN, 'control'), 'utf8');
    expect(control).toMatch(/^Depends: nodejs \(>= 20\.19\), /m);
    for (const field of ['Package', 'Version', 'Architecture', 'Maintainer', 'Description'])
      expect(control).toMatch(new RegExp(`^${field}: `, 'm'));
  });
});
