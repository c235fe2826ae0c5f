/**
 * The table of subcommands. Modules are imported lazily so `sv2miner decode` does not load the
 * serial bindings and `sv2miner run` does not pay for what it does not use.
 */
import type { CliCommand } from './command.js';

export interface CommandEntry {
  readonly summary: string;
  readonly load: () => Promise<CliCommand>;
}

export const COMMANDS: Readonly<Record<string, CommandEntry>> = {
  run: {
    summary: 'mine (the default): embedded local pool + simulated board unless the config names others',
    load: async () => (await import('../roles/miner/main.js')).command,
  },
  probe: {
    summary: "reset and enumerate a board's chains and print the chips and a register dump as JSON",
    load: async () => (await import('./commands/probe.js')).command,
  },
  decode: {
    summary: 'decode one plaintext SV2 frame given as hex and print it as JSON',
    load: async () => (await import('./commands/decode.js')).command,
  },
  keygen: {
    summary: 'print a new pool authority key pair in the published Base58Check form',
    load: async () => (await import('./commands/keygen.js')).command,
  },
  pool: {
    summary: 'run the local SV2 pool standalone and print its URL with the authority key',
    load: async () => (await import('../roles/pool/main.js')).command,
  },
  'pool-check': {
    summary: 'connect to a pool as a miner would and report every step (exit 0 only if all succeed)',
    load: async () => (await import('../roles/pool-check/main.js')).command,
  },
  'sim-board': {
    summary: 'serve a simulated hashboard on a pseudo-terminal (--pty) for the real serial binding',
    load: async () => (await import('./commands/sim-board.js')).command,
  },
  boards: {
    summary: 'list the supported boards (--json for a machine-readable list)',
    load: async () => (await import('./commands/boards.js')).command,
  },
  'check-config': {
    summary: 'validate the configuration without starting the miner',
    load: async () => (await import('./commands/check-config.js')).command,
  },
};
