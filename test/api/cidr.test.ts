import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { DEFAULT_CGMINER_ALLOW, parseAllowList } from '../../src/net/cidr.js';

describe('cgminer write allow-list', () => {
  it('defaults to 127.0.0.1 only', () => {
    const allow = parseAllowList(DEFAULT_CGMINER_ALLOW);
    expect(allow.allows('127.0.0.1')).toBe(true);
    expect(allow.allows('::ffff:127.0.0.1')).toBe(true);
    expect(allow.allows('127.0.0.2')).toBe(false);
    expect(allow.allows('192.168.1.5')).toBe(false);
    expect(allow.allows('::1')).toBe(false);
    expect(allow.allows(undefined)).toBe(false);
    expect(allow.allows('not-an-ip')).toBe(false);
  });

  it('matches prefixes at their boundaries', () => {
    const allow = parseAllowList(['192.168.1.0/24', '10.0.0.0/8', 'fd00::/8', '172.16.5.4']);
    expect(allow.allows('192.168.1.0')).toBe(true);
    expect(allow.allows('192.168.1.255')).toBe(true);
    expect(allow.allows('192.168.2.0')).toBe(false);
    expect(allow.allows('10.255.255.255')).toBe(true);
    expect(allow.allows('11.0.0.0')).toBe(false);
    expect(allow.allows('fd12::1')).toBe(true);
    expect(allow.allows('fe80::1')).toBe(false);
    expect(allow.allows('172.16.5.4')).toBe(true);
    expect(allow.allows('172.16.5.5')).toBe(false);
  });

  it('0.0.0.0/0 allows every IPv4 peer', () => {
    const allow = parseAllowList(['0.0.0.0/0']);
    expect(allow.allows('8.8.8.8')).toBe(true);
    expect(allow.allows('::ffff:1.2.3.4')).toBe(true);
  });

  it('rejects malformed entries with a ConfigError naming the index', () => {
    for (const bad of ['192.168.1.0/33', 'nonsense', '10.0.0.0/8/1', '10.0.0.0/x', '::1/129']) {
      expect(() => parseAllowList(['127.0.0.1/32', bad])).toThrow(ConfigError);
      expect(() => parseAllowList(['127.0.0.1/32', bad])).toThrow(
        /^api\.cgminerAllow\[1\]: expected an IPv4 or IPv6 CIDR/,
      );
    }
  });
});
