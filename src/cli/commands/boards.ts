/**
 * `sv2miner boards [--json]`: the board definitions this build knows (boards/registry.ts), as a
 * table or as JSON for scripts. Read-only; touches no hardware.
 */
import { parseArgs } from 'node:util';
import { BOARDS } from '../../../boards/registry.js';
import { boardChipCount } from '../../../boards/types.js';
import type { CliCommand, CliIo } from '../command.js';

const HELP = `Usage: sv2miner boards [--json]

Lists the known board ids (the "board" config key) with chip model, chip count and UART.
  --json   print the full definitions as JSON`;

export const command: CliCommand = {
  name: 'boards',
  summary: 'list the known board definitions',
  help: HELP,
  async run(argv: readonly string[], io: CliIo): Promise<number> {
    let values: { json?: boolean; help?: boolean };
    try {
      ({ values } = parseArgs({
        args: [...argv],
        options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
        strict: true,
      }));
    } catch (error) {
      io.err(`sv2miner boards: ${(error as Error).message}`);
      return 2;
    }
    if (values.help === true) {
      io.out(HELP);
      return 0;
    }
    const boards = [...BOARDS.values()];
    if (values.json === true) {
      io.out(JSON.stringify(boards, null, 2));
      return 0;
    }
    const rows = boards.map((b) => [
      b.id,
      b.chip,
      String(boardChipCount(b)),
      b.chains.map((c) => c.uartPath).join(','),
      b.simulated ? 'sim' : 'hw',
      b.description,
    ]);
    const head = ['ID', 'CHIP', 'CHIPS', 'UART', 'KIND', 'DESCRIPTION'];
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
    for (const row of [head, ...rows]) {
      io.out(
        row
          .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
          .join('  ')
          .trimEnd(),
      );
    }
    return 0;
  },
};
