/**
 * The only importer of node-config ('config'). Reads NODE_CONFIG_DIR (default ./config), merging
 * default.json, <NODE_ENV>.json and local*.json the node-config way, or the files of an explicit
 * directory, then validates (schema.ts) and returns a deeply frozen Config. node-config is
 * imported lazily so commands that never read config do not pay for it.
 */
import { ConfigError } from '../errors.js';
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
  return result.ok ? { ok: true, config: deepFreeze(result.config) } : result;
}

async function readRaw(options: LoadOptions): Promise<unknown> {
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
