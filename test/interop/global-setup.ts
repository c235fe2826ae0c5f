/**
 * Builds test/interop/sri-peer (Rust, SRI's published crates pinned by Cargo.lock) once per run
 * and hands the binary path to the suites via provide('sriPeer'). No cargo on the machine: the
 * SRI suites skip with a loud message; cargo present but the build fails: the run fails.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
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

declare module 'vitest' {
  export interface ProvidedContext {
    sriPeer: SriPeerInfo;
  }
}

function hasCargo(): boolean {
  return spawnSync('cargo', ['--version'], { stdio: 'ignore' }).status === 0;
}

export function setup(project: TestProject): void {
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
