/**
 * What the suites that run sv2miner's client or daemon against an SRI pool (sri-peer's pool or
 * SRI's pool_sv2) share: SRI's example authority keys, a Session on a loopback pool, the pool
 * fixture of a describe block, the pool's share log per connection, and one `sv2miner run`.
 */
import { afterAll, beforeAll } from 'vitest';
import { MAX_TARGET } from '../../../src/bitcoin/target.js';
import { emptyCounters, type ShareCounters } from '../../../src/channels/client/counters.js';
import { silentLog } from '../../../src/log.js';
import { decodeAuthorityPublicKey } from '../../../src/noise/authority-key.js';
import { runMiner } from '../../../src/roles/miner/main.js';
import { systemClock } from '../../../src/time/clock.js';
import { Session } from '../../../src/upstream/session.js';
import type { Job } from '../../../src/work/job.js';
import { readVectorJson } from '../../helpers/vectors.js';
import { type PeerLine, type PeerProcess, type SriPool, startSriPool } from './sri-peer.js';

interface KeyVectors {
  readonly vectors: readonly { readonly name: string; readonly base58check: string }[];
}

/** An authority key of test/vectors by the start of its name. */
function vectorKey(prefix: string): string {
  const keys = readVectorJson<KeyVectors>('sv2_authority_keys_and_constants.json').vectors;
  const v = keys.find((k) => k.name.startsWith(prefix));
  if (v === undefined) throw new Error(`vector ${prefix} missing`);
  return v.base58check;
}

/** SRI's example authority pair (sv2-apps pool config), test/vectors. */
const SRI_SECRET = vectorKey('SRI example authority secret');
export const SRI_PUBLIC = vectorKey('SRI example authority public key');
/** 2^-16: about 65 000 sha256d per share, well under a second in the test's CPU search. */
const SHARE_DIFFICULTY = 2 ** -16;
/** BIP320 bit 13: inside our default roll mask and inside SRI's BIP323 mask 0x1fffffe0. */
export const ROLLED_BIT = 1 << 13;

/**
 * sri-peer's pool with SRI's example secret and SHARE_DIFFICULTY unless `args` gives its own
 * `--authority-secret` or `--share-difficulty`, started before the enclosing describe block's
 * tests and stopped after them.
 */
export function sriPoolFixture(bin: string, args: readonly string[] = []): { readonly pool: SriPool } {
  let pool: SriPool | undefined;
  const defaults: [flag: string, value: string][] = [
    ['--authority-secret', SRI_SECRET],
    ['--share-difficulty', String(SHARE_DIFFICULTY)],
  ];
  const given = defaults.filter(([flag]) => !args.includes(flag)).flat();
  beforeAll(async () => {
    pool = await startSriPool(bin, [...given, ...args]);
  });
  afterAll(async () => {
    await pool?.proc.stop();
  });
  return {
    get pool(): SriPool {
      if (pool === undefined) throw new Error('the SRI pool is not running (beforeAll failed?)');
      return pool;
    },
  };
}

interface SessionOptions {
  readonly user: string;
  readonly channelKind?: 'standard' | 'extended';
  readonly nominalHashrate?: number;
}

interface RunningSession {
  readonly session: Session;
  readonly counters: ShareCounters;
  /** Every job the pool sent, in order. */
  readonly jobs: Job[];
  /** How the session ended, once it has. */
  readonly ended: ReturnType<Session['run']>;
}

/** Our client on one channel to a loopback pool, checking its certificate, already running. */
export function runSession(
  pool: { readonly url: string; readonly authority: string },
  options: SessionOptions,
): RunningSession {
  const { hostname, port } = new URL(pool.url);
  const counters = emptyCounters();
  const jobs: Job[] = [];
  const session = new Session({
    pool: pool.url,
    endpoint: { host: hostname, port: Number(port) },
    user: options.user,
    device: { vendor: 'sv2miner', hardwareVersion: 'interop-test', firmware: '0.1.0', deviceId: '' },
    ...(options.channelKind === undefined ? {} : { channelKind: options.channelKind }),
    channels: 1,
    nominalHashrate: options.nominalHashrate ?? 1e6,
    maxTarget: MAX_TARGET,
    rollMask: 0x1fffe000,
    silenceMs: 60_000,
    counters,
    clock: systemClock,
    log: silentLog,
    connection: { authorityKey: decodeAuthorityPublicKey(pool.authority), insecure: false },
    onJob: (job) => jobs.push(job),
  });
  return { session, counters, jobs, ended: session.run() };
}

/** The share verdicts sri-peer logged for one connection, in order. */
export function sharesOf(proc: PeerProcess, conn: unknown): PeerLine[] {
  return proc.events('share').filter((l) => l['conn'] === conn);
}

/** The miner extranonce number `n` as `size` big-endian bytes (as the pipeline rolls it). */
export function extranonce(n: number, size: number): Uint8Array {
  const out = new Uint8Array(size);
  new DataView(out.buffer).setUint32(size - 4, n);
  return out;
}

interface DaemonRun {
  readonly code: number;
  /** The daemon's closing summary line (its last stdout line), parsed. */
  readonly summary: Record<string, unknown>;
  /** Everything the daemon and the pool said, for assertion messages. */
  readonly context: string;
}

/** One `sv2miner run --for <seconds> --no-api` in process, on a config dir from writeSimConfigDir. */
export async function runDaemon(configDir: string, seconds: number, pool: PeerProcess): Promise<DaemonRun> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runMiner(
    ['--config-dir', configDir, '--for', String(seconds), '--no-api'],
    { out: (l) => out.push(l), err: (l) => err.push(l) },
    { logSink: () => {} },
  );
  const summary = JSON.parse(out.at(-1) ?? '{}') as Record<string, unknown>;
  return { code, summary, context: `${out.join('\n')}\n${err.join('\n')}\n${pool.dump()}` };
}
