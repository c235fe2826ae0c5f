/**
 * `sv2miner check-config [--config-dir DIR]`: validates the configuration node-config would load
 * (NODE_CONFIG_DIR, or DIR) and prints `ok` with a summary, or every problem as
 * `path: expected X, got Y`, one per line, exiting 2 like `run` does for the same config.
 * It never connects: each configured pool gets a line saying it was not tried.
 */
import { parseArgs } from 'node:util';
import { localConfigPath } from '../../app/settings.js';
import { checkConfig } from '../../config/load.js';
import { noPoolsError } from '../../config/no-pools.js';
import type { CliCommand, CliIo } from '../command.js';

const HELP = `Usage: sv2miner check-config [--config-dir DIR]

Validates the configuration (default.json, <NODE_ENV>.json, local.json merged by node-config).
Pools are not contacted: test one with \`sv2miner pool-check <url>\`.
  --config-dir DIR   read DIR instead of NODE_CONFIG_DIR (default: this install's config folder)
Exit code 0 when valid, 2 when not (each problem on its own line, as \`run\` prints them) or on
bad arguments.`;

export const command: CliCommand = {
  name: 'check-config',
  summary: 'validate the configuration and print every problem',
  help: HELP,
  async run(argv: readonly string[], io: CliIo): Promise<number> {
    let values: { 'config-dir'?: string; help?: boolean };
    try {
      ({ values } = parseArgs({
        args: [...argv],
        options: { 'config-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
        strict: true,
      }));
    } catch (error) {
      io.err(`sv2miner check-config: ${(error as Error).message}`);
      return 2;
    }
    if (values.help === true) {
      io.out(HELP);
      return 0;
    }
    const dir = values['config-dir'];
    const result = await checkConfig(dir === undefined ? {} : { configDir: dir });
    if (!result.ok) {
      for (const error of result.errors) io.err(error.message);
      return 2;
    }
    const { config } = result;
    const noPools = noPoolsError(config, localConfigPath(dir));
    if (noPools !== undefined) {
      io.err(noPools.message);
      return 2;
    }
    const pools =
      config.pools.length === 0
        ? 'embedded local pool'
        : `${config.pools.length} pool${config.pools.length > 1 ? 's' : ''}`;
    io.out(`ok: board ${config.board}, ${pools}, API ${config.api.host}:${config.api.port}`);
    config.pools.forEach((pool, index) => {
      io.out(
        `pools[${index}] ${pool.url}: not tried (config valid; connectivity not tested: sv2miner pool-check '${pool.url}' --user '${pool.user}')`,
      );
    });
    return 0;
  },
};
