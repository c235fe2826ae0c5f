/**
 * Run-time settings (RigControl.applySettings and the pool edits): a patch is merged into the
 * running Config, validated with the config schema (same `path: expected X, got Y` errors as the
 * file), and the changed keys are persisted to the rig's local override file, which node-config
 * merges last: <last NODE_CONFIG_DIR entry or --config-dir, default the install's config>/local.json.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { delimiter, dirname, join, resolve } from 'node:path';
import type { SettingsPatch } from '../api/snapshot.js';
import { configDirEnv, INSTALL_CONFIG_DIR } from '../config/locations.js';
import { type Config, type PoolConfig, validateConfig } from '../config/schema.js';
import { ConfigError } from '../errors.js';

/** The local.json node-config reads last for this process. */
export function localConfigPath(configDir: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (configDir !== undefined) return join(configDir, 'local.json');
  const dirs = configDirEnv(env)
    .split(delimiter)
    .filter((d) => d !== '');
  return join(resolve(dirs.at(-1) ?? INSTALL_CONFIG_DIR), 'local.json');
}

/** The patch applied to `config`, validated; throws the first ConfigError. */
export type SettingsKey = 'pools' | 'frequencyMhz' | 'coreVoltage' | 'fan';

export function patchedConfig(config: Readonly<Config>, patch: Partial<Pick<Config, SettingsKey>>): Config {
  const merged: Record<string, unknown> = JSON.parse(JSON.stringify(config));
  if (patch.pools !== undefined)
    merged['pools'] = patch.pools.map((p) => keepPassword(cleanPool(p), config.pools));
  if (patch.frequencyMhz !== undefined) merged['frequencyMhz'] = patch.frequencyMhz;
  if (patch.coreVoltage !== undefined) merged['coreVoltage'] = patch.coreVoltage;
  if (patch.fan !== undefined) merged['fan'] = patch.fan;
  const result = validateConfig(merged);
  if (!result.ok) throw result.errors[0] ?? new ConfigError('config', 'valid settings', 'nothing');
  return result.config;
}

/** The config part of an API patch; a partial fan setting is completed from the current one. */
export function configPatch(
  patch: SettingsPatch,
  config: Readonly<Config>,
): Partial<Pick<Config, SettingsKey>> {
  return {
    ...(patch.pools === undefined ? {} : { pools: patch.pools.map(cleanPool) }),
    ...(patch.frequencyMhz === undefined ? {} : { frequencyMhz: patch.frequencyMhz }),
    ...(patch.coreVoltage === undefined ? {} : { coreVoltage: patch.coreVoltage }),
    ...(patch.fan === undefined ? {} : { fan: { ...config.fan, ...patch.fan } }),
  };
}

/**
 * Writes `keys` of `config` into the local override file, keeping whatever else it holds.
 * Written to a temporary file and renamed, so a crash never leaves half a file.
 */
export async function persistSettings(
  path: string,
  config: Readonly<Config>,
  keys: readonly SettingsKey[],
): Promise<void> {
  let current: Record<string, unknown> = {};
  let text: string | undefined;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (text !== undefined) {
    // node-config also reads JSON5 (comments), which JSON.parse refuses: rewriting such a file
    // from nothing would drop the rig's other settings, so leave it alone and say why.
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new ConfigError(
        path,
        'plain JSON (no comments) to save settings into',
        'a file JSON.parse refuses',
      );
    }
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed))
      current = parsed as Record<string, unknown>;
  }
  for (const key of keys) current[key] = config[key];
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp`;
  await writeFile(tmp, `${JSON.stringify(current, null, 2)}\n`);
  await rename(tmp, path);
}

/**
 * API clients never see pool passwords (the snapshot has none), so a patched pool without one
 * keeps the password of the configured pool with the same URL and user instead of losing it.
 */
function keepPassword(pool: PoolConfig, existing: readonly PoolConfig[]): PoolConfig {
  if (pool.password !== undefined) return pool;
  const same = existing.find((e) => e.url === pool.url && e.user === pool.user);
  return same?.password === undefined ? pool : { ...pool, password: same.password };
}

/** Only the fields the schema knows, without undefined values (the schema is strict). */
function cleanPool(pool: {
  readonly url: string;
  readonly user: string;
  readonly password?: string | undefined;
  readonly insecure?: boolean | undefined;
  readonly priority?: number | undefined;
  readonly channel?: PoolConfig['channel'] | undefined;
}): PoolConfig {
  return {
    url: pool.url,
    user: pool.user,
    ...(pool.password === undefined ? {} : { password: pool.password }),
    ...(pool.insecure === undefined ? {} : { insecure: pool.insecure }),
    ...(pool.priority === undefined ? {} : { priority: pool.priority }),
    ...(pool.channel === undefined ? {} : { channel: pool.channel }),
  };
}
