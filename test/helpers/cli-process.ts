/**
 * The built CLI as a child process, for the tests that run `sv2miner` the way a user does:
 * its path (npm test builds dist/ first), a run that collects both streams, and the first stdout
 * lines of a long-running command (sim-board prints its paths, then serves).
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { join } from 'node:path';

export const CLI = join(import.meta.dirname, '..', '..', 'dist', 'src', 'cli', 'main.js');

export interface ProcessResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `node <args>` to its end. */
export function runNode(args: readonly string[]): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** `sv2miner <args>` to its end. */
export function runCli(args: readonly string[]): Promise<ProcessResult> {
  return runNode([CLI, ...args]);
}

/** Resolves with the first `n` stdout lines of `child`; rejects if it exits first. */
export function firstLines(child: ChildProcessWithoutNullStreams, n: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    let text = '';
    child.stdout.on('data', (d: Buffer) => {
      text += d.toString();
      const lines = text.split('\n');
      if (lines.length > n) resolve(lines.slice(0, n));
    });
    child.once('exit', (code) => reject(new Error(`exited ${code} before ${n} lines: ${text}`)));
  });
}
