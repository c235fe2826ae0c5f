/**
 * `sv2miner sim-board --pty`: serves a simulated BM13xx chain (drivers/sim) on a pseudo-terminal
 * and prints the path, so a second sv2miner on the hw binding (or any serial tool) can drive it.
 * The board comes from boards/ (--board) or from --model/--chips. SIGHUP pulses the chips' reset;
 * SIGINT/SIGTERM stop. Baud on a pty is not modelled (see drivers/sim/sim-pty.ts).
 */
import { appendFileSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { boardById } from '../../../boards/registry.js';
import type { BoardDefinition } from '../../../boards/types.js';
import { type ChipModel, isChipModel } from '../../../drivers/bm13xx/chips.js';
import type { ChainFaults } from '../../../drivers/sim/faults.js';
import { SIM_DEFAULTS, type SimChainOptions } from '../../../drivers/sim/sim-chain.js';
import { serveSimLinuxBoard } from '../../../drivers/sim/sim-linux-board.js';
import { type PtyRelay, type PtyServer, servePty, serveSimBoardOnPty } from '../../../drivers/sim/sim-pty.js';
import { createSimUsbBoard } from '../../../drivers/sim/sim-usb-board.js';
import { SvMinerError, UsageError } from '../../errors.js';
import type { CliCommand, CliIo } from '../command.js';

const HELP = `Usage: sv2miner sim-board --pty (--board <id> | --model <chip> --chips <n>) [options]

Serves a simulated BM13xx chain on a pseudo-terminal and prints its path on the first line of
stdout. The chips answer real BM13xx frames and really hash (double SHA-256) at --hashrate, and
report a nonce when the hash meets the ticket-mask target relaxed by 2^shift: the host must use
the same relaxed chip target (board field sim.simTargetShift).

Options:
  --pty                 serve on a pseudo-terminal (the only mode; needs socat or python3)
  --board <id>          take chip model, chip count and sim parameters from boards/
  --chain <n>           which chain of the board (default 0)
  --model <chip>        BM1397 | BM1366 | BM1368 | BM1370 | BM1362 (overrides the board)
  --chips <n>           chips on the chain (overrides the board)
  --hashrate <h/s>      real hashes per second for the whole chain (default ${SIM_DEFAULTS.hashrate})
  --shift <k>           ticket relaxation in bits (default ${SIM_DEFAULTS.simTargetShift})
  --sim-target-shift <k>  the same as --shift
  --trace-i2c <file>    boards served whole: append one JSON line per I2C transaction
                        {"t_ms":…,"addr":36,"write":"<hex>","read":"<hex>"}
  --dev-root <dir>      Linux-hosted boards (rpi-*): serve the board under this fake device root
                        (default a fresh temp dir, removed at exit)
  --faults <json>       per-position faults, e.g. '{"1":{"silent":true},"2":{"badCrcRate":0.1}}'
  --link <path>         where to put the pty symlink (default in a fresh temp dir)
  --relay <name>        auto | socat | python3 (default auto)
  -h, --help            show this text

A USB-bridged board with a power section (bitaxe-gamma-usb, emberone00) is served whole: its bridge control
port (GPIO, I2C with the regulator, fan and sensors at register level) and its data port, each on
a pty, printed as the lines "control: <path>", "data: <path>", then "sim-target-shift: <k>". The
chips answer only while the simulated regulator's output is on and reset is released.

A Linux-hosted board with a power section (rpi-tps546-bm1370) is served under a fake device root:
its I2C devices on <root>/dev/i2c-N (a socket in place of the kernel's i2c-dev), its GPIO lines in
<root>/sys/class/gpio (export, direction, active_low, value as the kernel's sysfs), its UART on a
pty linked at <root>/dev/serial0; printed as "dev-root: <dir>", "data: <uart path>", then
"sim-target-shift: <k>". Mine on it with: sv2miner run --board <id> --dev-root <dir>
--sim-target-shift <k>.

Baud: a pty has no real line rate, so the host rate "follows" the chips; baud mismatches are
only modelled on the in-process sim binding. Send SIGHUP to reset the chips (NRST pulse).`;

const FaultsSchema = z.record(
  z.string().regex(/^\d+$/),
  z
    .object({
      dropByteRate: z.number().min(0).max(1),
      flipByteRate: z.number().min(0).max(1),
      badCrcRate: z.number().min(0).max(1),
      silent: z.boolean(),
      stopNoncesAfter: z.number().int().min(0),
      replyLatencyMs: z.number().min(0),
      missing: z.boolean(),
    })
    .partial()
    .strict(),
);

export const command: CliCommand = {
  name: 'sim-board',
  summary: 'serve a simulated BM13xx board on a pseudo-terminal',
  help: HELP,
  run: (argv, io) => runSimBoard(argv, io),
};

async function runSimBoard(argv: readonly string[], io: CliIo): Promise<number> {
  let chainOptions: SimChainOptions;
  let link: string | undefined;
  let relay: PtyRelay | 'auto';
  let board: BoardDefinition | undefined;
  let traceFile: string | undefined;
  let devRoot: string | undefined;
  try {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        pty: { type: 'boolean' },
        board: { type: 'string' },
        chain: { type: 'string' },
        model: { type: 'string' },
        chips: { type: 'string' },
        hashrate: { type: 'string' },
        shift: { type: 'string' },
        'sim-target-shift': { type: 'string' },
        'trace-i2c': { type: 'string' },
        'dev-root': { type: 'string' },
        faults: { type: 'string' },
        link: { type: 'string' },
        relay: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    });
    if (values.help === true) {
      io.out(HELP);
      return 0;
    }
    if (values.pty !== true) throw new UsageError('sim-board: --pty is required (the only serving mode)');
    if (values.shift !== undefined && values['sim-target-shift'] !== undefined)
      throw new UsageError('sim-board: give --shift or --sim-target-shift, not both');
    const shift = values.shift ?? values['sim-target-shift'];
    chainOptions = chainFromArgs({ ...values, ...(shift === undefined ? {} : { shift }) });
    board = values.board === undefined ? undefined : boardById(values.board, '--board');
    traceFile = values['trace-i2c'];
    if (traceFile !== undefined && !servesBridge(board) && !servesLinux(board))
      throw new UsageError('sim-board: --trace-i2c needs a board with a power section (--board)');
    devRoot = values['dev-root'] === undefined ? undefined : resolve(values['dev-root']);
    if (devRoot !== undefined && !servesLinux(board))
      throw new UsageError(
        'sim-board: --dev-root needs a Linux-hosted board with a power section (--board rpi-…)',
      );
    link = values.link;
    const r = values.relay ?? 'auto';
    if (r !== 'auto' && r !== 'socat' && r !== 'python3') {
      throw new UsageError(`sim-board: --relay must be auto, socat or python3, got "${r}"`);
    }
    relay = r;
  } catch (error) {
    io.err(`${error instanceof Error ? error.message : String(error)} (see sv2miner sim-board --help)`);
    return 2;
  }
  if (servesBridge(board)) return serveBridgedBoard(board, chainOptions, relay, traceFile, io);
  if (servesLinux(board)) return serveLinuxBoard(board, chainOptions, relay, traceFile, devRoot, io);
  try {
    const server = await serveSimBoardOnPty({
      chain: chainOptions,
      relay,
      ...(link === undefined ? {} : { link }),
    });
    // Listening before the path goes out: a supervisor may read it and signal at once.
    const stopped = stopSignal();
    io.out(server.path);
    io.err(
      `sim-board: ${chainOptions.model} x${chainOptions.chipCount} on ${server.path} (relay ${server.relay}, ` +
        `${server.chain.hashrate} H/s, simTargetShift ${server.chain.simTargetShift}); Ctrl-C to stop`,
    );
    const onHup = () => server.chain.reset();
    process.on('SIGHUP', onHup);
    await stopped;
    process.off('SIGHUP', onHup);
    await server.close();
    return 0;
  } catch (error) {
    if (!(error instanceof SvMinerError)) throw error;
    io.err(`sim-board: ${error.message}`);
    return 1;
  }
}

/**
 * The default relaxation for a served USB board: its chips run at the real ticket difficulty 256,
 * so 2^24 gives the few nonces a second the simulated boards in boards/ give (sim-bm1370-1).
 */
const BRIDGED_SHIFT = 24;

/** Boards whose control port is simulated too: a bridge reset pin and a power section. */
function servesBridge(board: BoardDefinition | undefined): board is BoardDefinition {
  return board !== undefined && board.power !== undefined && board.reset?.kind === 'bridge';
}

/** Linux-hosted boards whose regulator is simulated too: a power section on /dev/i2c-N, GPIO lines. */
function servesLinux(board: BoardDefinition | undefined): board is BoardDefinition {
  return (
    board !== undefined &&
    !board.simulated &&
    board.power !== undefined &&
    /^\/dev\/i2c-\d+$/.test(board.power.regulator.bus) &&
    board.reset?.kind === 'gpiochip'
  );
}

function appender(file: string | undefined): ((line: string) => void) | undefined {
  if (file === undefined) return undefined;
  // Appended synchronously so a line is on disk before the host sees the reply it describes.
  const fd = openSync(file, 'a');
  return (line) => appendFileSync(fd, `${line}\n`);
}

async function serveLinuxBoard(
  board: BoardDefinition,
  chain: SimChainOptions,
  relay: PtyRelay | 'auto',
  traceFile: string | undefined,
  devRoot: string | undefined,
  io: CliIo,
): Promise<number> {
  const root = devRoot ?? mkdtempSync(join(tmpdir(), 'sv2miner-devroot-'));
  const trace = appender(traceFile);
  let sim: Awaited<ReturnType<typeof serveSimLinuxBoard>>;
  try {
    sim = await serveSimLinuxBoard({
      board,
      root,
      relay,
      chain: { simTargetShift: BRIDGED_SHIFT, ...chain },
      ...(trace === undefined ? {} : { trace }),
    });
  } catch (error) {
    if (devRoot === undefined) rmSync(root, { recursive: true, force: true });
    if (!(error instanceof SvMinerError)) throw error;
    io.err(`sim-board: ${error.message}`);
    return 1;
  }
  const stopped = stopSignal();
  io.out(`dev-root: ${root}`);
  io.out(`data: ${sim.uart.path}`);
  io.out(`sim-target-shift: ${chain.simTargetShift ?? BRIDGED_SHIFT}`);
  io.err(
    `sim-board: ${board.id} (${chain.model} x${chain.chipCount}) under the fake device root ${root}; run --board ${board.id} --dev-root ${root}; Ctrl-C to stop`,
  );
  await stopped;
  await sim.close();
  if (devRoot === undefined) rmSync(root, { recursive: true, force: true });
  return 0;
}

async function serveBridgedBoard(
  board: BoardDefinition,
  chain: SimChainOptions,
  relay: PtyRelay | 'auto',
  traceFile: string | undefined,
  io: CliIo,
): Promise<number> {
  const trace = appender(traceFile);
  const sim = createSimUsbBoard({
    board,
    chain: { simTargetShift: BRIDGED_SHIFT, ...chain },
    ...(trace === undefined ? {} : { trace }),
  });
  let control: PtyServer | undefined;
  let data: PtyServer | undefined;
  try {
    control = await servePty(sim.bridge, { relay });
    data = await servePty(sim.chain, { relay });
  } catch (error) {
    await control?.close();
    sim.chain.close();
    if (!(error instanceof SvMinerError)) throw error;
    io.err(`sim-board: ${error.message}`);
    return 1;
  }
  const shift = chain.simTargetShift ?? BRIDGED_SHIFT;
  const stopped = stopSignal();
  io.out(`control: ${control.path}`);
  io.out(`data: ${data.path}`);
  io.out(`sim-target-shift: ${shift}`);
  io.err(
    `sim-board: ${board.id} (${chain.model} x${chain.chipCount}) simulated with its regulator and fan; chips are powered by the simulated ${board.power?.regulator.kind}; Ctrl-C to stop`,
  );
  await stopped;
  await data.close();
  await control.close();
  return 0;
}

/**
 * Resolves on SIGINT or SIGTERM. Taken before the paths are printed: a supervisor that reads
 * them and signals at once must find the handler in place, or the default action kills the
 * process before it cleans up (a fake device root would be left behind).
 */
function stopSignal(): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

/** The chain a command line asks for (exported for tests). */
export function chainFromArgs(values: {
  board?: string;
  chain?: string;
  model?: string;
  chips?: string;
  hashrate?: string;
  shift?: string;
  faults?: string;
}): SimChainOptions {
  const board = values.board === undefined ? undefined : boardById(values.board, '--board');
  const chainIndex = intArg('--chain', values.chain) ?? 0;
  const boardChain = board?.chains[chainIndex];
  if (board !== undefined && boardChain === undefined) {
    throw new UsageError(
      `sim-board: board ${board.id} has ${board.chains.length} chain(s), no --chain ${chainIndex}`,
    );
  }
  const modelName = values.model ?? board?.chip;
  if (modelName === undefined) throw new UsageError('sim-board: give --board <id> or --model <chip>');
  if (!isChipModel(modelName)) throw new UsageError(`sim-board: unknown --model "${modelName}"`);
  const model: ChipModel = modelName;
  const chipCount = intArg('--chips', values.chips) ?? boardChain?.chipCount ?? 1;
  const hashrate = intArg('--hashrate', values.hashrate) ?? board?.sim?.hashrate;
  const shift = intArg('--shift', values.shift) ?? board?.sim?.simTargetShift;
  let faults: ChainFaults | undefined;
  if (values.faults !== undefined) {
    const parsed = FaultsSchema.safeParse(JSON.parse(values.faults));
    if (!parsed.success) throw new UsageError(`sim-board: --faults: ${parsed.error.message}`);
    faults = Object.fromEntries(Object.entries(parsed.data).map(([k, v]) => [Number(k), v]));
  }
  return {
    model,
    chipCount,
    ...(hashrate === undefined ? {} : { hashrate }),
    ...(shift === undefined ? {} : { simTargetShift: shift }),
    ...(faults === undefined ? {} : { faults }),
  };
}

function intArg(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0)
    throw new UsageError(`sim-board: ${name} must be a whole number, got "${text}"`);
  return n;
}
