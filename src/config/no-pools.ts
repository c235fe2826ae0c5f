/**
 * An installed rig with `"pools": []` has nowhere to earn: unless the config allows the embedded
 * demo pool (localPool.useWhenNoPools, true in a checkout, false in the package), `run` refuses
 * to start and `check-config` reports it, naming the file to edit.
 */
import { ConfigError } from '../errors.js';
import type { Config } from './schema.js';

export function noPoolsError(config: Readonly<Config>, localJsonPath: string): ConfigError | undefined {
  if (config.pools.length > 0 || config.localPool.useWhenNoPools) return undefined;
  return new ConfigError(
    'pools',
    `at least one pool in ${localJsonPath}, e.g. {"url": "stratum2+tcp://host:port/<authority key>", "user": "<worker>"}`,
    '[] (no pool configured, and this installed rig does not mine on the embedded demo pool: localPool.useWhenNoPools is false)',
  );
}
