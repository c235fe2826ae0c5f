/**
 * `npm run soak -- --minutes N [--seed S] [--faults a,b,c]`: the fault campaign of issue 12. Runs
 * `sv2miner run` as a child process on a simulated 4-chip BM1370 board at a high nonce rate,
 * against three local pools over real TCP and Noise, while a seeded schedule kills, restarts,
 * silences and corrupts pools, spoils the UART, kills a chip, changes prev hashes every few
 * seconds and hammers the APIs. Then a fuzz phase. Prints one table row per check and exits 1
 * on any violation (2 on bad arguments).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { seededRandom } from '../../drivers/sim/faults.js';
import { freePort } from '../free-port.js';
import { evaluate, formatTable, type Observations } from './checks.js';
import { FUZZ_INPUTS, FUZZ_TARGETS, type FuzzResult, type FuzzTargetName, runFuzz } from './fuzz.js';
import { ApiHammer, EndlessStream } from './hammer.js';
import { HOSTILE_CLASSES } from './hostile-pool.js';
import { PoolSlot } from './pool-slot.js';
import type { RigLedger, RigMemory, RigMessage, RigSample, RigSpec } from './rig-protocol.js';
import { FaultSchedule } from './schedule.js';

export const FAULT_CLASSES = [
  'kill',
  ...HOSTILE_CLASSES,
  'uart',
  'chip-death',
  'prevhash',
  'api-hammer',
  'api-stream',
] as const;
export type FaultClass = (typeof FAULT_CLASSES)[number];

/**
 * 40 kH/s at a 2^-9 nonce chance: ~78 nonces/s from 4 chips; pool difficulty 2^-18: ~1 nonce in
 * 32 is a share (~2.4/s). The simulator hashes on the rig's own event loop, which real chips do
 * not, so its rate is kept low (~15 % of a core) and the nonce rate comes from the relaxation.
 */
const RIG: RigSpec = { board: 'sim-bm1370-chain', hashrate: 40_000, simTargetShift: 31 };
const POOL_DIFFICULTY = 2 ** -18;
const TOKEN = 'soak-campaign-token-0123456789abcdef';
const SLOTS = ['A', 'B', 'C'];

const usage = (message: string): never => {
  process.stderr.write(
    `soak: ${message} (usage: npm run soak -- --minutes N [--seed S] [--faults a,b,...] [--fuzz-targets a,b,...] [--no-fuzz])\n`,
  );
  process.exit(2);
};

const { values } = (() => {
  try {
    return parseArgs({
      options: {
        minutes: { type: 'string', default: '2' },
        seed: { type: 'string' },
        faults: { type: 'string' },
        'fuzz-inputs': { type: 'string', default: String(FUZZ_INPUTS) },
        'fuzz-seconds': { type: 'string', default: '900' },
        'handshake-seconds': { type: 'string', default: '20' },
        'no-fuzz': { type: 'boolean', default: false },
        'fuzz-targets': { type: 'string', default: FUZZ_TARGETS.join(',') },
      },
      strict: true,
    });
  } catch (error) {
    return usage(error instanceof Error ? error.message : String(error));
  }
})();

const minutes = Number(values.minutes);
if (!(Number.isFinite(minutes) && minutes >= 1))
  usage(`--minutes must be a number >= 1, got "${values.minutes}"`);
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 32) : Number(values.seed);
if (!(Number.isInteger(seed) && seed >= 0 && seed < 2 ** 32))
  usage(`--seed must be an integer 0..2^32-1, got "${values.seed}"`);
const faults = new Set<FaultClass>();
for (const name of (values.faults ?? FAULT_CLASSES.join(',')).split(',').filter(Boolean)) {
  if (!(FAULT_CLASSES as readonly string[]).includes(name))
    usage(`unknown fault class "${name}" (known: ${FAULT_CLASSES.join(', ')})`);
  faults.add(name as FaultClass);
}
const fuzzTargets = new Set<FuzzTargetName>();
for (const name of values['fuzz-targets'].split(',').filter(Boolean)) {
  if (!(FUZZ_TARGETS as readonly string[]).includes(name))
    usage(`unknown fuzz target "${name}" (known: ${FUZZ_TARGETS.join(', ')})`);
  fuzzTargets.add(name as FuzzTargetName);
}
const fuzzInputs = Number(values['fuzz-inputs']);
const fuzzSeconds = Number(values['fuzz-seconds']);
const handshakeSeconds = Number(values['handshake-seconds']);
for (const [flag, v] of [
  ['--fuzz-inputs', fuzzInputs],
  ['--fuzz-seconds', fuzzSeconds],
  ['--handshake-seconds', handshakeSeconds],
] as const)
  if (!(Number.isFinite(v) && v > 0)) usage(`${flag} must be a positive number`);

const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};
say(
  `soak: seed ${seed} (repeat with --seed ${seed}), ${minutes} min, faults: ${[...faults].join(',') || 'none'}, fuzz: ${
    values['no-fuzz'] ? 'off' : [...fuzzTargets].join(',')
  }`,
);

const random = seededRandom(seed);
const dir = mkdtempSync(join(tmpdir(), 'sv2miner-soak-'));
const totalMs = minutes * 60_000;
/**
 * Every fault runs through the warm-up, three times as often as after it (a burn-in), and the
 * baseline is taken at its end: V8 compiles and sizes its heap for each code path as the faults
 * drive it hot, and that must not read as growth. Measured (README "Fault campaign"): under all
 * faults at the normal pace the rig's RSS after GC climbs about 5 MB in the first 100 s and then
 * flattens (+3.6 MB over the next 6 min), the growth in V8's compiled code and heap pages, none
 * in objects, buffers or malloc's heap. A leak per fault still shows: faults go on after it.
 */
const warmupMs = Math.min(60_000, totalMs * 0.35);
const WARMUP_PACE = 3;
const settleMs = 8_000;

const slots = await Promise.all(
  SLOTS.map(
    async (name) => new PoolSlot({ name, port: await freePort(), difficulty: POOL_DIFFICULTY, random }),
  ),
);
for (const slot of slots) await slot.set('healthy');
const apiPort = await freePort();
const cgminerPort = await freePort();
writeFileSync(
  join(dir, 'default.json'),
  JSON.stringify({
    board: RIG.board,
    pools: slots.map((s) => ({ url: s.url, user: `soak.${s.name}` })),
    chipDifficulty: 256,
    api: { host: '127.0.0.1', port: apiPort, cgminerPort, token: TOKEN },
    thermal: { throttleC: 70, shutdownC: 80, hysteresisC: 5, maxBadReadings: 3 },
    logLevel: 'warn',
    localPool: { host: '127.0.0.1', port: 0, sharesPerMinute: 20 },
    stateDir: join(dir, 'state'),
    certificateLeewaySec: 60,
  }),
);
const logFile = join(dir, 'rig.log');
const child: ChildProcess = fork(
  fileURLToPath(new URL('./rig-process.js', import.meta.url)),
  [JSON.stringify(RIG), '--config-dir', dir, '--log-format', 'json'],
  {
    // --expose-gc: every memory reading is taken right after a full collection (settledMemory).
    execArgv: [...process.execArgv, '--expose-gc'],
    stdio: ['ignore', 'ignore', openSync(logFile, 'a'), 'ipc'],
    env: { ...process.env, NODE_CONFIG_DIR: dir },
  },
);
const childPid = child.pid ?? -1;
say(`soak: rig pid ${childPid}, API http://127.0.0.1:${apiPort}/, log ${logFile}`);

let exitedEarly = false;
let stopping = false;
let exitInfo: { code: number | null; at: number } | undefined;
child.once('exit', (code) => {
  exitInfo = { code, at: performance.now() };
  if (!stopping) exitedEarly = true;
});

let latest: RigSample | undefined;
let phase: 'warmup' | 'faults' | 'settle' = 'warmup';
let healthySamples = 0;
let workingSamples = 0;
/** Why the chips had no work from a healthy pool, by sample: where coverage is lost. */
const idleReasons: Record<string, number> = {};
let ledgerWaiter: ((l: RigLedger) => void) | undefined;
/** Answers to 'gc' commands arrive in order: one waiter each, oldest first. */
const gcWaiters: ((memory: RigMemory) => void)[] = [];
child.on('message', (raw) => {
  const m = raw as RigMessage;
  if (m.type === 'gc-done') {
    gcWaiters.shift()?.(m.memory);
    return;
  }
  if (m.type === 'ledger') {
    ledgerWaiter?.(m.ledger);
    ledgerWaiter = undefined;
    return;
  }
  latest = m.sample;
  if (phase !== 'faults') return;
  if (!slots.some((s) => s.mode === 'healthy')) return;
  healthySamples++;
  const on = slots.find((s) => s.url === m.sample.currentPool);
  const idle =
    on === undefined
      ? 'no pool'
      : on.mode !== 'healthy'
        ? `on a ${on.mode} pool`
        : m.sample.poolState !== 'mining'
          ? `pool ${m.sample.poolState ?? 'none'}`
          : !m.sample.hasJob
            ? 'no job'
            : m.sample.miningChains === 0
              ? 'no chain mining'
              : undefined;
  if (idle === undefined) workingSamples++;
  else idleReasons[idle] = (idleReasons[idle] ?? 0) + 1;
});

let uptimeWentBack = false;
let lastUptime = -1;
const monitor = setInterval(() => {
  void getJson(apiPort, '/api/system/info').then((info) => {
    const up = typeof info?.['uptimeSeconds'] === 'number' ? info['uptimeSeconds'] : undefined;
    if (up === undefined) return;
    if (up < lastUptime) uptimeWentBack = true;
    lastUptime = up;
  });
}, 1_000);

const t0 = performance.now();
const ready = await until(
  () => latest !== undefined && latest.poolState === 'mining' && latest.hasJob && latest.miningChains > 0,
  90_000,
);
if (!ready) {
  say(`soak: the rig never started mining; last lines of ${logFile}:`);
  say(tail(logFile));
}
say(`soak: rig mining after ${((performance.now() - t0) / 1000).toFixed(1)} s; warm-up ${warmupMs / 1000} s`);

const hammer = new ApiHammer({ httpPort: apiPort, cgminerPort }, random);
const streams = faults.has('api-stream')
  ? [new EndlessStream(apiPort, 'http'), new EndlessStream(cgminerPort, 'cgminer')]
  : [];
// The faults and the API load run through warm-up too (see warmupMs): the heap sizes itself to
// them before the RSS baseline is taken, so the adaptation is not read as growth (a leak keeps
// growing after it). Coverage and lag are counted only after warm-up.
if (faults.has('api-hammer')) hammer.start();
for (const s of streams) s.start();
const scheduleFor = (pace: number): FaultSchedule =>
  new FaultSchedule({
    slots,
    faults,
    random,
    pace,
    rig: (command) => child.send(command),
    currentPool: () => latest?.currentPool ?? null,
    log: (line) => say(`  ${((performance.now() - t0) / 1000).toFixed(1).padStart(6)} s  ${line}`),
  });
const burnIn = scheduleFor(WARMUP_PACE);
burnIn.start(warmupMs);
await sleep(warmupMs);
// Every pool healthy and the line clean again before the baseline.
await burnIn.stop();
const baseline = await settledMemory();
// A reading every 10 s through the fault phase: a leak climbs steadily, an allocator settling
// to its working set climbs and flattens. Printed and kept in result.json.
const memoryTrace: { atS: number; memory: RigMemory; maps: ResidentByMapping }[] = [
  { atS: 0, memory: baseline.memory, maps: residentByMapping(childPid) },
];
const traceStart = performance.now();
const tracer = setInterval(() => {
  void collectedMemory().then((memory) => {
    if (memory !== undefined)
      memoryTrace.push({
        atS: Math.round((performance.now() - traceStart) / 1000),
        memory,
        maps: residentByMapping(childPid),
      });
  });
}, 10_000);
// The first scrape starts the rig's event-loop histogram: warm-up is not in the lag figure.
await getText(apiPort, '/metrics');
const probe = startLagProbe();
phase = 'faults';
say(`  ${((performance.now() - t0) / 1000).toFixed(1).padStart(6)} s  warm-up over: baseline taken`);
const schedule = scheduleFor(1);
schedule.start(totalMs - warmupMs - settleMs);
await sleep(Math.max(0, totalMs - warmupMs - settleMs));

phase = 'settle';
clearInterval(tracer);
await schedule.stop();
hammer.stop();
const end = await settledMemory();
memoryTrace.push({
  atS: Math.round((performance.now() - traceStart) / 1000),
  memory: end.memory,
  maps: residentByMapping(childPid),
});
say(
  `soak: rig memory after GC, MB (t s: rss / V8 heap used / committed / external / array buffers / resident in malloc's brk heap / in anonymous maps): ${memoryTrace
    .map(
      ({ atS, memory: m, maps }) =>
        `${atS}: ${[m.rssMb, m.heapUsedMb, m.heapTotalMb, m.externalMb, m.arrayBuffersMb, maps.brkHeapMb, maps.anonymousMb].map((v) => v.toFixed(1)).join('/')}`,
    )
    .join(', ')}`,
);
const metrics = await getText(apiPort, '/metrics');
const lagP99Ms = lagFromMetrics(metrics);
const hostLagP99Ms = await probe.stop();
child.send({ type: 'quiet' });
await sleep(2_000);
let ledger = await readLedger();
const settleDeadline = performance.now() + settleMs;
while (ledger !== undefined && ledger.inFlight > 0 && performance.now() < settleDeadline) {
  await sleep(250);
  ledger = await readLedger();
}
const info = await getJson(apiPort, '/api/system/info');
const apiSharesAccepted = typeof info?.['sharesAccepted'] === 'number' ? info['sharesAccepted'] : undefined;
clearInterval(monitor);

stopping = true;
const stopAt = performance.now();
child.kill('SIGTERM');
await until(() => exitInfo !== undefined, 30_000);
if (exitInfo === undefined) child.kill('SIGKILL');
for (const s of streams) s.stop();
for (const slot of slots) await slot.stop();
say(
  `soak: API hammer ${hammer.requests} requests (${hammer.failures} failed or timed out); endless streams pushed ${streams
    .map((s) => `${(s.bytesSent / 1e6).toFixed(1)} MB in ${s.connections} connections`)
    .join(', ')}`,
);

let fuzz: FuzzResult[] = [];
if (!values['no-fuzz']) {
  say('soak: fuzz phase (rig stopped)');
  fuzz = await runFuzz(random, {
    inputs: fuzzInputs,
    maxSeconds: fuzzSeconds,
    handshakeSeconds,
    targets: fuzzTargets,
    onResult: (r) =>
      say(`  ${r.name}: ${r.inputs} inputs in ${r.seconds.toFixed(1)} s, ${r.violations} violations`),
  });
}

if (ledger === undefined) {
  say('soak: FAIL: the rig never answered for its books');
  say(tail(logFile));
  process.exit(1);
}
const observations: Observations = {
  ledger,
  lineFaults: faults.has('uart'),
  pools: slots.map((s) => s.books),
  apiSharesAccepted,
  childPid,
  exitedEarly,
  uptimeWentBack,
  rssBaselineMb: baseline.rssMb,
  rssEndMb: end.rssMb,
  memoryBaseline: baseline.memory,
  memoryEnd: end.memory,
  memoryTrace,
  lagP99Ms,
  hostLagP99Ms,
  healthySamples,
  workingSamples,
  idleReasons,
  stopSeconds: exitInfo === undefined ? undefined : (exitInfo.at - stopAt) / 1000,
  stopCode: exitInfo?.code,
  fuzz,
  fuzzInputs,
  chipHung: schedule.chipHung,
};
const rows = evaluate(observations);
say('');
say(
  `soak campaign ${new Date().toISOString()}, seed ${seed}, ${minutes} min, faults ${[...faults].join(',')}`,
);
say(formatTable(rows));
const failed = rows.filter((r) => r.result === 'FAIL');
for (const r of rows.filter((x) => x.result === 'SKIP')) say(`soak: SKIPPED ${r.name}: ${r.measured}`);
say(
  failed.length === 0
    ? 'soak: all checks passed'
    : `soak: ${failed.length} check(s) failed; rig log: ${logFile}`,
);
writeFileSync(
  join(dir, 'result.json'),
  JSON.stringify({ seed, minutes, faults: [...faults], rows, observations }, null, 1),
);
process.exit(failed.length === 0 ? 0 : 1);

// ---- helpers ------------------------------------------------------------------------------

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function until(test: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!test()) {
    if (performance.now() > deadline || exitedEarly) return false;
    await sleep(100);
  }
  return true;
}

function readLedger(): Promise<RigLedger | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), 5_000);
    ledgerWaiter = (l) => {
      clearTimeout(timer);
      resolve(l);
    };
    child.send({ type: 'ledger' });
  });
}

function rssMb(pid: number): number {
  try {
    const kb = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? Number.NaN : Number(kb) / 1024;
  } catch {
    return Number.NaN;
  }
}

interface ResidentByMapping {
  /** glibc's main arena (the brk heap, `[heap]` in smaps): native allocations. */
  readonly brkHeapMb: number;
  /** Anonymous maps: V8's heap pages, thread arenas and large mmap'd allocations. */
  readonly anonymousMb: number;
}

/** Where the rig's resident pages live (/proc/<pid>/smaps): tells V8's growth from malloc's. */
function residentByMapping(pid: number): ResidentByMapping {
  let brk = 0;
  let anonymous = 0;
  let current = '';
  try {
    for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
      const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
      if (head !== null) {
        current = head[1] ?? '';
        continue;
      }
      const rss = /^Rss:\s+(\d+) kB/.exec(line)?.[1];
      if (rss === undefined) continue;
      if (current === '[heap]') brk += Number(rss);
      else if (current === '') anonymous += Number(rss);
    }
  } catch {
    return { brkHeapMb: Number.NaN, anonymousMb: Number.NaN };
  }
  return { brkHeapMb: brk / 1024, anonymousMb: anonymous / 1024 };
}

/** One full collection in the rig and its memory right after; undefined if it did not answer. */
function collectedMemory(): Promise<RigMemory | undefined> {
  return new Promise((resolve) => {
    const waiter = (memory: RigMemory) => {
      clearTimeout(timer);
      resolve(memory);
    };
    const timer = setTimeout(() => {
      gcWaiters.splice(gcWaiters.indexOf(waiter), 1);
      resolve(undefined);
    }, 5_000);
    gcWaiters.push(waiter);
    child.send({ type: 'gc' });
  });
}

/**
 * The rig's RSS right after a full collection (it runs with --expose-gc), lowest of three a
 * second apart: garbage, and pages the allocator has not handed back yet, must not read as
 * growth. Also the rest of its memory figures after the last collection.
 */
async function settledMemory(): Promise<{ rssMb: number; memory: RigMemory }> {
  let rssLow = Number.POSITIVE_INFINITY;
  let memory: RigMemory = {
    rssMb: Number.NaN,
    heapUsedMb: Number.NaN,
    heapTotalMb: Number.NaN,
    externalMb: Number.NaN,
    arrayBuffersMb: Number.NaN,
    collected: false,
  };
  for (let i = 0; i < 3; i++) {
    memory = (await collectedMemory()) ?? memory;
    await sleep(1_000);
    rssLow = Math.min(rssLow, rssMb(childPid));
  }
  return { rssMb: rssLow, memory };
}

async function getText(port: number, path: string): Promise<string> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(5_000) });
    return await res.text();
  } catch {
    return '';
  }
}

async function getJson(port: number, path: string): Promise<Record<string, unknown> | undefined> {
  try {
    return JSON.parse(await getText(port, path)) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

function lagFromMetrics(text: string): number | undefined {
  const m = /^sv2miner_event_loop_lag_seconds\{quantile="0\.99"\} (\S+)$/m.exec(text);
  return m?.[1] === undefined ? undefined : Number(m[1]) * 1000;
}

/** A bare Node process measuring its own lag over the same window (lag-probe.ts). */
function startLagProbe(): { stop(): Promise<number | undefined> } {
  const p = fork(fileURLToPath(new URL('./lag-probe.js', import.meta.url)), [], {
    stdio: ['ignore', 'pipe', 'ignore', 'ipc'],
  });
  let out = '';
  p.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => p.once('exit', () => resolve()));
  return {
    async stop() {
      p.kill('SIGTERM');
      await Promise.race([exited, sleep(5_000)]);
      const p99 = Number(out.trim().split(' ')[0]);
      return Number.isFinite(p99) && out.trim() !== '' ? p99 : undefined;
    },
  };
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-15).join('\n');
  } catch {
    return '(no log)';
  }
}
