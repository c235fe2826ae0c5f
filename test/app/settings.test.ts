import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { patchedConfig } from '../../src/app/settings.js';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { ConfigError } from '../../src/errors.js';

const KEY = '9bDuixKmZqAJnrmP746n8zU1wyAQRrus7th9dxnkPg6RzQvCnan';
const URL_A = `stratum2+tcp://a.example.com:34254/${KEY}`;
const URL_B = `stratum2+tcp://b.example.com:34254/${KEY}`;

const shipped = await loadConfig({ configDir: join(import.meta.dirname, '..', '..', 'config') });

function base(): Config {
  return { ...shipped, pools: [{ url: URL_A, user: 'w1', password: 'secret-a' }] };
}

describe('run-time settings', () => {
  it('keeps the stored password of a pool the patch names without one (API clients never see it)', () => {
    const next = patchedConfig(base(), { pools: [{ url: URL_A, user: 'w1' }] });
    expect(next.pools[0]?.password).toBe('secret-a');
  });

  it('does not carry a password over to another pool or another user', () => {
    expect(patchedConfig(base(), { pools: [{ url: URL_B, user: 'w1' }] }).pools[0]?.password).toBeUndefined();
    expect(patchedConfig(base(), { pools: [{ url: URL_A, user: 'w2' }] }).pools[0]?.password).toBeUndefined();
  });

  it('validates a patch like the config file', () => {
    expect(() => patchedConfig(base(), { pools: [{ url: 'stratum+tcp://a:3333', user: 'w' }] })).toThrow(
      ConfigError,
    );
    expect(() => patchedConfig(base(), { pools: [{ url: 'stratum+tcp://a:3333', user: 'w' }] })).toThrow(
      /^pools\[0\]\.url: expected stratum2\+tcp:\/\/host:port\/<authority key>, got "stratum\+tcp:\/\/a:3333"$/,
    );
  });
  it('fan settings are a config key with a default, validated like the rest', () => {
    expect(base().fan).toEqual({ auto: true, speedPercent: 100, minPercent: 25, targetC: 60 });
    const fan = { auto: false, speedPercent: 30, minPercent: 20, targetC: 55 };
    expect(patchedConfig(base(), { fan }).fan).toEqual(fan);
    expect(() => patchedConfig(base(), { fan: { ...fan, speedPercent: 130 } })).toThrow(
      /^fan\.speedPercent: expected a whole percent from 0 to 100, got 130$/,
    );
    // A target at or above the throttle point would throttle the chips instead of spinning the fan.
    expect(() => patchedConfig(base(), { fan: { ...fan, targetC: 70 } })).toThrow(
      /^fan\.targetC: expected a value below thermal\.throttleC \(70\), got 70$/,
    );
  });
});

describe('coreVoltage from the API is checked against the board before it is kept', () => {
  it('inside the board range it is merged; outside it throws and the config is unchanged', () => {
    const gamma = { ...base(), board: 'bitaxe-gamma-usb' };
    expect(patchedConfig(gamma, { coreVoltage: 1200 }).coreVoltage).toBe(1200);
    expect(() => patchedConfig(gamma, { coreVoltage: 1400 })).toThrow(
      'coreVoltage: expected whole millivolts from 1000 to 1250 for board bitaxe-gamma-usb, got 1400',
    );
    expect(gamma.coreVoltage).toBeUndefined();
  });
});
