import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  configDirEnv,
  INSTALL_CONFIG_DIR,
  PACKAGE_ROOT,
  resolveStateDir,
} from '../../src/config/locations.js';

const REPO = join(import.meta.dirname, '..', '..');

describe('install locations', () => {
  it('finds the checkout holding package.json and its config folder', () => {
    expect(PACKAGE_ROOT).toBe(REPO);
    expect(INSTALL_CONFIG_DIR).toBe(join(REPO, 'config'));
    expect(existsSync(join(INSTALL_CONFIG_DIR, 'default.json'))).toBe(true);
  });

  it('keeps NODE_CONFIG_DIR as given (systemd sets a list), else the install config folder', () => {
    expect(configDirEnv({ NODE_CONFIG_DIR: '/usr/lib/sv2miner/config:/etc/sv2miner' })).toBe(
      '/usr/lib/sv2miner/config:/etc/sv2miner',
    );
    expect(configDirEnv({})).toBe(INSTALL_CONFIG_DIR);
    expect(configDirEnv({ NODE_CONFIG_DIR: '' })).toBe(INSTALL_CONFIG_DIR);
  });

  it('resolves the state dir against the install, or SV2MINER_STATE_DIR when set', () => {
    expect(resolveStateDir('./state', {})).toBe(join(REPO, 'state'));
    expect(resolveStateDir('/var/lib/sv2miner', {})).toBe('/var/lib/sv2miner');
    expect(resolveStateDir('./state', { SV2MINER_STATE_DIR: '/run/x' })).toBe('/run/x');
  });
});
