/**
 * Pool URLs of the form the spec suggests, `stratum2+tcp://host:port/<authority public key>`
 * (sv2.md §3.6). ESP-Miner's `stratum+sv2://` is accepted too. A missing key parses but is
 * flagged, so the caller can refuse it unless insecure mode was chosen explicitly.
 */
import { ConfigError } from '../errors.js';
import { AUTHORITY_KEY_FORM, parseAuthorityPublicKey } from './authority-key.js';

const POOL_URL_SCHEMES = ['stratum2+tcp:', 'stratum+sv2:'] as const;

export interface PoolUrl {
  readonly host: string;
  readonly port: number;
  /** The x-only authority key, or undefined when the URL carries none. */
  readonly authorityKey: Uint8Array | undefined;
  /** True when there is no key: connecting then needs insecure mode. */
  readonly missingAuthorityKey: boolean;
}

export function parsePoolUrl(text: string, path = 'pool.url'): PoolUrl {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw new ConfigError(path, 'stratum2+tcp://host:port/<authority key>', 'not a URL');
  }
  if (!(POOL_URL_SCHEMES as readonly string[]).includes(url.protocol))
    throw new ConfigError(path, `scheme ${POOL_URL_SCHEMES.map((s) => `${s}//`).join(' or ')}`, url.protocol);
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '')
    throw new ConfigError(path, 'no user, password, query or fragment', 'extra URL parts');
  // WHATWG keeps IPv6 brackets in hostname; node:net wants the bare address.
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') throw new ConfigError(path, 'a host name', 'empty host');
  // SV2 has no IANA default port, so it must be explicit.
  if (url.port === '') throw new ConfigError(path, 'an explicit port (SRI pools listen on 34254)', 'no port');
  const port = Number(url.port);
  if (port < 1 || port > 65535) throw new ConfigError(path, 'port 1..65535', url.port);
  const keyText = url.pathname.replace(/^\//, '');
  if (keyText === '') return { host, port, authorityKey: undefined, missingAuthorityKey: true };
  if (keyText.includes('/')) throw new ConfigError(path, 'a single path segment (the key)', 'nested path');
  const key = parseAuthorityPublicKey(keyText);
  if (!key.ok) throw new ConfigError(`${path} authority key`, AUTHORITY_KEY_FORM, key.reason);
  return { host, port, authorityKey: key.xonly, missingAuthorityKey: false };
}
