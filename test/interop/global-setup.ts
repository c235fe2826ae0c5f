/**
 * Builds test/interop/sri-peer (Rust, SRI's published crates pinned by Cargo.lock) once per run
 * and hands the binary path to the suites via provide('sriPeer'); installs SRI's translator_sv2
 * and pool_sv2 from crates.io into a cache outside the clone (provide('translator'),
 * provide('poolSv2')), so repeats take no build. No cargo on the machine: the SRI suites skip with a loud message; cargo present but a
 * build fails: the run fails.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

const here = dirname(fileURLToPath(import.meta.url));
export const SRI_PEER_DIR = resolve(here, 'sri-peer');

export interface SriPeerInfo {
  /** Absolute path of the built binary, or '' when unavailable. */
  readonly bin: string;
  readonly skipReason: string;
  readonly buildSeconds: number;
}

/** SRI's role binaries from crates.io, pinned; bump together with README Interoperability. */
export const TRANSLATOR_CRATE = 'translator_sv2@0.6.0';
/** Needs Debian's capnproto and libcapnp-dev to build (.ci/run installs them). */
export const POOL_CRATE = 'pool_sv2@0.7.0';
/** cargo install --root: the binaries land in <root>/bin, the build in <root>/target. */
export const SRI_CACHE = resolve(
  process.env['SV2MINER_SRI_CACHE'] ?? join(homedir(), '.cache', 'sv2miner-sri'),
);

/** An SRI role binary installed from crates.io. */
export interface SriRoleInfo {
  /** Absolute path of the binary, or '' when unavailable. */
  readonly bin: string;
  readonly skipReason: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    sriPeer: SriPeerInfo;
    translator: SriRoleInfo;
    poolSv2: SriRoleInfo;
  }
}

function hasCargo(): boolean {
  return spawnSync('cargo', ['--version'], { stdio: 'ignore' }).status === 0;
}

export function setup(project: TestProject): void {
  setupSriPeer(project);
  project.provide('translator', installSriRole(TRANSLATOR_CRATE, 'translator_sv2', '~20 min'));
  project.provide('poolSv2', installSriRole(POOL_CRATE, 'pool_sv2', '~20 min'));
}

/**
 * An SRI role binary via `cargo install --locked` (its own Cargo.lock) into SRI_CACHE. An existing
 * binary is reused without running cargo: a second cargo on the same target dir would only wait
 * for the lock, and the installed version is fixed by the crate pin.
 */
function installSriRole(crate: string, binName: string, coldBuild: string): SriRoleInfo {
  const bin = join(SRI_CACHE, 'bin', binName);
  if (existsSync(bin)) return { bin, skipReason: '' };
  if (!hasCargo()) {
    const reason = `cargo is not installed: the ${binName} suite is SKIPPED (install Rust to run it)`;
    process.stderr.write(`\n!!!!!!!!!! ${reason} !!!!!!!!!!\n\n`);
    return { bin: '', skipReason: reason };
  }
  process.stderr.write(`building ${crate} into ${SRI_CACHE} (cold: ${coldBuild} on two cores)\n`);
  const started = performance.now();
  const r = spawnSync(
    'cargo',
    ['install', '--locked', crate, '--root', SRI_CACHE, '--target-dir', join(SRI_CACHE, 'target')],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  if (r.status !== 0 || !existsSync(bin))
    throw new Error(`cargo install ${crate} failed (exit ${r.status}):\n${r.stderr.slice(-4000)}`);
  process.stderr.write(`${crate} built in ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
  return { bin, skipReason: '' };
}

function setupSriPeer(project: TestProject): void {
  const bin = join(SRI_PEER_DIR, 'target', 'release', 'sri-peer');
  const given = process.env['SRI_PEER_BIN'];
  if (given !== undefined && given !== '') {
    project.provide('sriPeer', { bin: resolve(given), skipReason: '', buildSeconds: 0 });
    return;
  }
  if (!hasCargo()) {
    const reason = 'cargo is not installed: the SRI interop suites are SKIPPED (install Rust to run them)';
    process.stderr.write(`\n!!!!!!!!!! ${reason} !!!!!!!!!!\n\n`);
    project.provide('sriPeer', { bin: '', skipReason: reason, buildSeconds: 0 });
    return;
  }
  const started = performance.now();
  const r = spawnSync('cargo', ['build', '--release', '--locked'], {
    cwd: SRI_PEER_DIR,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const buildSeconds = (performance.now() - started) / 1000;
  if (r.status !== 0 || !existsSync(bin))
    throw new Error(`cargo build of sri-peer failed (exit ${r.status}):\n${r.stderr}`);
  process.stderr.write(`sri-peer built in ${buildSeconds.toFixed(1)} s\n`);
  project.provide('sriPeer', { bin, skipReason: '', buildSeconds });
}
