import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkConfig, loadConfig } from '../../src/config/load.js';
import { resumeCelsius, validateConfig, vrResumeCelsius } from '../../src/config/schema.js';
import { ConfigError } from '../../src/errors.js';
import { readVectorJson } from '../helpers/vectors.js';

const keys = readVectorJson<{ vectors: { name: string; base58check: string; raw_xonly?: string }[] }>(
  'sv2_authority_keys_and_constants.json',
).vectors;
const SRI_KEY = keys.find((k) => k.name === 'SRI example authority public key')?.base58check ?? '';
const LEGACY_KEY = keys.find((k) => k.name.startsWith('LEGACY'))?.base58check ?? '';

/** A complete valid configuration, as default.json + an override would produce. */
function valid(): Record<string, unknown> {
  return {
    board: 'sim-bm1370-1',
    pools: [{ url: `stratum2+tcp://pool.example.com:34254/${SRI_KEY}`, user: 'worker1' }],
    chipDifficulty: 256,
    api: { host: '127.0.0.1', port: 8080, cgminerPort: 4028 },
    thermal: { throttleC: 70, shutdownC: 80, hysteresisC: 5, maxBadReadings: 3 },
    logLevel: 'info',
    localPool: { host: '127.0.0.1', port: 34254, sharesPerMinute: 6 },
    stateDir: './state',
  };
}

function messages(raw: unknown): string[] {
  const result = validateConfig(raw);
  return result.ok ? [] : result.errors.map((e) => e.message);
}

describe('authority key in pool URLs (sv2.md §3.6 vectors)', () => {
  const withKey = (key: string): Record<string, unknown> => ({
    ...valid(),
    pools: [{ url: `stratum2+tcp://pool.example.com:34254/${key}`, user: 'worker1' }],
  });

  it('accepts the spec and SRI keys', () => {
    const spec = keys.find((k) => k.name === 'spec 4.7.1');
    expect(messages(withKey(spec?.base58check ?? ''))).toEqual([]);
    expect(messages(withKey(SRI_KEY))).toEqual([]);
  });

  it('accepts the unprefixed key Braiins Pool publishes', () => {
    expect(messages(withKey(LEGACY_KEY))).toEqual([]);
  });

  it('names the reason for a bad checksum and a wrong version', () => {
    expect(messages(withKey('9bDuixKmZqAJnrmP746n8zU1wyAQRrus7th9dxnkPg6RzQvCnam'))[0]).toMatch(/checksum/);
    expect(messages(withKey('2myPhc5vkPzuC5FXNK5tee79WmP7uoLh55SxezoF8iqwF3E3rnPY'))).toHaveLength(1);
    expect(messages(withKey('2wmHTKZkLg2QzXyEXGMBXzKP7JXDUt8yy9SA5hoQwERc92qR6c'))).toHaveLength(1);
  });
});

describe('validateConfig', () => {
  it('accepts a complete configuration', () => {
    expect(messages(valid())).toEqual([]);
  });

  it('names pools[1].url exactly for a Stratum v1 URL', () => {
    const raw = valid();
    raw['pools'] = [
      { url: `stratum2+tcp://a.example:34254/${SRI_KEY}`, user: 'w' },
      { url: 'stratum+tcp://pool.example.com:3333', user: 'w' },
    ];
    expect(messages(raw)).toEqual([
      'pools[1].url: expected stratum2+tcp://host:port/<authority key>, got "stratum+tcp://pool.example.com:3333"',
    ]);
  });

  it('requires an authority key unless the pool is marked insecure', () => {
    const raw = valid();
    raw['pools'] = [{ url: 'stratum2+tcp://10.0.0.5:34250', user: 'w' }];
    expect(messages(raw)).toEqual([
      'pools[0].url: expected stratum2+tcp://host:port/<authority key>, got "stratum2+tcp://10.0.0.5:34250"',
    ]);
    raw['pools'] = [{ url: 'stratum2+tcp://10.0.0.5:34250', user: 'w', insecure: true }];
    expect(messages(raw)).toEqual([]);
  });

  it('takes channel "standard" or "extended" per pool and names anything else exactly', () => {
    const raw = valid();
    const url = `stratum2+tcp://a.example:34254/${SRI_KEY}`;
    raw['pools'] = [
      { url, user: 'w', channel: 'extended' },
      { url, user: 'w', channel: 'standard' },
    ];
    expect(messages(raw)).toEqual([]);
    raw['pools'] = [{ url, user: 'w', channel: 'group' }];
    expect(messages(raw)).toEqual(['pools[0].channel: expected "standard" or "extended", got "group"']);
  });

  it('checks the authority key checksum and the port range', () => {
    const raw = valid();
    raw['pools'] = [
      { url: 'stratum2+tcp://h:34254/9bDuixKmZqAJnrmP746n8zU1wyAQRrus7th9dxnkPg6RzQvCnam', user: 'w' },
      { url: `stratum2+tcp://h:99999/${SRI_KEY}`, user: 'w' },
    ];
    expect(messages(raw)).toEqual([
      'pools[0].url: expected an authority key in the published Base58Check form (bad Base58Check checksum), got "stratum2+tcp://h:34254/9bDuixKmZqAJnrmP746n8zU1wyAQRrus7th9dxnkPg6RzQvCnam"',
      `pools[1].url: expected a port 1..65535 in the pool URL, got "stratum2+tcp://h:99999/${SRI_KEY}"`,
    ]);
  });

  it('validates the cgminer write allow-list and defaults it to loopback only', () => {
    const raw = valid();
    const parsed = validateConfig(raw);
    expect(parsed.ok && parsed.config.api.cgminerAllow).toEqual(['127.0.0.1/32']);
    raw['api'] = {
      host: '127.0.0.1',
      port: 8080,
      cgminerPort: 4028,
      cgminerAllow: ['192.168.1.0/24', '10.0.0.300/8'],
    };
    expect(messages(raw)).toEqual([
      'api.cgminerAllow[1]: expected an address or CIDR, e.g. 192.168.1.0/24, got "10.0.0.300/8"',
    ]);
  });

  it('takes a certificate clock leeway in whole seconds, 60 by default', () => {
    const parsed = validateConfig(valid());
    expect(parsed.ok && parsed.config.certificateLeewaySec).toBe(60);
    const raw = valid();
    raw['certificateLeewaySec'] = -5;
    expect(messages(raw)).toEqual(['certificateLeewaySec: expected whole seconds from 0 to 86400, got -5']);
  });

  it('names an unknown key and the nearest known key', () => {
    const raw = valid();
    raw['api'] = { host: '127.0.0.1', prot: 8080, port: 8080, cgminerPort: 4028 };
    raw['pools'] = [{ url: `stratum2+tcp://h:1/${SRI_KEY}`, user: 'w', pasword: 'x' }];
    raw['chipDificulty'] = 256;
    expect(messages(raw).sort()).toEqual([
      'api.prot: expected a known key (did you mean "port"?), got "prot"',
      'chipDificulty: expected a known key (did you mean "chipDifficulty"?), got "chipDificulty"',
      'pools[0].pasword: expected a known key (did you mean "password"?), got "pasword"',
    ]);
  });

  it('says what was expected for wrong types, missing fields and bad values', () => {
    const raw = valid();
    raw['board'] = 'antminer-s9';
    raw['chipDifficulty'] = 300;
    raw['logLevel'] = 'loud';
    raw['api'] = { host: '127.0.0.1', port: '8080', cgminerPort: 4028 };
    delete raw['stateDir'];
    const lines = messages(raw);
    expect(lines).toContain('api.port: expected a TCP port 0..65535, got "8080"');
    expect(lines).toContain('chipDifficulty: expected a power of two from 1 to 2^32, got 300');
    expect(lines).toContain(
      'logLevel: expected one of fatal, error, warn, info, debug, trace, silent, got "loud"',
    );
    expect(lines).toContain('stateDir: expected a directory path, got nothing');
    expect(lines.find((l) => l.startsWith('board: expected one of sim-bm1370-1,'))).toMatch(
      /, got "antminer-s9"$/,
    );
  });

  it('checks frequency against the board and throttle below shutdown', () => {
    const raw = valid();
    raw['frequencyMhz'] = 700;
    raw['thermal'] = { throttleC: 85, shutdownC: 80, hysteresisC: 5, maxBadReadings: 3 };
    expect(messages(raw)).toEqual([
      'frequencyMhz: expected at most 625 MHz for board sim-bm1370-1, got 700',
      'thermal.throttleC: expected a value below shutdownC (80), got 85',
    ]);
  });

  it('overheat latch keys: defaults, resumeC below shutdownC, the regulator resume point follows the margin', () => {
    const result = validateConfig(valid());
    expect(result.ok && result.config.thermal).toEqual({
      throttleC: 70,
      shutdownC: 80,
      hysteresisC: 5,
      maxBadReadings: 3,
      vrShutdownC: 105,
      requireClear: false,
    });
    if (!result.ok) return;
    expect(resumeCelsius(result.config.thermal)).toBe(65);
    expect(vrResumeCelsius(result.config.thermal)).toBe(90);
    const thermal = { ...result.config.thermal, resumeC: 72, vrShutdownC: 110 };
    expect(vrResumeCelsius(thermal)).toBe(102);
    const raw = valid();
    raw['thermal'] = { throttleC: 70, shutdownC: 80, hysteresisC: 5, maxBadReadings: 3, resumeC: 80 };
    expect(messages(raw)).toEqual(['thermal.resumeC: expected a value below shutdownC (80), got 80']);
    raw['thermal'] = { throttleC: 70, shutdownC: 80, hysteresisC: 5, maxBadReadings: 3, requireClear: 'yes' };
    expect(messages(raw)).toEqual(['thermal.requireClear: expected true or false, got "yes"']);
  });

  it('errors are ConfigError with the path as a field', () => {
    const result = validateConfig({ ...valid(), pools: 'none' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors[0]).toBeInstanceOf(ConfigError);
    expect(result.errors[0]?.path).toBe('pools');
    expect(result.errors[0]?.message).toBe(
      'pools: expected a list of pools ([] = the embedded local pool), got "none"',
    );
  });
});

describe('loadConfig (node-config)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sv2miner-config-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('loads the shipped config/ folder: defaults are valid and frozen', async () => {
    const config = await loadConfig({ configDir: join(import.meta.dirname, '..', '..', 'config') });
    expect(config.board).toBe('sim-bm1370-1');
    expect(config.pools).toEqual([]);
    expect(config.api.host).toBe('127.0.0.1');
    expect(config.api.cgminerPort === 4028 || config.api.cgminerPort === 0).toBe(true);
    expect(Object.isFrozen(config.api)).toBe(true);
  });

  it('reads NODE_CONFIG_DIR (default ./config) when no directory is given', async () => {
    const config = await loadConfig();
    expect(config.board).toBe('sim-bm1370-1');
    expect(config.chipDifficulty).toBe(256);
  });

  it('reports every error of a directory and throws the first from loadConfig', async () => {
    const base = valid();
    await writeFile(join(dir, 'default.json'), JSON.stringify({ ...base, board: 'nope', logLevl: 'info' }));
    const result = await checkConfig({ configDir: dir });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors.map((e) => e.path).sort()).toEqual(['board', 'logLevl']);
    await expect(loadConfig({ configDir: dir })).rejects.toBeInstanceOf(ConfigError);
  });
});

describe('values that go on the SV2 wire are bounded by their wire type', () => {
  const withUser = (user: string): Record<string, unknown> => ({
    ...valid(),
    pools: [{ url: `stratum2+tcp://pool.example.com:34254/${SRI_KEY}`, user }],
  });
  const USER_EXPECTED = 'pools[0].user: expected a user name of at most 255 bytes of UTF-8 (SV2 STR0_255)';

  it('a pool user (user_identity, STR0_255) may hold 255 bytes of UTF-8, counted in bytes not characters', () => {
    expect(messages(withUser('w'.repeat(255)))).toEqual([]);
    // 85 three-byte characters: 255 bytes.
    expect(messages(withUser('€'.repeat(85)))).toEqual([]);
    expect(messages(withUser('w'.repeat(256)))).toEqual([
      expect.stringMatching(`^${escapeRegExp(USER_EXPECTED)}, got "w+\\.\\.\\."$`),
    ]);
    // 128 characters, 256 bytes: over, although far from 255 characters.
    expect(messages(withUser('é'.repeat(128)))[0]).toMatch(
      new RegExp(`^${escapeRegExp(USER_EXPECTED)}, got `),
    );
    // A lone surrogate has no UTF-8 form at all.
    expect(messages(withUser('w\uD800'))[0]).toMatch(new RegExp(`^${escapeRegExp(USER_EXPECTED)}, got `));
  });

  it('a pool host (endpoint_host, STR0_255) longer than 255 bytes fails on the URL', () => {
    const host = `${'a'.repeat(250)}.example`;
    const raw = { ...valid(), pools: [{ url: `stratum2+tcp://${host}:34254/${SRI_KEY}`, user: 'w' }] };
    expect(messages(raw)).toEqual([
      expect.stringMatching(
        /^pools\[0\]\.url: expected a pool host of at most 255 bytes of UTF-8 \(SV2 STR0_255\), got "/,
      ),
    ]);
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('the frequency goes to the chips as PLL dividers', () => {
  it('refuses a frequency no divider set of the board chip reaches, and keeps one it does', () => {
    // BM1370: feedback divider 160..239 on a 25 MHz reference, so nothing below
    // 25 * 160 / (2 * 7 * 6) = 47.6 MHz is reachable (bm13xx.md §5).
    expect(messages({ ...valid(), frequencyMhz: 10 })).toEqual([
      'frequencyMhz: expected a frequency the BM1370 PLL can reach, got 10',
    ]);
    expect(messages({ ...valid(), frequencyMhz: 47 })).toEqual([
      'frequencyMhz: expected a frequency the BM1370 PLL can reach, got 47',
    ]);
    expect(messages({ ...valid(), frequencyMhz: 48 })).toEqual([]);
    expect(messages({ ...valid(), frequencyMhz: 525 })).toEqual([]);
  });
});

describe('the API token goes into an HTTP header', () => {
  it('must be 16 or more visible ASCII characters, and an error never echoes it', () => {
    const withToken = (token: string) => ({ ...valid(), api: { ...(valid()['api'] as object), token } });
    expect(messages(withToken('0123456789abcdef'))).toEqual([]);
    const expected = 'api.token: expected a token of at least 16 visible ASCII characters (no spaces)';
    expect(messages(withToken('short-secret'))).toEqual([`${expected}, got 12 characters`]);
    expect(messages(withToken('has a space 0123456789'))).toEqual([`${expected}, got 22 characters`]);
    expect(messages(withToken('ünïcödé-0123456789'))).toEqual([`${expected}, got 18 characters`]);
  });
});

describe('coreVoltage (millivolts) is checked against the board', () => {
  it('bitaxe-gamma-usb takes 1000..1250 mV; outside, fractions and boards without a regulator are refused', () => {
    const gamma = (coreVoltage: unknown) => ({ ...valid(), board: 'bitaxe-gamma-usb', coreVoltage });
    expect(messages(gamma(1150))).toEqual([]);
    expect(messages(gamma(1000))).toEqual([]);
    expect(messages(gamma(1250))).toEqual([]);
    const range = 'coreVoltage: expected whole millivolts from 1000 to 1250 for board bitaxe-gamma-usb';
    expect(messages(gamma(1300))).toEqual([`${range}, got 1300`]);
    expect(messages(gamma(1.15))).toEqual([`${range}, got 1.15`]);
    expect(messages(gamma('1150'))).toEqual(['coreVoltage: expected millivolts, got "1150"']);
    expect(messages({ ...valid(), coreVoltage: 1150 })).toEqual([
      'coreVoltage: expected no coreVoltage: board sim-bm1370-1 has no core regulator sv2miner drives, got 1150',
    ]);
  });
});
