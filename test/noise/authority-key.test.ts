/**
 * Authority key strings (sv2.md §3.6) against sv2_authority_keys_and_constants.json (spec 4.7.1
 * and SRI configs) and SRI key-utils' rejection cases; pool URL parsing.
 */
import { describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes } from '../../src/bytes/hex.js';
import { ConfigError } from '../../src/errors.js';
import {
  authorityPublicFromSecret,
  base58CheckDecode,
  base58CheckEncode,
  base58Decode,
  base58Encode,
  decodeAuthorityPublicKey,
  decodeAuthoritySecretKey,
  encodeAuthorityPublicKey,
  encodeAuthoritySecretKey,
  parseAuthorityPublicKey,
} from '../../src/noise/authority-key.js';
import { parsePoolUrl } from '../../src/noise/pool-url.js';
import { readVectorJson } from '../helpers/vectors.js';

interface KeyVector {
  name: string;
  raw_xonly?: string;
  raw_secret?: string;
  payload_hex?: string;
  base58check: string;
}
const file = readVectorJson<{ vectors: KeyVector[] }>('sv2_authority_keys_and_constants.json');
const byName = (part: string): KeyVector => {
  const v = file.vectors.find((x) => x.name.includes(part));
  if (v === undefined) throw new Error(`vector ${part} missing`);
  return v;
};

describe('authority public key strings', () => {
  for (const name of ['spec 4.7.1', 'SRI example authority public key']) {
    it(`${name}: encodes and decodes`, () => {
      const v = byName(name);
      const raw = hexToBytes(v.raw_xonly ?? '');
      expect(encodeAuthorityPublicKey(raw)).toBe(v.base58check);
      expect(bytesToHex(decodeAuthorityPublicKey(v.base58check))).toBe(v.raw_xonly);
      const check = base58CheckDecode(v.base58check);
      expect(check.ok && bytesToHex(check.payload)).toBe(v.payload_hex);
      expect(v.base58check).toHaveLength(51);
    });
  }

  it('SRI example secret key decodes to the secret whose public key is the SRI example key', () => {
    const s = byName('secret key');
    const secret = decodeAuthoritySecretKey(s.base58check);
    expect(bytesToHex(secret)).toBe(s.raw_secret);
    expect(encodeAuthoritySecretKey(secret)).toBe(s.base58check);
    expect(encodeAuthorityPublicKey(authorityPublicFromSecret(secret))).toBe(
      byName('SRI example authority public key').base58check,
    );
    expect(bytesToHex(decodeAuthoritySecretKey(s.raw_secret ?? ''))).toBe(s.raw_secret);
  });

  it('key-utils pair from sv2.md §3.6', () => {
    const secret = decodeAuthoritySecretKey('zmBEmPhqo3A92FkiLVvyCz6htc3e53ph3ZbD4ASqGaLjwnFLi');
    expect(encodeAuthorityPublicKey(authorityPublicFromSecret(secret))).toBe(
      '9bDuixKmZqAJnrmP746n8zU1wyAQRrus7th9dxnkPg6RzQvCnan',
    );
  });

  it('accepts the older unprefixed form Braiins Pool publishes as the same x-only key', () => {
    const braiins = 'u95GEReVMjK6k5YqiSFNqqTnKU4ypU2Wm8awa6tmbmDmk1bWt';
    expect(byName('LEGACY').base58check).toBe(braiins);
    const bare = parseAuthorityPublicKey(braiins);
    expect(bare.ok && bytesToHex(bare.xonly)).toBe(byName('spec 4.7.1').raw_xonly);
    expect(bytesToHex(decodeAuthorityPublicKey(braiins))).toBe(byName('spec 4.7.1').raw_xonly);
    const url = parsePoolUrl(`stratum2+tcp://v2.stratum.braiins.com:3336/${braiins}`);
    expect(url.authorityKey && bytesToHex(url.authorityKey)).toBe(byName('spec 4.7.1').raw_xonly);
  });

  it('rejects other payload lengths, versions and points with their reason', () => {
    const xonly = hexToBytes(byName('spec 4.7.1').raw_xonly ?? '');
    const cases: [Uint8Array, RegExp][] = [
      [xonly.subarray(1), /payload is 31 bytes, expected 34 \(01 00 \+ x-only key\) or 32/],
      [Uint8Array.of(0x01, ...xonly), /payload is 33 bytes/],
      [Uint8Array.of(0x02, 0x00, ...xonly), /key version 2, expected 1/],
      [Uint8Array.of(0x01, 0x00, ...xonly, 0x00), /payload is 35 bytes/],
      // x = 5 has no y on secp256k1 (5^3 + 7 = 132 is not a square mod p).
      [hexToBytes(`${'00'.repeat(31)}05`), /not a secp256k1 x-only point/],
    ];
    for (const [payload, why] of cases) {
      const text = base58CheckEncode(payload);
      const r = parseAuthorityPublicKey(text);
      expect(r.ok, text).toBe(false);
      expect(!r.ok && r.reason, text).toMatch(why);
      expect(() => decodeAuthorityPublicKey(text)).toThrow(
        /expected Base58Check of 01 00 \+ 32-byte x-only key/,
      );
    }
    // One character changed in the unprefixed form: the checksum catches it.
    expect(parseAuthorityPublicKey('u95GEReVMjK6k5YqiSFNqqTnKU4ypU2Wm8awa6tmbmDmk1bWu')).toEqual({
      ok: false,
      reason: 'bad Base58Check checksum',
    });
  });

  it('rejects a bad checksum, a wrong length and junk', () => {
    const cases: [string, RegExp][] = [
      ['9bDuixKmZqAJnrmP746n8zU1wyAQRrus7th9dxnkPg6RzQvCnam', /checksum/],
      ['2myPhc5vkPzuC5FXNK5tee79WmP7uoLh55SxezoF8iqwF3E3rnPY', /35 bytes|version/],
      ['2wmHTKZkLg2QzXyEXGMBXzKP7JXDUt8yy9SA5hoQwERc92qR6c', /bytes/],
      ['9auqWEzQDVyd2oe1JVGFLMLHZtCo2FFqZwtKA5gd9xbuEu7PH7O', /alphabet/],
    ];
    for (const [text, why] of cases) {
      const r = parseAuthorityPublicKey(text);
      expect(r.ok, text).toBe(false);
      expect(!r.ok && r.reason, text).toMatch(why);
      expect(() => decodeAuthorityPublicKey(text)).toThrow(ConfigError);
    }
  });

  it('base58 keeps leading zero bytes as 1s', () => {
    const bytes = Uint8Array.of(0, 0, 1, 2, 255);
    const text = base58Encode(bytes);
    expect(text.startsWith('11')).toBe(true);
    expect(bytesToHex(base58Decode(text) ?? new Uint8Array())).toBe('000001' + '02ff');
  });

  it('secret key errors never echo the secret', () => {
    const bad = 'mkDLTBBRxdBv998612qipDYoTK3YUrqLe8uWw7gu3iXbSrn2m';
    try {
      decodeAuthoritySecretKey(bad);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect(String(e)).not.toContain(bad);
    }
  });
});

describe('pool URL', () => {
  const key = '9auqWEzQDVyd2oe1JVGFLMLHZtCo2FFqZwtKA5gd9xbuEu7PH72';
  it('parses host, port and key', () => {
    const u = parsePoolUrl(`stratum2+tcp://pool.example.com:34254/${key}`);
    expect(u.host).toBe('pool.example.com');
    expect(u.port).toBe(34254);
    expect(u.missingAuthorityKey).toBe(false);
    expect(bytesToHex(u.authorityKey ?? new Uint8Array())).toBe(
      '24ee3c3804a1aaa4c03b80ea19f7a5863c916e8994b7db94a3bad7ee092b6ce7',
    );
    expect(parsePoolUrl(`stratum+sv2://[::1]:3336/${key}`).host).toBe('::1');
  });

  it('allows a missing key but flags it', () => {
    for (const text of ['stratum2+tcp://10.0.0.2:34254', 'stratum2+tcp://10.0.0.2:34254/']) {
      const u = parsePoolUrl(text);
      expect(u).toEqual({
        host: '10.0.0.2',
        port: 34254,
        authorityKey: undefined,
        missingAuthorityKey: true,
      });
    }
  });

  it('refuses bad URLs with a ConfigError', () => {
    for (const text of [
      'stratum+tcp://pool:3333',
      `stratum2+tcp://pool/${key}`,
      'stratum2+tcp://pool:0',
      'stratum2+tcp://pool:34254/notakey',
      'stratum2+tcp://user:pw@pool:34254',
      `stratum2+tcp://pool:34254/${key}/x`,
      'pool:34254',
    ]) {
      expect(() => parsePoolUrl(text), text).toThrow(ConfigError);
    }
  });
});
