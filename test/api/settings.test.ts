import { describe, expect, it } from 'vitest';
import { settingsFromBody } from '../../src/api/settings.js';
import { ConfigError } from '../../src/errors.js';
import { AUTHORITY_PUBKEY, sampleSnapshot } from './helpers/fake-rig.js';

const snap = sampleSnapshot();
const primary = `stratum2+tcp://pool.example.org:34254/${AUTHORITY_PUBKEY}`;
const fallback = `stratum2+tcp://backup.example.net:34254/${AUTHORITY_PUBKEY}`;

describe('PATCH body -> SettingsPatch', () => {
  it('maps frequency and both fan spellings', () => {
    expect(settingsFromBody({ frequency: 600 }, snap)).toEqual({ frequencyMhz: 600 });
    expect(settingsFromBody({ frequency: '575' }, snap)).toEqual({ frequencyMhz: 575 });
    expect(settingsFromBody({ autofanspeed: 1 }, snap)).toEqual({ fan: { auto: true } });
    expect(settingsFromBody({ autoFanspeed: 0, fanspeed: 100 }, snap)).toEqual({
      fan: { auto: false, speedPercent: 100 },
    });
  });

  it('maps AxeOS minFanSpeed, temptarget and manualFanSpeed; overheat_mode 0 is the latch clear', () => {
    expect(settingsFromBody({ minFanSpeed: 30, temptarget: '55' }, snap)).toEqual({
      fan: { minPercent: 30, targetC: 55 },
    });
    expect(settingsFromBody({ manualFanSpeed: 70 }, snap)).toEqual({ fan: { speedPercent: 70 } });
    expect(settingsFromBody({ overheat_mode: 0 }, snap)).toEqual({ overheatClear: true });
    expect(settingsFromBody({ overheat_mode: '0', autofanspeed: 1 }, snap)).toEqual({
      fan: { auto: true },
      overheatClear: true,
    });
    // AxeOS allows 0 only: an API cannot set the latch, only clear it.
    expect(() => settingsFromBody({ overheat_mode: 1 }, snap)).toThrow(
      /^overheat_mode: expected 0 \(clears the overheat latch\), got 1$/,
    );
    expect(() => settingsFromBody({ minFanSpeed: 101 }, snap)).toThrow(
      /^minFanSpeed: expected a percentage 0\.\.100, got 101$/,
    );
    expect(() => settingsFromBody({ temptarget: 'hot' }, snap)).toThrow(
      /^temptarget: expected degrees C 0\.\.150, got "hot"$/,
    );
  });

  it('maps AxeOS coreVoltage (millivolts); a non-number is refused naming the key', () => {
    expect(settingsFromBody({ coreVoltage: 1150 }, snap)).toEqual({ coreVoltage: 1150 });
    expect(settingsFromBody({ coreVoltage: '1200' }, snap)).toEqual({ coreVoltage: 1200 });
    expect(() => settingsFromBody({ coreVoltage: 'high' }, snap)).toThrow(/coreVoltage/);
  });

  it('a bare host keeps the port and, for the same host, the authority key', () => {
    expect(settingsFromBody({ stratumURL: 'pool.example.org', stratumPassword: 'x' }, snap).pools).toEqual([
      { url: primary, user: 'bc1qworker.rig0', insecure: false, password: 'x' },
      { url: fallback, user: 'bc1qworker.rig1', insecure: false },
    ]);
    // A different host drops the old pool's key (it belongs to that pool) unless one is given.
    expect(settingsFromBody({ stratumURL: 'other.example', stratumPort: 3336 }, snap).pools?.[0]?.url).toBe(
      'stratum2+tcp://other.example:3336',
    );
    expect(
      settingsFromBody(
        { stratumURL: 'other.example', stratumPort: '3336', stratumV2AuthorityPubkey: 'KEY' },
        snap,
      ).pools?.[0]?.url,
    ).toBe('stratum2+tcp://other.example:3336/KEY');
  });

  it('takes SV2 URLs whole and rewrites SV1 URLs to stratum2+tcp with their port', () => {
    expect(settingsFromBody({ stratumURL: 'stratum2+tcp://a.example:1234/K' }, snap).pools?.[0]?.url).toBe(
      'stratum2+tcp://a.example:1234/K',
    );
    expect(
      settingsFromBody({ stratumURL: 'stratum+tcp://pool.example.org:3333' }, snap).pools?.[0]?.url,
    ).toBe(`stratum2+tcp://pool.example.org:3333/${AUTHORITY_PUBKEY}`);
  });

  it('fallbackStratum* edits pool 1 only', () => {
    const pools = settingsFromBody({ fallbackStratumUser: 'bc1qalt' }, snap).pools;
    expect(pools).toEqual([
      { url: primary, user: 'bc1qworker.rig0', insecure: false },
      { url: fallback, user: 'bc1qalt', insecure: false },
    ]);
  });

  it('passes our pools form through after type checks', () => {
    const pools = [{ url: 'stratum2+tcp://h:1/K', user: 'u', password: 'p', insecure: true }];
    expect(settingsFromBody({ pools }, snap)).toEqual({ pools });
    expect(() => settingsFromBody({ pools: [{ url: 'x' }] }, snap)).toThrow(
      'pools[0].user: expected a string, got undefined',
    );
  });

  it('throws ConfigErrors that name the key and never echo a password', () => {
    const cases: [unknown, string][] = [
      [[1], 'body: expected a JSON object of settings, got an array'],
      [{ fanspeed: -1 }, 'fanspeed: expected a percentage 0..100, got -1'],
      [{ autofanspeed: 2 }, 'autofanspeed: expected 0 or 1, got 2'],
      [{ stratumPort: 70000 }, 'stratumPort: expected a port 1..65535, got 70000'],
      [
        { stratumURL: 'two words' },
        'stratumURL: expected a host name or address, got characters outside A-Z a-z 0-9 . - [ ] :',
      ],
      [{ stratumPassword: 12345 }, 'stratumPassword: expected a string, got number'],
    ];
    for (const [body, message] of cases) {
      expect(() => settingsFromBody(body, snap)).toThrow(ConfigError);
      expect(() => settingsFromBody(body, snap)).toThrow(message);
    }
  });

  it('bounds pool users and hosts by their SV2 wire type (STR0_255: 255 bytes of UTF-8), naming the key', () => {
    const long = 'é'.repeat(128); // 128 characters, 256 bytes
    const expected = 'expected a user name of at most 255 bytes of UTF-8 (SV2 STR0_255), got 256 bytes';
    expect(() => settingsFromBody({ stratumUser: long }, snap)).toThrow(`stratumUser: ${expected}`);
    expect(() => settingsFromBody({ fallbackStratumUser: long }, snap)).toThrow(
      `fallbackStratumUser: ${expected}`,
    );
    expect(() => settingsFromBody({ pools: [{ url: 'stratum2+tcp://h:1', user: long }] }, snap)).toThrow(
      `pools[0].user: ${expected}`,
    );
    expect(() => settingsFromBody({ stratumUser: 'w\uD800' }, snap)).toThrow(
      'stratumUser: expected a user name of at most 255 bytes of UTF-8 (SV2 STR0_255), got a string with a lone UTF-16 surrogate',
    );
    expect(() => settingsFromBody({ stratumUser: '   ' }, snap)).toThrow(
      'stratumUser: expected a user name, got an empty string',
    );
    expect(settingsFromBody({ stratumUser: '€'.repeat(85) }, snap).pools?.[0]?.user).toBe('€'.repeat(85));
    expect(() => settingsFromBody({ stratumURL: `${'a'.repeat(256)}` }, snap)).toThrow(
      'stratumURL: expected a pool host of at most 255 bytes of UTF-8 (SV2 STR0_255), got 256 bytes',
    );
  });

  it('needs a primary pool before a fallback can be set', () => {
    const empty = { ...snap, pools: [] };
    expect(() =>
      settingsFromBody({ fallbackStratumURL: 'h', fallbackStratumPort: 1, fallbackStratumUser: 'u' }, empty),
    ).toThrow(/fallbackStratumURL: expected a primary pool/);
    expect(
      settingsFromBody({ stratumURL: 'h.example', stratumPort: 1, stratumUser: 'u' }, empty).pools,
    ).toEqual([{ url: 'stratum2+tcp://h.example:1', user: 'u', insecure: false }]);
  });
});
