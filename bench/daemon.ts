/**
 * Daemon benchmarks. job_switch_p50/p99_ms: a SetNewPrevHash read from the pool socket until the
 * new job's bytes are handed to every chain's link (embedded local pool forcing blocks, simulated
 * 4-chip BM1370 board, real Noise). uart_job_wire_ms: one job frame's line time at the working baud
 * (10 bits a byte, bm13xx.md §6). idle_rss_mb / bare_node_rss_mb: VmRSS after ~60 s.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { boardById } from '../boards/registry.js';
import { jobFull } from '../drivers/bm13xx/commands.js';
import { SimBinding } from '../drivers/sim/sim-binding.js';
import { tappedLink } from '../drivers/transport/tapped-link.js';
import { validateConfig } from '../src/config/schema.js';
import { tcpSocketFactory } from '../src/connection/dial.js';
import { composeMiner } from '../src/roles/miner/compose.js';
import { type BenchLine, percentile } from './lib.js';

const BOARD = 'sim-bm1370-chain';
const SWITCHES = 60;
const RSS_SECONDS = 60;

export async function run(): Promise<BenchLine[]> {
  const board = boardById(BOARD);
  const switches = await jobSwitchLatencies(SWITCHES);
  const frame = jobFull({
    jobId: 0,
    nbits: 0,
    ntime: 0,
    version: 0x20000000,
    merkleRoot: new Uint8Array(32),
    prevHash: new Uint8Array(32),
  });
  const lines: BenchLine[] = [
    { name: 'job_switch_p50_ms', value: percentile(switches, 50), unit: 'ms' },
    { name: 'job_switch_p99_ms', value: percentile(switches, 99), unit: 'ms' },
    { name: 'uart_job_wire_ms', value: (frame.length * 10 * 1000) / board.baud.working, unit: 'ms' },
  ];
  const [daemon, bare] = await Promise.all([
    rssAfter([
      fileURLToPath(new URL('../src/cli/main.js', import.meta.url)),
      'run',
      '--for',
      String(RSS_SECONDS + 5),
      '--no-api',
    ]),
    rssAfter(['-e', `setTimeout(() => {}, ${(RSS_SECONDS + 5) * 1000})`]),
  ]);
  if (daemon !== undefined) lines.push({ name: 'idle_rss_mb', value: daemon, unit: 'MB' });
  if (bare !== undefined) lines.push({ name: 'bare_node_rss_mb', value: bare, unit: 'MB' });
  return lines;
}

/** Forces `count` blocks on the embedded pool; per block: last socket read before the first job write. */
async function jobSwitchLatencies(count: number): Promise<number[]> {
  let lastReadAt = 0;
  const chains = boardById(BOARD).chains.length;
  let waiting: { prevHash: string; seen: Set<number>; resolve: (ms: number) => void } | undefined;
  const result = validateConfig({
    board: BOARD,
    pools: [],
    chipDifficulty: 256,
    api: { host: '127.0.0.1', port: 0, cgminerPort: 0 },
    thermal: { throttleC: 70, shutdownC: 80, hysteresisC: 5, maxBadReadings: 3 },
    logLevel: 'silent',
    localPool: { host: '127.0.0.1', port: 0, sharesPerMinute: 6 },
    stateDir: '/tmp/sv2miner-bench-state',
  });
  if (!result.ok) throw result.errors[0];
  const miner = composeMiner({
    config: result.config,
    board: boardById(BOARD),
    // The timestamp of every chunk read from the pool socket, taken before the client sees it.
    socketFactory: async (endpoint, timeoutMs) => {
      const socket = await tcpSocketFactory(endpoint, timeoutMs);
      socket.on('data', () => {
        lastReadAt = performance.now();
      });
      return socket;
    },
    wrapLink: (link, chain) =>
      tappedLink(link, (bytes) => {
        // 55 AA 21: a full-header job frame; its prev hash sits word-reversed at 50..81 (bm13xx.md §7.1).
        if (waiting === undefined || bytes[2] !== 0x21) return;
        if (Buffer.from(bytes.subarray(50, 82)).toString('hex') !== waiting.prevHash) return;
        waiting.seen.add(chain);
        if (waiting.seen.size < chains) return;
        const done = waiting;
        waiting = undefined;
        // The flush is synchronous from the socket read to the last chain's write (no other read between).
        done.resolve(performance.now() - lastReadAt);
      }),
  });
  const samples: number[] = [];
  try {
    await miner.start();
    await miner.ready;
    const pool = miner.localPool;
    if (pool === undefined) throw new Error('bench needs the embedded pool');
    for (let i = 0; i < count; i++) {
      // The client reads the broadcast only after this synchronous block, so arming after is safe.
      const tip = pool.newBlock();
      const latency = new Promise<number>((resolve) => {
        waiting = { prevHash: frameOrder(tip.prevHash), seen: new Set(), resolve };
      });
      samples.push(await Promise.race([latency, sleep(5_000).then(() => Number.NaN)]));
      await sleep(100);
    }
  } finally {
    await miner.stop();
    SimBinding.reset();
  }
  return samples.filter((s) => Number.isFinite(s));
}

/** Header-order hash -> the job frame's order: its eight 4-byte words reversed (bm13xx.md §7.1). */
function frameOrder(hash: Uint8Array): string {
  const out = new Uint8Array(32);
  for (let w = 0; w < 8; w++) out.set(hash.subarray(w * 4, w * 4 + 4), (7 - w) * 4);
  return Buffer.from(out).toString('hex');
}

/**
 * Spawns `node ...args`, reads /proc/<pid>/status VmRSS after RSS_SECONDS, then stops it. Runs in a
 * temporary directory on the repository's config, so the daemon's ./state lands there.
 */
async function rssAfter(args: readonly string[]): Promise<number | undefined> {
  const cwd = await mkdtemp(join(tmpdir(), 'sv2miner-rss-'));
  const env = {
    ...process.env,
    NODE_CONFIG_DIR: process.env['NODE_CONFIG_DIR'] ?? join(process.cwd(), 'config'),
  };
  const child = spawn(process.execPath, [...args], { stdio: 'ignore', cwd, env });
  try {
    await sleep(RSS_SECONDS * 1000);
    if (child.exitCode !== null || child.pid === undefined) return undefined;
    const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
    const kb = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
    return kb === undefined ? undefined : Number(kb) / 1024;
  } finally {
    child.kill('SIGTERM');
    await sleep(2_000);
    await rm(cwd, { recursive: true, force: true });
  }
}
