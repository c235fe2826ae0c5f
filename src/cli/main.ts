#!/usr/bin/env node
/**
 * The `sv2miner` entry point: picks the subcommand (default `run`), hands it argv, exits with
 * its code. Misuse gets one clear line on stderr and exit code 2.
 */
import { VERSION } from '../app/version.js';
import { SvMinerError } from '../errors.js';
import { processIo } from './command.js';
import { COMMANDS } from './registry.js';

const DEFAULT_COMMAND = 'run';

function usage(): string {
  const names = Object.keys(COMMANDS);
  const width = Math.max(...names.map((n) => n.length), 4);
  const rows = names.map((n) => `  ${n.padEnd(width)}  ${COMMANDS[n]?.summary ?? ''}`);
  return [
    'Usage: sv2miner <command> [options]   (default command: run)',
    '',
    'Commands:',
    ...rows,
    '',
    'Options:',
    '  -h, --help     show this text',
    '  -V, --version  print the sv2miner version',
    '',
    'Run `sv2miner <command> --help` for the options of one command.',
    'Exit codes: 0 ok, 1 failed (did not mine, a port busy, a check failed), 2 bad command line or',
    'configuration (one line says what and where).',
  ].join('\n');
}

async function main(argv: readonly string[]): Promise<number> {
  const first = argv[0];
  if (first === '--help' || first === '-h' || first === 'help') {
    processIo.out(usage());
    return 0;
  }
  if (first === '--version' || first === '-V') {
    processIo.out(VERSION);
    return 0;
  }
  const name = first === undefined || first.startsWith('-') ? DEFAULT_COMMAND : first;
  const rest = first === undefined || first.startsWith('-') ? argv : argv.slice(1);
  const entry = COMMANDS[name];
  if (entry === undefined) {
    processIo.err(`sv2miner: unknown command "${name}"; known: ${Object.keys(COMMANDS).join(', ')}`);
    return 2;
  }
  const command = await entry.load();
  return command.run(rest, processIo);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const line =
      error instanceof SvMinerError
        ? `${error.name}: ${error.message}`
        : String(error instanceof Error ? error.stack : error);
    processIo.err(`sv2miner: ${line}`);
    process.exitCode = error instanceof SvMinerError && error.code === 'usage' ? 2 : 1;
  },
);
