/**
 * `sv2miner probe --board <id>`: resets and brings up every chain of a board, then prints chip
 * model, count, addresses and the register dump (bm13xx.md §4.1, Bm13xxChain.probe()) as JSON.
 * Works on simulated boards (in-process simulator) and hardware alike. Exit 0 when every chain
 * answered, 1 when a chain failed (the reason is printed), 2 on usage or config errors.
 */
import { parseArgs } from 'node:util';
import { boardById } from '../../../boards/registry.js';
import type { BoardDefinition } from '../../../boards/types.js';
import { pllProblem } from '../../../drivers/bm13xx/probe.js';
import { loadConfig } from '../../config/load.js';
import { ConfigError, UsageError } from '../../errors.js';
import { childLog, configureRootLogger } from '../../log.js';
import { createChain, openChainIo, SIM_TIMING } from '../../roles/miner/compose-board.js';
import type { CliCommand, CliIo } from '../command.js';

const HELP = `Usage: sv2miner probe --board <id> [--config-dir DIR] [--log-level L]

Resets the board's chips, enumerates and addresses them, brings them up to the configured
frequency and reads their registers back. Prints one JSON object:
  {"board", "simulated", "ok", "chains": [{"chain", "path", "ok", "chipModel", "chipCount",
   "addresses", "baud", "frequencyMhz", "registers": {...}} | {"chain", "path", "ok": false, "error"}]}
A chain is ok only when every chip answered and every PLL reads back locked; otherwise "ok" is
false and "error" says why (also printed on stderr), and the exit code is 1.

Options:
  --board <id>        the board to probe (see sv2miner boards); default: the configured board
  --config-dir <dir>  read the configuration from this directory instead of NODE_CONFIG_DIR
  --log-level <l>     pino level for the bring-up log on stderr (default warn)
  -h, --help          show this text`;

export const command: CliCommand = {
  name: 'probe',
  summary: 'reset and enumerate the board chips and print their registers as JSON',
  help: HELP,
  run: (argv, io) => runProbe(argv, io),
};

async function runProbe(argv: readonly string[], io: CliIo): Promise<number> {
  let values: { board?: string; 'config-dir'?: string; 'log-level'?: string; help?: boolean };
  try {
    values = parseArgs({
      args: [...argv],
      options: {
        board: { type: 'string' },
        'config-dir': { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    io.err(`probe: ${error instanceof Error ? error.message : String(error)} (see sv2miner probe --help)`);
    return 2;
  }
  if (values.help === true) {
    io.out(HELP);
    return 0;
  }
  let board: BoardDefinition;
  let frequencyMhz: number;
  let chipDifficulty: number;
  try {
    const configDir = values['config-dir'];
    const config = await loadConfig(configDir === undefined ? {} : { configDir });
    board = boardById(values.board ?? config.board, '--board');
    // The configured frequency belongs to the configured board; another board gets its own default.
    frequencyMhz =
      board.id === config.board
        ? (config.frequencyMhz ?? board.defaultFrequencyMhz)
        : board.defaultFrequencyMhz;
    chipDifficulty = config.chipDifficulty;
    configureRootLogger({ level: levelOf(values['log-level']), destination: process.stderr });
  } catch (error) {
    if (error instanceof ConfigError || error instanceof UsageError) {
      io.err(error.message);
      return 2;
    }
    throw error;
  }
  const chains = await Promise.all(
    board.chains.map((_, index) => probeChain(board, index, frequencyMhz, chipDifficulty)),
  );
  const ok = chains.every((c) => c.ok);
  io.out(JSON.stringify({ board: board.id, simulated: board.simulated, ok, chains }, null, 2));
  for (const c of chains) if (!c.ok) io.err(`probe: chain ${c.chain} (${c.path}): ${c.error}`);
  return ok ? 0 : 1;
}

type ChainReport =
  | ({ readonly chain: number; readonly path: string; readonly ok: true } & Record<string, unknown>)
  | ({ readonly chain: number; readonly path: string; readonly ok: false; readonly error: string } & Record<
      string,
      unknown
    >);

async function probeChain(
  board: BoardDefinition,
  index: number,
  frequencyMhz: number,
  chipDifficulty: number,
): Promise<ChainReport> {
  const log = childLog('probe', { chain: index });
  let path = board.chains[index]?.uartPath ?? '?';
  try {
    const io = await openChainIo({ board, index, log });
    path = io.link.path;
    const chain = createChain(
      board,
      index,
      io.link,
      io,
      { frequencyMhz, chipDifficulty, coreVoltageMv: undefined, log },
      undefined,
      board.simulated ? SIM_TIMING : undefined,
    );
    try {
      const info = await chain.init();
      const dump = await chain.probe();
      const problem = pllProblem(dump);
      return {
        chain: index,
        path,
        ...(problem === undefined ? { ok: true as const } : { ok: false as const, error: problem }),
        chipModel: info.chipModel,
        chipCount: info.chipCount,
        addresses: info.addresses,
        baud: info.baud,
        frequencyMhz: info.frequencyMhz,
        registers: dump,
      };
    } finally {
      await chain.close().catch(() => {});
      await io.release().catch(() => {});
      io.sim?.close();
    }
  } catch (error) {
    return { chain: index, path, ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}

function levelOf(
  text: string | undefined,
): 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent' {
  const levels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
  const found = levels.find((l) => l === text);
  if (text !== undefined && found === undefined)
    throw new UsageError(`probe: --log-level must be one of ${levels.join(', ')}, got "${text}"`);
  return found ?? 'warn';
}
