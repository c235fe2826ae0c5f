/**
 * `sv2miner run`: the miner daemon (src/daemon/). Loads and validates the config (command-line
 * overrides validated the same way; a bad value is one line and exit 2), logs pino JSON to stderr,
 * keeps stdout for the status line and, with `--for N`, the final one-line JSON summary. Starts
 * the monitoring APIs (src/api/server.ts) unless --no-api. Exit codes: 0 ok, 1 failed, 2 usage/config.
 */
import { parseArgs } from 'node:util';
import { boardById } from '../../../boards/registry.js';
import { loadConfig } from '../../config/load.js';
import { noPoolsError } from '../../config/no-pools.js';
import type { Config } from '../../config/schema.js';
import { validateConfig } from '../../config/schema.js';
import { type LifecycleResult, runLifecycle } from '../../daemon/lifecycle.js';
import { LogTap } from '../../daemon/log-tap.js';
import { Miner, type MinerOptions } from '../../daemon/miner.js';
import { systemdNotifier } from '../../daemon/sd-notify.js';
import { localConfigPath } from '../../daemon/settings.js';
import { runSummary } from '../../daemon/status-line.js';
import { ConfigError, UsageError } from '../../errors.js';
import { childLog, configureRootLogger, type Logger, rootLog } from '../../log.js';
import {
  isLogFormat,
  LOG_FORMATS,
  type LogFormat,
  prettyLineFormatter,
  resolveLogFormat,
} from '../../log-format.js';
import type { CliCommand, CliIo } from '../command.js';

const HELP = `Usage: sv2miner run [options]

Mines: brings up the board's chains, connects to the configured pools (or, with "pools": [] in a
checkout, to an embedded local SV2 pool; an installed rig with no pool refuses to start, exit 2)
and prints a status line every 5 s on stdout. Logs go to stderr: readable lines on a terminal,
JSON lines otherwise (see --log-format). SIGINT/SIGTERM stop cleanly (channel closed, chips held
in reset).

Options:
  --config-dir <dir>    read the configuration from this directory instead of NODE_CONFIG_DIR
  --board <id>          override the configured board (see sv2miner boards)
  --for <seconds>       mine this long, stop, and print a JSON summary as the last stdout line:
                        {"uptime_s","hashrate_ghs","shares_accepted","shares_rejected",
                         "shares_stale","hardware_errors","nonces","pool","board"}
                        exit 0 only if work reached the chips and, when the pool target made
                        shares likely in that time, some were accepted
  --api-port <n>        REST API port (overrides api.port)
  --cgminer-port <n>    cgminer API port (overrides api.cgminerPort)
  --no-api              do not start the monitoring APIs
  --log-level <level>   fatal | error | warn | info | debug | trace | silent (overrides logLevel)
  --log-format <form>   auto | json | pretty: auto (the default) is pretty on a terminal, JSON
                        when stderr is a pipe, a file or the journal
  -h, --help            show this text`;

export const command: CliCommand = {
  name: 'run',
  summary: 'mine (the default command)',
  help: HELP,
  run: (argv, io) => runMiner(argv, io),
};

/** Seams for in-process tests; the real command uses the defaults. */
export interface RunDeps {
  /** Signal and fatal-error handlers on the process (default true). */
  readonly processHooks?: boolean;
  /** Where pino lines go (default stderr). */
  readonly logSink?: (line: string) => void;
  /** Environment for NOTIFY_SOCKET / WATCHDOG_USEC (default process.env). */
  readonly env?: NodeJS.ProcessEnv;
  readonly statusIntervalMs?: number;
  readonly miner?: Partial<MinerOptions>;
  /** Sees the miner once it exists (tests force blocks through its local pool). */
  readonly onMiner?: (miner: Miner) => void;
}

interface RunArgs {
  readonly configDir: string | undefined;
  readonly forSeconds: number | undefined;
  readonly noApi: boolean;
  readonly logFormat: LogFormat;
  readonly overrides: Record<string, unknown>;
}

export async function runMiner(argv: readonly string[], io: CliIo, deps: RunDeps = {}): Promise<number> {
  let args: RunArgs | 'help';
  try {
    args = parseRunArgs(argv);
  } catch (error) {
    io.err(`run: ${error instanceof Error ? error.message : String(error)} (see sv2miner run --help)`);
    return 2;
  }
  if (args === 'help') {
    io.out(HELP);
    return 0;
  }
  let config: Readonly<Config>;
  try {
    config = withOverrides(
      await loadConfig(args.configDir === undefined ? {} : { configDir: args.configDir }),
      args.overrides,
    );
  } catch (error) {
    if (error instanceof ConfigError) {
      io.err(error.message);
      return 2;
    }
    throw error;
  }
  const noPools = noPoolsError(config, localConfigPath(args.configDir));
  if (noPools !== undefined) {
    io.err(noPools.message);
    return 2;
  }
  const tap = new LogTap(deps.logSink ?? stderrLogSink(args.logFormat));
  configureRootLogger({ level: config.logLevel, destination: tap });
  const log = childLog('lifecycle');
  const board = boardById(config.board);
  const miner = new Miner({
    config,
    board,
    log: rootLog(),
    logTap: tap,
    ...(args.configDir === undefined ? {} : { configDir: args.configDir }),
    ...deps.miner,
  });
  deps.onMiner?.(miner);
  const notifier = systemdNotifier(deps.env ?? process.env);
  let result: LifecycleResult;
  try {
    result = await runLifecycle({
      daemon: miner,
      notifier,
      log,
      status: (line) => io.out(line),
      statusIntervalMs: deps.statusIntervalMs ?? 5_000,
      processHooks: deps.processHooks ?? true,
      ...(args.forSeconds === undefined ? {} : { durationMs: args.forSeconds * 1000 }),
      ...(args.noApi ? {} : { afterStart: () => startApis(miner, config, log, io) }),
    });
  } finally {
    notifier.close();
  }
  if (args.forSeconds === undefined) return result.code;
  const snapshot = result.snapshot ?? miner.snapshot();
  io.out(JSON.stringify(runSummary(snapshot)));
  if (result.code !== 0) return result.code;
  return minedEnough(result, snapshot) ? 0 : 1;
}

/**
 * "It mined": work reached the chips, and when the pool's share target made at least five shares
 * the expected count at the measured hashrate over the run, at least one was accepted.
 */
function minedEnough(result: LifecycleResult, s: ReturnType<Miner['snapshot']>): boolean {
  if (!result.wasReady || s.nonces === 0) return false;
  const pool = s.activePoolIndex === null ? undefined : s.pools[s.activePoolIndex];
  const difficulty = pool?.difficulty ?? 0;
  const expectedShares = difficulty > 0 ? (s.hashrate.h1m * s.uptimeS) / (difficulty * 2 ** 32) : 0;
  return s.shares.accepted > 0 || expectedShares < 5;
}

function parseRunArgs(argv: readonly string[]): RunArgs | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      'config-dir': { type: 'string' },
      board: { type: 'string' },
      for: { type: 'string' },
      'api-port': { type: 'string' },
      'cgminer-port': { type: 'string' },
      'no-api': { type: 'boolean' },
      'log-level': { type: 'string' },
      'log-format': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help === true) return 'help';
  const forSeconds = values.for === undefined ? undefined : Number(values.for);
  if (forSeconds !== undefined && !(Number.isFinite(forSeconds) && forSeconds > 0))
    throw new UsageError(`--for must be a positive number of seconds, got "${values.for}"`);
  const logFormat = values['log-format'] ?? 'auto';
  if (!isLogFormat(logFormat))
    throw new UsageError(`--log-format must be one of ${LOG_FORMATS.join(', ')}, got "${logFormat}"`);
  const api: Record<string, unknown> = {};
  if (values['api-port'] !== undefined) api['port'] = numberArg(values['api-port']);
  if (values['cgminer-port'] !== undefined) api['cgminerPort'] = numberArg(values['cgminer-port']);
  return {
    configDir: values['config-dir'],
    forSeconds,
    noApi: values['no-api'] === true,
    logFormat,
    overrides: {
      ...(values.board === undefined ? {} : { board: values.board }),
      ...(values['log-level'] === undefined ? {} : { logLevel: values['log-level'] }),
      ...(Object.keys(api).length === 0 ? {} : { api }),
    },
  };
}

/** stderr, rendered for a person when it is a terminal (or asked for); the APIs always get JSON. */
function stderrLogSink(format: LogFormat): (line: string) => void {
  const isTty = process.stderr.isTTY === true;
  if (resolveLogFormat(format, isTty) === 'json') return (line) => process.stderr.write(line);
  const pretty = prettyLineFormatter(isTty);
  return (line) => process.stderr.write(pretty(line));
}

/** A number, or the raw text so the schema reports it in its own words. */
function numberArg(text: string): number | string {
  const n = Number(text);
  return text.trim() !== '' && Number.isFinite(n) ? n : text;
}

/** Command-line values validated by the config schema (same messages as the file). */
function withOverrides(config: Readonly<Config>, overrides: Record<string, unknown>): Readonly<Config> {
  if (Object.keys(overrides).length === 0) return config;
  const raw: Record<string, unknown> = JSON.parse(JSON.stringify(config));
  for (const [key, value] of Object.entries(overrides)) {
    const current = raw[key];
    raw[key] =
      typeof value === 'object' && value !== null && typeof current === 'object' && current !== null
        ? { ...current, ...value }
        : value;
  }
  const result = validateConfig(raw);
  if (!result.ok) throw result.errors[0] ?? new ConfigError('config', 'valid overrides', 'nothing');
  return result.config;
}

// ---- API call site -------------------------------------------------------------------------
// The single place the monitoring APIs (src/api/server.ts) are started; loaded lazily so --no-api
// never pays for them. The bearer token comes from config or is created once in stateDir.
async function startApis(
  miner: Miner,
  config: Readonly<Config>,
  log: Logger,
  io: CliIo,
): Promise<(() => Promise<void>) | undefined> {
  const [{ startApi }, { ensureApiToken }] = await Promise.all([
    import('../../api/server.js'),
    import('../../api/auth.js'),
  ]);
  const { token, created } = await ensureApiToken(config.stateDir, config.api.token);
  if (created) {
    // Shown once, on the terminal only (never in the JSON log): writes need it from now on.
    io.err(`API write token (shown once; kept in ${config.stateDir}/api-token): ${token}`);
    log.info({ stateDir: config.stateDir }, 'created an API token in the state directory');
  }
  const api = await startApi({
    control: miner,
    host: config.api.host,
    port: config.api.port,
    cgminerPort: config.api.cgminerPort,
    cgminerAllow: config.api.cgminerAllow,
    token,
    log: childLog('api'),
  });
  log.info(
    { http: api.httpPort, cgminer: api.cgminerPort, host: config.api.host },
    'monitoring APIs listening',
  );
  return () => api.close();
}
