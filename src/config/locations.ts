/**
 * Where this install keeps its configuration and state, independent of the working directory:
 * `/usr/bin/sv2miner`, an `npm link`ed bin and `node dist/src/cli/main.js` all find the config
 * folder of the tree they were started from. NODE_CONFIG_DIR, when set, wins exactly as node-config
 * reads it (the systemd unit and the package's launcher set it); SV2MINER_STATE_DIR, when set,
 * wins over the configured stateDir.
 */
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The folder holding sv2miner's package.json: the checkout, or /usr/lib/sv2miner when installed. */
export const PACKAGE_ROOT = findPackageRoot(dirname(fileURLToPath(import.meta.url)));

/** The install's own config folder (default.json), used when NODE_CONFIG_DIR is not set. */
export const INSTALL_CONFIG_DIR = join(PACKAGE_ROOT, 'config');

/** NODE_CONFIG_DIR as given, or the install's config folder when it is unset or empty. */
export function configDirEnv(env: NodeJS.ProcessEnv = process.env): string {
  const given = env['NODE_CONFIG_DIR'];
  return given === undefined || given === '' ? INSTALL_CONFIG_DIR : given;
}

/**
 * The state folder for a configured stateDir: SV2MINER_STATE_DIR if set, an absolute path as is,
 * a relative one (the checkout default `./state`) against the install, never the working directory.
 */
export function resolveStateDir(configured: string, env: NodeJS.ProcessEnv = process.env): string {
  const override = env['SV2MINER_STATE_DIR'];
  if (override !== undefined && override !== '') return resolve(override);
  return isAbsolute(configured) ? configured : resolve(PACKAGE_ROOT, configured);
}

/** src/config/ in a checkout under vitest, dist/src/config/ when built: walk up to package.json. */
function findPackageRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`sv2miner: no package.json above ${start}`);
  }
}
