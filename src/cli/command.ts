/**
 * The shape every `sv2miner <subcommand>` module exports. Each command parses its own argv with
 * node:util parseArgs, prints its own --help, and returns the process exit code; only the
 * entry point (main.ts) exits the process.
 */

export interface CliIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

export interface CliCommand {
  readonly name: string;
  readonly summary: string;
  readonly help: string;
  run(argv: readonly string[], io: CliIo): Promise<number>;
}

export const processIo: CliIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};
