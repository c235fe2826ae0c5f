/**
 * The campaign's verdict: one row per check (name, measured, bound, pass/fail), computed from
 * what the campaign observed (pool books, rig samples, API reads, process facts) and the rig's own
 * books. Pure: everything it judges is passed in, so a table can be recomputed from a saved run.
 */
import type { FuzzResult } from './fuzz.js';
import type { SlotBooks } from './pool-slot.js';
import { STALE_GRACE_MS } from './pool-slot.js';
import type { RigLedger, RigMemory } from './rig-protocol.js';

export interface Row {
  readonly name: string;
  readonly measured: string;
  readonly bound: string;
  /** SKIP: the instrument itself was too noisy to judge the bound (said in the row). */
  readonly result: 'pass' | 'FAIL' | 'SKIP';
}

export interface Observations {
  readonly ledger: RigLedger;
  readonly lineFaults: boolean;
  readonly pools: readonly SlotBooks[];
  readonly apiSharesAccepted: number | undefined;
  readonly childPid: number;
  readonly exitedEarly: boolean;
  readonly uptimeWentBack: boolean;
  readonly rssBaselineMb: number;
  readonly rssEndMb: number;
  /** The rig's memory figures after the same collections (context for the RSS row). */
  readonly memoryBaseline?: RigMemory;
  readonly memoryEnd?: RigMemory;
  /** Readings after a collection through the fault phase, seconds since the baseline. */
  readonly memoryTrace?: readonly { readonly atS: number; readonly memory: RigMemory }[];
  readonly lagP99Ms: number | undefined;
  /** The same figure from an idle Node process on the same host over the same window. */
  readonly hostLagP99Ms: number | undefined;
  /** Fault-phase samples with a healthy pool, and those of them with work from one on the chips. */
  readonly healthySamples: number;
  readonly workingSamples: number;
  /** The other samples by why the chips had no healthy pool's work. */
  readonly idleReasons?: Readonly<Record<string, number>>;
  readonly stopSeconds: number | undefined;
  readonly stopCode: number | null | undefined;
  readonly fuzz: readonly FuzzResult[];
  readonly fuzzInputs: number;
  /** A chip was made to hang during the fault phase (chip-death). */
  readonly chipHung?: boolean;
}

const RSS_GROWTH_MB = 5;
const LAG_P99_MS = 20;
const WORK_COVERAGE = 0.95;
const STOP_SECONDS = 10;

export function evaluate(o: Observations): Row[] {
  const l = o.ledger;
  const rows: Row[] = [];
  const row = (name: string, measured: string, bound: string, pass: boolean): void => {
    rows.push({ name, measured, bound, result: pass ? 'pass' : 'FAIL' });
  };
  const received = l.chainStale + l.chainNonces;
  const spoiled = l.simNoncesEmitted - received;
  row(
    'nonces: chips -> host',
    `${l.simNoncesEmitted} sent, ${received} received, ${spoiled} spoiled on the line`,
    o.lineFaults ? `0 <= spoiled <= crc errors + junk bytes (${l.crcErrors + l.junkBytes})` : 'spoiled = 0',
    o.lineFaults ? spoiled >= 0 && spoiled <= l.crcErrors + l.junkBytes : spoiled === 0,
  );
  const balance = (name: string, left: number, parts: Record<string, number>): void => {
    const sum = Object.values(parts).reduce((a, b) => a + b, 0);
    const text = Object.entries(parts)
      .map(([k, v]) => `${k} ${v}`)
      .join(' + ');
    row(name, `${left} = ${text}`, 'exact', left === sum);
  };
  balance('nonces at the chain', received, { 'stale (job ring)': l.chainStale, delivered: l.chainNonces });
  balance('nonces in the pipeline', l.chainNonces, {
    stale: l.workStale,
    'hardware error': l.hwErrors,
    valid: l.chipNonces,
  });
  balance('valid nonces', l.chipNonces, {
    'below pool target': l.belowTarget,
    'duplicate (not sent)': l.duplicates,
    shares: l.shares,
  });
  const staleText = Object.entries(l.staleByReason).map(([k, v]) => `${k}:${v}`);
  balance(`shares${staleText.length > 0 ? ` (stale ${staleText.join(', ')})` : ''}`, l.shares, {
    submitted: l.submitted,
    stale: l.clientStale,
    'stale, no pool': l.localStale,
  });
  balance('submitted shares', l.submitted, {
    accepted: l.accepted,
    rejected: l.rejected,
    'lost in flight': l.unacknowledged,
    'in flight': l.inFlight,
  });
  const poolAccepted = o.pools.reduce((n, p) => n + p.accepted, 0);
  row(
    "pools' accepted vs the client's",
    `pools ${poolAccepted}, client ${l.accepted}, lost in flight ${l.unacknowledged}`,
    'client <= pools <= client + lost in flight',
    poolAccepted >= l.accepted && poolAccepted <= l.accepted + l.unacknowledged,
  );
  row(
    'API sharesAccepted = books',
    `${o.apiSharesAccepted ?? 'unread'} vs ${l.accepted}`,
    'equal',
    o.apiSharesAccepted === l.accepted,
  );
  if (o.chipHung === true)
    row(
      'hung chip: its chain re-initialised',
      `${l.chainRecoveries ?? 0} re-init(s), ${l.chainsDisabled ?? 0} chain(s) disabled`,
      '>= 1 re-init, 0 disabled',
      (l.chainRecoveries ?? 0) >= 1 && (l.chainsDisabled ?? 0) === 0,
    );
  const duplicates = o.pools.reduce((n, p) => n + p.duplicates, 0);
  row('shares submitted twice (pool side)', String(duplicates), '0', duplicates === 0);
  const late = o.pools.reduce((n, p) => n + p.staleAfterSwitch, 0);
  const lateness = Math.max(0, ...o.pools.map((p) => p.maxStaleLatenessMs));
  row(
    'old-prev-hash shares after the switch',
    `${late} (latest ${lateness.toFixed(0)} ms after its switch)`,
    `0 later than ${STALE_GRACE_MS} ms`,
    late === 0,
  );
  const restarted = o.exitedEarly || o.uptimeWentBack || l.pid !== o.childPid;
  row(
    'rig process never restarted',
    restarted
      ? `exited early: ${o.exitedEarly}, uptime went back: ${o.uptimeWentBack}`
      : `pid ${o.childPid} throughout`,
    'same process, uptime monotonic',
    !restarted,
  );
  const growth = o.rssEndMb - o.rssBaselineMb;
  const b = o.memoryBaseline;
  const e = o.memoryEnd;
  // Readings not taken after a collection measure garbage, not growth: the row cannot pass on them.
  const collected = b?.collected === true && e?.collected === true;
  row(
    'RSS growth after warm-up',
    `${growth.toFixed(1)} MB (${o.rssBaselineMb.toFixed(1)} -> ${o.rssEndMb.toFixed(1)}; V8 heap used ${mb(b?.heapUsedMb)} -> ${mb(e?.heapUsedMb)}, committed ${mb(b?.heapTotalMb)} -> ${mb(e?.heapTotalMb)}, external ${mb(b?.externalMb)} -> ${mb(e?.externalMb)}${collected ? '' : '; NOT after a GC: the rig had no gc()'})`,
    `< ${RSS_GROWTH_MB} MB, after a full GC`,
    collected && growth < RSS_GROWTH_MB,
  );
  // A bare Node process on the same host sees the scheduler's delays too; when they reach half the
  // bound, the host cannot tell a 20 ms rig from a good one, and the row says so instead of judging.
  const hostTooNoisy = o.hostLagP99Ms !== undefined && o.hostLagP99Ms >= LAG_P99_MS / 2;
  rows.push({
    name: 'event-loop lag p99 (rig /metrics)',
    measured: `${o.lagP99Ms === undefined ? 'unread' : `${o.lagP99Ms.toFixed(1)} ms`} (idle node on this host: ${
      o.hostLagP99Ms === undefined ? 'unread' : `${o.hostLagP99Ms.toFixed(1)} ms`
    })`,
    bound: `< ${LAG_P99_MS} ms (judged when the idle node's p99 < ${LAG_P99_MS / 2} ms)`,
    result: o.lagP99Ms !== undefined && o.lagP99Ms < LAG_P99_MS ? 'pass' : hostTooNoisy ? 'SKIP' : 'FAIL',
  });
  const coverage = o.healthySamples === 0 ? 0 : o.workingSamples / o.healthySamples;
  row(
    'work on the chips while a healthy pool existed',
    `${(coverage * 100).toFixed(1)} % of ${o.healthySamples} samples${idleText(o.idleReasons)}`,
    `>= ${WORK_COVERAGE * 100} %`,
    coverage >= WORK_COVERAGE,
  );
  row(
    'stops on SIGTERM',
    o.stopSeconds === undefined ? 'did not exit' : `${o.stopSeconds.toFixed(1)} s, exit code ${o.stopCode}`,
    `exit 0 within ${STOP_SECONDS} s`,
    o.stopSeconds !== undefined && o.stopSeconds <= STOP_SECONDS && o.stopCode === 0,
  );
  for (const f of o.fuzz) {
    const isHandshake = f.name.startsWith('noise handshake');
    row(
      `fuzz: ${f.name}`,
      `${f.inputs} inputs, ${Math.round(f.inputs / Math.max(f.seconds, 1e-9))}/s, ${f.violations} violations${
        f.firstViolation === undefined ? '' : ` (first: ${f.firstViolation.slice(0, 120)})`
      }`,
      isHandshake ? '0 violations (time budget: ECDH per input)' : `>= ${o.fuzzInputs} inputs, 0 violations`,
      f.violations === 0 && (isHandshake || f.inputs >= o.fuzzInputs),
    );
  }
  return rows;
}

/** " (idle: on a silent pool 12, pool open 3)", most frequent first; empty when none. */
function idleText(reasons: Readonly<Record<string, number>> | undefined): string {
  const parts = Object.entries(reasons ?? {})
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k} ${n}`);
  return parts.length === 0 ? '' : ` (idle: ${parts.join(', ')})`;
}

function mb(v: number | undefined): string {
  return v === undefined ? '?' : v.toFixed(1);
}

/** The table as fixed-width text (also pasted into the README). */
export function formatTable(rows: readonly Row[]): string {
  const head = ['check', 'measured', 'bound', 'result'];
  const cells = rows.map((r) => [r.name, r.measured, r.bound, r.result]);
  const width = head.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? '').length)));
  const line = (c: readonly string[]) => `| ${c.map((x, i) => x.padEnd(width[i] ?? 0)).join(' | ')} |`;
  return [line(head), `|${width.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.map(line)].join('\n');
}
