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

interface LoadOptions {
  /** A directory to read instead of NODE_CONFIG_DIR (check-config --config-dir). */
  readonly configDir?: string;
}

/** Validated, frozen configuration; throws the first ConfigError (check-config shows them all). */
export async function loadConfig(options: LoadOptions = {}): Promise<Readonly<Config>> {
  const result = await checkConfig(options);
  if (!result.ok) throw result.errors[0] ?? new ConfigError('config', 'a configuration', 'nothing');
  return result.config;
}

/** Every problem as a value, for `sv2miner check-config`; a file that does not parse is one of them. */
export async function checkConfig(options: LoadOptions = {}): Promise<ConfigValidation> {
  let raw: unknown;
  try {
    raw = await readRaw(options);
  } catch (error) {
    return { ok: false, errors: [unreadableFileError(error)] };
  }
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

/**
 * node-config reports a bad file as one long message with the parser's error and a stack;
 * a person needs the file, the line and column, and what is wrong there.
 */
export function unreadableFileError(error: unknown): ConfigError {
  const text = error instanceof Error ? error.message : String(error);
  const parse = /^Cannot parse config file: '([^']+)': (?:\w*Error: )?(?:JSON5: )?(.*)$/s.exec(text);
  if (parse !== null) {
    const [, file = '?', problem = ''] = parse;
    const at = / at (\d+):(\d+)$/.exec(problem.split('\n')[0] ?? '');
    const what = (problem.split('\n')[0] ?? '').replace(/ at \d+:\d+$/, '');
    return new ConfigError(at === null ? file : `${file}:${at[1]}:${at[2]}`, 'valid JSON', what);
  }
  const unreadable = /^Config file (\S+) cannot be read\. Error code is: (\w+)/.exec(text);
  if (unreadable !== null)
    return new ConfigError(unreadable[1] ?? '?', 'a readable file', unreadable[2] ?? 'an error');
  return new ConfigError('configuration', 'readable files', text.split('\n')[0] ?? text);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
