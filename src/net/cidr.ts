/**
 * The cgminer API's write allow-list (cgminer `--api-allow W:cidr`, monitoring.md §3c) as a pure
 * function over CIDR strings. IPv4-mapped IPv6 peers (::ffff:a.b.c.d, seen on dual-stack
 * listeners) are matched as IPv4. Default: loopback only.
 */
import { BlockList, isIP } from 'node:net';
import { ConfigError } from '../errors.js';

export const DEFAULT_CGMINER_ALLOW: readonly string[] = ['127.0.0.1/32'];

export interface AllowList {
  allows(address: string | undefined): boolean;
}

export function parseAllowList(cidrs: readonly string[], path = 'api.cgminerAllow'): AllowList {
  const list = new BlockList();
  cidrs.forEach((cidr, i) => {
    const [net, prefixText, extra] = cidr.trim().split('/');
    const family = net === undefined ? 0 : isIP(net);
    const max = family === 4 ? 32 : 128;
    const prefix = prefixText === undefined ? max : Number(prefixText);
    if (
      net === undefined ||
      family === 0 ||
      extra !== undefined ||
      !Number.isInteger(prefix) ||
      prefix < 0 ||
      prefix > max
    )
      throw new ConfigError(
        `${path}[${i}]`,
        'an IPv4 or IPv6 CIDR such as 192.168.1.0/24',
        JSON.stringify(cidr),
      );
    list.addSubnet(net, prefix, family === 4 ? 'ipv4' : 'ipv6');
  });
  return {
    allows(address) {
      if (address === undefined) return false;
      const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
      const plain = mapped ?? address;
      const family = isIP(plain);
      if (family === 0) return false;
      return list.check(plain, family === 4 ? 'ipv4' : 'ipv6');
    },
  };
}
