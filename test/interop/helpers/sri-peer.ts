/**
 * Drives the sri-peer program from the suites: spawns `sri-peer pool` (waits for its
 * "listening HOST:PORT authority KEY" line) and `sri-peer miner`, and collects their JSON lines
 * (one object per line, field `event`) so tests can compare SRI's verdicts with ours.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { inject } from 'vitest';
import type { SriPeerInfo } from '../global-setup.js';

export interface PeerLine {
  readonly event: string;
  readonly [field: string]: unknown;
}

type Waiter = { readonly pred: (l: PeerLine) => boolean; readonly resolve: (l: PeerLine) => void };

export class PeerProcess {
  readonly lines: PeerLine[] = [];
  readonly plain: string[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;
  private waiters: Waiter[] = [];

  constructor(bin: string, args: readonly string[]) {
    this.child = spawn(bin, [...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out = this.child.stdout;
    const err = this.child.stderr;
    if (out === null || err === null) throw new Error('sri-peer: no stdio pipes');
    createInterface({ input: out }).on('line', (line) => this.onLine(line));
    createInterface({ input: err }).on('line', (line) => this.stderr.push(line));
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  private onLine(line: string): void {
    if (!line.startsWith('{')) {
      this.plain.push(line);
      return;
    }
    const parsed = JSON.parse(line) as PeerLine;
    this.lines.push(parsed);
    const still: Waiter[] = [];
    for (const w of this.waiters) {
      if (w.pred(parsed)) w.resolve(parsed);
      else still.push(w);
    }
    this.waiters = still;
  }

  events(name: string): PeerLine[] {
    return this.lines.filter((l) => l.event === name);
  }

  /** Resolves with the first line (already seen or future) that matches. */
  waitFor(pred: (l: PeerLine) => boolean, timeoutMs = 30_000, what = 'line'): Promise<PeerLine> {
    const seen = this.lines.find(pred);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`sri-peer: no ${what} within ${timeoutMs} ms; got:\n${this.dump()}`)),
        timeoutMs,
      );
      this.waiters.push({
        pred,
        resolve: (l) => {
          clearTimeout(timer);
          resolve(l);
        },
      });
    });
  }

  dump(): string {
    return [...this.plain, ...this.lines.map((l) => JSON.stringify(l)), ...this.stderr].join('\n');
  }

  stop(): Promise<number | null> {
    if (this.child.exitCode === null) this.child.kill('SIGTERM');
    return this.exited;
  }
}

export interface SriPool {
  readonly proc: PeerProcess;
  readonly host: string;
  readonly port: number;
  readonly authority: string;
  /** The URL form miners configure: stratum2+tcp://host:port/<authority key>. */
  readonly url: string;
}

export async function startSriPool(
  bin: string,
  args: readonly string[],
  timeoutMs = 10_000,
): Promise<SriPool> {
  const proc = new PeerProcess(bin, ['pool', '--listen', '127.0.0.1:0', ...args]);
  const deadline = performance.now() + timeoutMs;
  const ready = await new Promise<string>((resolve, reject) => {
    let exitCode: number | null | undefined;
    void proc.exited.then((code) => {
      exitCode = code;
    });
    const timer = setInterval(() => {
      const line = proc.plain.find((l) => l.startsWith('listening '));
      if (line !== undefined) resolve(line);
      else if (exitCode !== undefined)
        reject(new Error(`sri-peer pool exited (${exitCode}):\n${proc.dump()}`));
      else if (performance.now() > deadline)
        reject(new Error(`sri-peer pool not listening after ${timeoutMs} ms:\n${proc.dump()}`));
      else return;
      clearInterval(timer);
    }, 20);
  });
  const m = /^listening ([0-9.]+):(\d+) authority (\w+)$/.exec(ready);
  if (m === null) throw new Error(`sri-peer pool: unexpected ready line ${ready}`);
  const [, host = '', port = '0', authority = ''] = m;
  return { proc, host, port: Number(port), authority, url: `stratum2+tcp://${host}:${port}/${authority}` };
}

/** Runs `sri-peer miner` to completion and returns its exit code and lines. */
export async function runSriMiner(
  bin: string,
  args: readonly string[],
): Promise<{ readonly code: number | null; readonly proc: PeerProcess }> {
  const proc = new PeerProcess(bin, ['miner', ...args]);
  const code = await proc.exited;
  return { code, proc };
}

/**
 * The binary globalSetup built, or a skip reason. Under the plain `vitest.config.ts` (npm test)
 * there is no globalSetup and nothing was provided: the suites skip and say how to run them.
 */
export function sriPeer(): SriPeerInfo {
  const provided = inject('sriPeer') as SriPeerInfo | undefined;
  const info = provided ?? {
    bin: '',
    skipReason: 'interop suites run only under vitest.interop.config.ts (npm run test:interop)',
    buildSeconds: 0,
  };
  if (info.bin === '') console.warn(`\n!!! SKIPPING SRI interop: ${info.skipReason} !!!\n`);
  return info;
}
