/**
 * The table of subcommands. Modules are imported lazily so `sv2miner decode` does not load the
 * serial bindings and `sv2miner run` does not pay for what it does not use.
 */
import type { CliCommand } from './command.js';

export interface CommandEntry {
  readonly summary: string;
  readonly load: () => Promise<CliCommand>;
}

export const COMMANDS: Readonly<Record<string, CommandEntry>> = {};
