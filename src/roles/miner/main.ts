/**
 * `sv2miner run`: the miner daemon (src/roles/miner/). Loads and validates the config (command-line
 * overrides validated the same way; a bad value is one line and exit 2), logs pino JSON to stderr,
 * keeps stdout for the status line and, with `--for N`, the final one-line JSON summary. Starts
 * the monitoring APIs (src/api/server.ts) unless --no-api. Exit codes: 0 ok, 1 failed, 2 usage/config.
 */

import { parseArgs } from 'node:util';
import { withDevRoot, withPorts } from '../../../boards/ports.js';
import { boardById } from '../../../boards/registry.js';
import type { RigSnapshot } from '../../api/snapshot.js';
import { type LifecycleResult, runLifecycle } from '../../app/lifecycle.js';
import { LogTap } from '../../app/log-tap.js';
import { systemdNotifier } from '../../app/sd-notify.js';
import { localConfigPath } from '../../app/settings.js';
import type { CliCommand, CliIo } from '../../cli/command.js';
import { loadConfig } from '../../config/load.js';
import { noPoolsError } from '../../config/no-pools.js';
import type { Config } from '../../config/schema.js';
import { validateConfig } from '../../config/schema.js';
import { ConfigError, UsageError } from '../../errors.js';
import { childLog, configureRootLogger, type Logger, rootLog } from '../../log.js';
import {
  isLogFormat,
  LOG_FORMATS,
  type LogFormat,
  prettyLineFormatter,
  resolveLogFormat,
} from '../../log-format.js';
import { type ComposeOptions, composeMiner } from './compose.js';
import type { Miner } from './miner.js';
import { whyNotMined } from './run-verdict.js';
import { runSummary } from './status-line.js';

const HELP = `Usage: sv2miner run [options]

Mines: brings up the board's chains, connects to the configured pools (or, with "pools": [] in a
checkout, to an embedded local SV2 pool; an installed rig with no pool refuses to start, exit 2)
and prints a status line every 5 s on stdout. Logs go to stderr: readable lines on a terminal,
JSON lines otherwise (see --log-format). SIGINT/SIGTERM stop cleanly (channel closed, chips held
in reset).

Options:
  --config-dir <dir>    read the configuration from this directory instead of NODE_CONFIG_DIR
  --board <id>          override the configured board (see sv2miner boards)
  --control-port <path> a USB-bridged board's control port (config ports.control)
  --data-port <path>    its data port (config ports.data)
  --sim-target-shift <k>  relax the chip target by 2^k, for a board served by sim-board only
  --dev-root <dir>      a Linux-hosted board's /dev and /sys/class/gpio under <dir> (sim-board --dev-root)
  --status-interval <seconds>
                        print the status line this often (default 5; 0 = never)
  --for <seconds>       mine this long, stop, and print a JSON summary as the last stdout line:
                        {"uptime_s","hashrate_ghs","shares_accepted","shares_rejected",
                         "shares_stale","hardware_errors","nonces","pool","board","reason"}
                        exit 0 only if work reached the chips and, when the pool target made
                        shares likely in that time, some were accepted; otherwise exit 1 and
                        "reason" says why (null when it mined)
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

/** What the run is wired to; the real command uses the defaults. */
interface RunDeps {
  /** Where pino lines go (default stderr). */
  readonly logSink?: (line: string) => void;
  /** Environment for NOTIFY_SOCKET / WATCHDOG_USEC (default process.env). */
  readonly env?: NodeJS.ProcessEnv;
  readonly miner?: Partial<ComposeOptions>;
  /** Sees the miner once it exists (tests force blocks through its local pool). */
  readonly onMiner?: (miner: Miner) => void;
}

interface RunArgs {
  readonly configDir: string | undefined;
  readonly forSeconds: number | undefined;
  readonly statusIntervalS: number;
  readonly noApi: boolean;
  readonly logFormat: LogFormat;
  readonly overrides: Record<string, unknown>;
  readonly controlPort: string | undefined;
  readonly dataPort: string | undefined;
  readonly simTargetShift: number | undefined;
  readonly devRoot: string | undefined;
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
  if (!args.noApi) {
    // Before the chips are touched: a rig restarted by systemd over a busy port must not reset and
    // re-initialise its chains every few seconds only to stop again.
    const busy = await firstUnbindablePort(config.api.host, [config.api.port, config.api.cgminerPort]);
    if (busy !== undefined) {
      io.err(`sv2miner run: cannot start: ${busy}`);
      return 1;
    }
  }
  const tap = new LogTap(deps.logSink ?? stderrLogSink(args.logFormat));
  configureRootLogger({ level: config.logLevel, destination: tap });
  const log = childLog('lifecycle');
  let board = boardById(config.board);
  try {
    board = withPorts(board, {
      control: args.controlPort ?? config.ports?.control,
      data: args.dataPort ?? config.ports?.data,
    });
    // boards/wiring: a Linux-hosted board's /dev and sysfs under a simulator's fake root.
    board = withDevRoot(board, args.devRoot);
  } catch (error) {
    io.err(`sv2miner run: ${error instanceof Error ? error.message : String(error)}`);
    return 2;
  }
  if (args.simTargetShift !== undefined && args.simTargetShift > 0) {
    if (board.simulated) {
      io.err(
        'sv2miner run: --sim-target-shift is for hardware boards served by sim-board; simulated boards carry their own',
      );
      return 2;
    }
    board = { ...board, hostTargetShift: args.simTargetShift };
    log.warn(
      { simTargetShift: args.simTargetShift },
      `SIMULATED HARDWARE ONLY: chip target relaxed by 2^${args.simTargetShift}; real chips would flood the host with invalid nonces`,
    );
  }
  const miner = composeMiner({
    config,
    board,
    log: rootLog(),
    logTap: tap,
    ...(args.configDir === undefined ? {} : { configDir: args.configDir }),
    ...deps.miner,
  });
  deps.onMiner?.(miner);
  const notifier = systemdNotifier(deps.env ?? process.env);
  let result: LifecycleResult<RigSnapshot>;
  try {
    result = await runLifecycle({
      daemon: miner,
      notifier,
      log,
      ...(args.statusIntervalS === 0
        ? {}
        : { status: (line: string) => io.out(line), statusIntervalMs: args.statusIntervalS * 1000 }),
      ...(args.forSeconds === undefined ? {} : { durationMs: args.forSeconds * 1000 }),
      ...(args.noApi ? {} : { afterStart: () => startApis(miner, config, log, io) }),
    });
  } finally {
    notifier.close();
  }
  if (result.startError !== undefined) io.err(`sv2miner run: cannot start: ${result.startError}`);
  if (args.forSeconds === undefined) return result.code;
  const snapshot = result.snapshot ?? miner.snapshot();
  const reason = whyNotMined({ wasReady: result.wasReady, startError: result.startError, snapshot });
  io.out(JSON.stringify(runSummary(snapshot, reason ?? null)));
  if (result.code !== 0) return result.code;
  return reason === undefined ? 0 : 1;
}

function parseRunArgs(argv: readonly string[]): RunArgs | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      'config-dir': { type: 'string' },
      board: { type: 'string' },
      for: { type: 'string' },
      'status-interval': { type: 'string' },
      'api-port': { type: 'string' },
      'cgminer-port': { type: 'string' },
      'no-api': { type: 'boolean' },
      'log-level': { type: 'string' },
      'log-format': { type: 'string' },
      'control-port': { type: 'string' },
      'data-port': { type: 'string' },
      'sim-target-shift': { type: 'string' },
      'dev-root': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help === true) return 'help';
  const forSeconds = values.for === undefined ? undefined : Number(values.for);
  if (forSeconds !== undefined && !(Number.isFinite(forSeconds) && forSeconds > 0))
    throw new UsageError(`--for must be a positive number of seconds, got "${values.for}"`);
  const intervalText = values['status-interval'];
  const statusIntervalS = intervalText === undefined ? 5 : Number(intervalText);
  // At least 0.1 s: a status line is a snapshot of the whole rig, not a busy loop.
  if (!(Number.isFinite(statusIntervalS) && (statusIntervalS === 0 || statusIntervalS >= 0.1)))
    throw new UsageError(`--status-interval must be 0 or a number of seconds >= 0.1, got "${intervalText}"`);
  const logFormat = values['log-format'] ?? 'auto';
  if (!isLogFormat(logFormat))
    throw new UsageError(`--log-format must be one of ${LOG_FORMATS.join(', ')}, got "${logFormat}"`);
  const api: Record<string, unknown> = {};
  if (values['api-port'] !== undefined) api['port'] = numberArg(values['api-port']);
  if (values['cgminer-port'] !== undefined) api['cgminerPort'] = numberArg(values['cgminer-port']);
  const shiftText = values['sim-target-shift'];
  const simTargetShift = shiftText === undefined ? undefined : Number(shiftText);
  if (
    simTargetShift !== undefined &&
    !(Number.isInteger(simTargetShift) && simTargetShift >= 0 && simTargetShift <= 32)
  )
    throw new UsageError(`--sim-target-shift must be a whole number from 0 to 32, got "${shiftText}"`);
  return {
    configDir: values['config-dir'],
    controlPort: values['control-port'],
    dataPort: values['data-port'],
    simTargetShift,
    devRoot: values['dev-root'],
    forSeconds,
    statusIntervalS,
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
  }).catch((error: unknown) => {
    throw new Error(listenFailure(error), { cause: error });
  });
  log.info(
    { http: api.httpPort, cgminer: api.cgminerPort, host: config.api.host },
    'monitoring APIs listening',
  );
  return () => api.close();
}

/** A listen error as the operator acts on it: which address and port, and what to change. */
function listenFailure(error: unknown): string {
  const e = error as NodeJS.ErrnoException & { address?: string; port?: number };
  const where = `${e.address ?? '?'}:${e.port ?? '?'}`;
  if (e.code === 'EADDRINUSE')
    return `API port ${where} is already in use (another sv2miner or web server?); free it, change api.port / api.cgminerPort (--api-port, --cgminer-port), or run with --no-api`;
  if (e.code === 'EACCES')
    return `API port ${where}: permission denied (ports below 1024 need CAP_NET_BIND_SERVICE, as the systemd unit grants)`;
  if (e.code === 'EADDRNOTAVAIL') return `API address ${where} is not an address of this host (api.host)`;
  return `APIs not started: ${e.message ?? String(error)}`;
}

/**
 * Binds and releases each fixed API port once, so a port held by another process is reported
 * before the miner starts. Port 0 (any free port) cannot be busy. A port taken in the instant
 * between this check and the real listen still fails the start, through the lifecycle.
 */
async function firstUnbindablePort(host: string, ports: readonly number[]): Promise<string | undefined> {
  const { createServer } = await import('node:net');
  for (const port of ports) {
    if (port === 0) continue;
    const failure = await new Promise<string | undefined>((resolve) => {
      const server = createServer();
      server.once('error', (error) => resolve(listenFailure(error)));
      server.listen(port, host, () => server.close(() => resolve(undefined)));
    });
    if (failure !== undefined) return failure;
  }
  return undefined;
}
