/**
 * `sv2miner pool`: runs the local SV2 pool (src/pool-server/local-pool.ts) standalone — Noise with
 * its own authority key (sv2.md §3), standard and extended channels, simulated jobs and blocks.
 * Prints one line `url: stratum2+tcp://host:port/<authority key>` on stdout, then logs;
 * SIGINT/SIGTERM stop it.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { CliCommand, CliIo } from '../../cli/command.js';
import { ConfigError } from '../../errors.js';
import { childLog, type Logger } from '../../log.js';
import { decodeAuthoritySecretKey } from '../../noise/authority-key.js';
import { LOCAL_POOL_DEFAULTS, type LocalPoolOptions, startLocalPool } from '../../pool-server/local-pool.js';

const HELP = `Usage: sv2miner pool [options]

Runs a local Stratum V2 pool for testing miners and proxies: Noise NX with its own authority key,
standard and extended channels, a simulated chain with real coinbases (new job every
--job-interval s, new block every --block-interval s), full share validation and vardiff.
Prints "url: stratum2+tcp://host:port/<authority key>" first.

  --host H                  listen address (default ${LOCAL_POOL_DEFAULTS.host})
  --port P                  TCP port (default 34254; 0 = any free port)
  --authority-secret-key K  authority secret key (Base58Check or 64 hex digits)
  --key-file F              read the authority secret key from file F
                            (without either, a fresh key is generated for this run)
  --job-interval S          seconds between new jobs (default ${LOCAL_POOL_DEFAULTS.jobIntervalMs / 1000}; 0 = never)
  --block-interval S        seconds between simulated blocks (default ${LOCAL_POOL_DEFAULTS.blockIntervalMs / 1000}; 0 = never)
  --difficulty D            fixed starting share difficulty (default: from the miner's nominal hash rate)
  --share-rate N            wanted shares per minute per channel, for targets and vardiff (default ${LOCAL_POOL_DEFAULTS.targetSharesPerMinute})
  --batch N                 accepted shares per SubmitShares.Success (default ${LOCAL_POOL_DEFAULTS.shareBatchSize})
  --nbits X                 block nbits in hex, e.g. 207fffff to find "blocks" often (default mainnet-like)
  -h, --help                show this text

Stop with Ctrl-C or SIGTERM.`;

const DEFAULT_POOL_PORT = 34254;

interface PoolCommandDeps {
  /** Stops the pool when aborted (tests); SIGINT/SIGTERM always do. */
  readonly signal?: AbortSignal;
  readonly logger?: Logger;
  /** Called once the pool listens (tests read the URL from here). */
  readonly onListening?: (url: string) => void;
}

export async function runPool(
  argv: readonly string[],
  io: CliIo,
  deps: PoolCommandDeps = {},
): Promise<number> {
  let options: LocalPoolOptions;
  try {
    const parsed = parse(argv);
    if (parsed.help === true) {
      io.out(HELP);
      return 0;
    }
    options = await toOptions(parsed);
  } catch (error) {
    io.err(`sv2miner pool: ${error instanceof Error ? error.message : String(error)}`);
    io.err('Run `sv2miner pool --help` for usage.');
    return 2;
  }
  const log = deps.logger ?? childLog('pool-server');
  let pool: Awaited<ReturnType<typeof startLocalPool>>;
  try {
    pool = await startLocalPool({ ...options, logger: log });
  } catch (error) {
    io.err(`sv2miner pool: ${listenFailure(error, options)}`);
    return 1;
  }
  // Handlers first: whoever reads the url line may stop the pool at once, and must get a clean stop.
  const stopped = new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      deps.signal?.removeEventListener('abort', stop);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    if (deps.signal?.aborted === true) stop();
    else deps.signal?.addEventListener('abort', stop);
  });
  io.out(`url: ${pool.url}`);
  if (options.authoritySecretKey === undefined)
    io.err('sv2miner pool: using a fresh authority key for this run (pass --key-file to keep one)');
  deps.onListening?.(pool.url);
  await stopped;
  await pool.close();
  log.info({ stats: pool.stats() }, 'pool stopped');
  return 0;
}

/** One line a person can act on, instead of the socket error's own wording. */
function listenFailure(error: unknown, options: LocalPoolOptions): string {
  const e = error as NodeJS.ErrnoException;
  const where = `${options.host ?? LOCAL_POOL_DEFAULTS.host}:${options.port ?? DEFAULT_POOL_PORT}`;
  if (e.code === 'EADDRINUSE')
    return `cannot listen on ${where}: the port is already in use (another pool running? pick --port N, or --port 0 for any free port)`;
  if (e.code === 'EACCES')
    return `cannot listen on ${where}: permission denied (ports below 1024 need privileges)`;
  if (e.code === 'EADDRNOTAVAIL') return `cannot listen on ${where}: no such local address`;
  return `cannot listen on ${where}: ${e.message ?? String(error)}`;
}

type Parsed = ReturnType<
  typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: false; strict: true }>
>['values'];

const OPTIONS = {
  host: { type: 'string' },
  port: { type: 'string' },
  'authority-secret-key': { type: 'string' },
  'key-file': { type: 'string' },
  'job-interval': { type: 'string' },
  'block-interval': { type: 'string' },
  difficulty: { type: 'string' },
  'share-rate': { type: 'string' },
  batch: { type: 'string' },
  nbits: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function parse(argv: readonly string[]): Parsed {
  return parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: false, strict: true }).values;
}

function num(
  flag: string,
  text: string | undefined,
  ok: (n: number) => boolean,
  what: string,
): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || !ok(n))
    throw new ConfigError(`--${flag}`, what, `"${text}"`);
  return n;
}

async function toOptions(v: Parsed): Promise<LocalPoolOptions> {
  if (v['authority-secret-key'] !== undefined && v['key-file'] !== undefined)
    throw new ConfigError('--key-file', 'either --key-file or --authority-secret-key', 'both');
  let secret: Uint8Array | undefined;
  if (v['authority-secret-key'] !== undefined)
    secret = decodeAuthoritySecretKey(v['authority-secret-key'], '--authority-secret-key');
  if (v['key-file'] !== undefined) {
    const text = await readFile(v['key-file'], 'utf8');
    // Accept a bare key or `authority_secret_key = "..."` as `sv2miner keygen` prints it.
    const m = /authority_secret_key\s*=\s*"([^"]+)"/.exec(text);
    secret = decodeAuthoritySecretKey(m?.[1] ?? text.trim(), v['key-file']);
  }
  const port = num('port', v.port, (n) => Number.isInteger(n) && n >= 0 && n <= 65535, 'a port 0..65535');
  const jobS = num('job-interval', v['job-interval'], (n) => n >= 0, 'seconds >= 0');
  const blockS = num('block-interval', v['block-interval'], (n) => n >= 0, 'seconds >= 0');
  const difficulty = num('difficulty', v.difficulty, (n) => n > 0, 'a difficulty > 0');
  const rate = num('share-rate', v['share-rate'], (n) => n > 0, 'shares per minute > 0');
  const batch = num('batch', v.batch, (n) => Number.isInteger(n) && n >= 1, 'an integer >= 1');
  let nbits: number | undefined;
  if (v.nbits !== undefined) {
    if (!/^(0x)?[0-9a-fA-F]{1,8}$/.test(v.nbits))
      throw new ConfigError('--nbits', '8 hex digits', `"${v.nbits}"`);
    nbits = Number.parseInt(v.nbits.replace(/^0x/i, ''), 16);
  }
  return {
    port: port ?? DEFAULT_POOL_PORT,
    ...(v.host === undefined ? {} : { host: v.host }),
    ...(secret === undefined ? {} : { authoritySecretKey: secret }),
    ...(jobS === undefined ? {} : { jobIntervalMs: jobS * 1000 }),
    ...(blockS === undefined ? {} : { blockIntervalMs: blockS * 1000 }),
    ...(difficulty === undefined ? {} : { initialDifficulty: difficulty }),
    ...(rate === undefined ? {} : { targetSharesPerMinute: rate }),
    ...(batch === undefined ? {} : { shareBatchSize: batch }),
    ...(nbits === undefined ? {} : { nbits }),
  };
}

export const command: CliCommand = {
  name: 'pool',
  summary: 'run a local SV2 pool (Noise, standard channels, simulated jobs) and print its URL',
  help: HELP,
  run: (argv, io) => runPool(argv, io),
};
