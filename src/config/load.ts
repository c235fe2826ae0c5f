/**
 * The only importer of node-config ('config'). Reads NODE_CONFIG_DIR (default: the install's own
 * config folder, whatever the working directory; see locations.ts), merging
 * default.json, <NODE_ENV>.json and local*.json the node-config way, or the files of an explicit
 * directory, then validates (schema.ts) and returns a deeply frozen Config. node-config is
 * imported lazily so commands that never read config do not pay for it.
 */
import { ConfigError } from '../errors.js';
import { configDirEnv, resolveStateDir } from './locations.js';
import { type Config, type ConfigValidation, validateConfig } from './schema.js';

export interface LoadOptions {
  /** A directory to read instead of NODE_CONFIG_DIR (check-config --config-dir). */
  readonly configDir?: string;
}

/** Validated, frozen configuration; throws the first ConfigError (check-config shows them all). */
export async function loadConfig(options: LoadOptions = {}): Promise<Readonly<Config>> {
  const result = await checkConfig(options);
  if (!result.ok) throw result.errors[0] ?? new ConfigError('config', 'a configuration', 'nothing');
  return result.config;
}

/** Every problem as a value, for `sv2miner check-config`. */
export async function checkConfig(options: LoadOptions = {}): Promise<ConfigValidation> {
  const raw = await readRaw(options);
  const result = validateConfig(raw);
  if (!result.ok) return result;
  const config = { ...result.config, stateDir: resolveStateDir(result.config.stateDir) };
  return { ok: true, config: deepFreeze(config) };
}

async function readRaw(options: LoadOptions): Promise<unknown> {
  // node-config reads NODE_CONFIG_DIR once, when first imported, and defaults to ./config.
  process.env['NODE_CONFIG_DIR'] = configDirEnv();
  const { default: nodeConfig } = await import('config');
  const loaded: unknown =
    options.configDir === undefined
      ? nodeConfig.util.toObject()
      : nodeConfig.util.loadFileConfigs(options.configDir);
  // node-config hands back its own objects (prototype helpers, immutability); validate a plain copy.
  return JSON.parse(JSON.stringify(loaded ?? {}));
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
