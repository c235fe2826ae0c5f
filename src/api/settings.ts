/**
 * PATCH /api/system body (ESP-Miner openapi Settings, monitoring.md §3a/§3b) -> SettingsPatch.
 * Accepts AxeOS keys (stratumURL/Port/User/Password for pool 0, fallbackStratum* for pool 1,
 * frequency, coreVoltage, fanspeed (or manualFanSpeed), autofanspeed and pyasic's autoFanspeed, minFanSpeed,
 * temptarget, and overheat_mode: 0 to clear the overheat latch) and our own `pools` list. Unknown
 * keys are ignored, as AxeOS does. Error messages name the key but never echo a password.
 */
import { fitsStr0_255, STR0_255_EXPECTED, str0_255Got } from '../config/wire-bounds.js';
import { ConfigError } from '../errors.js';
import type { RigSnapshot, SettingsPatch } from './snapshot.js';

type PoolInput = { url: string; user: string; password?: string; insecure?: boolean };

const SV2_SCHEMES = ['stratum2+tcp:', 'stratum+sv2:'];

export function settingsFromBody(body: unknown, current: RigSnapshot): SettingsPatch {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new ConfigError(
      'body',
      'a JSON object of settings',
      Array.isArray(body) ? 'an array' : typeof body,
    );
  const b = body as Record<string, unknown>;
  const patch: {
    pools?: PoolInput[];
    frequencyMhz?: number;
    coreVoltage?: number;
    fan?: { auto?: boolean; speedPercent?: number; minPercent?: number; targetC?: number };
    overheatClear?: true;
  } = {};

  if (b['pools'] !== undefined) patch.pools = poolList(b['pools']);
  else {
    const pools = current.pools.map((p): PoolInput => ({ url: p.url, user: p.user, insecure: p.insecure }));
    const changed = [
      applyAxeosPool(b, '', pools, 0, current),
      applyAxeosPool(b, 'fallback', pools, 1, current),
    ];
    if (changed.some(Boolean)) patch.pools = pools;
  }
  if (b['frequency'] !== undefined) patch.frequencyMhz = positiveNumber(b['frequency'], 'frequency');
  // Millivolts; the board's range is checked with the config, before anything is written.
  if (b['coreVoltage'] !== undefined) patch.coreVoltage = positiveNumber(b['coreVoltage'], 'coreVoltage');
  const auto = b['autofanspeed'] ?? b['autoFanspeed'];
  const fan: { auto?: boolean; speedPercent?: number; minPercent?: number; targetC?: number } = {};
  if (auto !== undefined)
    fan.auto = flag(auto, b['autofanspeed'] !== undefined ? 'autofanspeed' : 'autoFanspeed');
  // AxeOS's own form sends manualFanSpeed; older clients and pyasic send fanspeed.
  const manual = b['fanspeed'] !== undefined ? 'fanspeed' : 'manualFanSpeed';
  if (b[manual] !== undefined) fan.speedPercent = percent(b[manual], manual);
  if (b['minFanSpeed'] !== undefined) fan.minPercent = percent(b['minFanSpeed'], 'minFanSpeed');
  // Whole degrees here; the config check puts it below thermal.throttleC.
  if (b['temptarget'] !== undefined) fan.targetC = celsius(b['temptarget'], 'temptarget');
  if (Object.keys(fan).length > 0) patch.fan = fan;
  // AxeOS clears its overheat mode with a PATCH of overheat_mode 0 (ESP-Miner allows 0 only).
  if (b['overheat_mode'] !== undefined) {
    const v = b['overheat_mode'];
    if (v !== 0 && v !== '0' && v !== false)
      throw new ConfigError('overheat_mode', '0 (clears the overheat latch)', describe(v));
    patch.overheatClear = true;
  }

  if (
    patch.pools === undefined &&
    patch.frequencyMhz === undefined &&
    patch.coreVoltage === undefined &&
    patch.fan === undefined &&
    patch.overheatClear === undefined
  )
    throw new ConfigError(
      'body',
      'at least one of stratumURL, stratumPort, stratumUser, stratumPassword, fallbackStratum*, pools, frequency, coreVoltage, fanspeed, autofanspeed, minFanSpeed, temptarget, overheat_mode',
      `keys ${Object.keys(b).join(', ') || '(none)'}`,
    );
  return patch;
}

/** Applies `<prefix>stratumURL/Port/User/Password` to pools[index]; true when any key was present. */
function applyAxeosPool(
  b: Record<string, unknown>,
  prefix: '' | 'fallback',
  pools: PoolInput[],
  index: number,
  current: RigSnapshot,
): boolean {
  const key = (name: string) => (prefix === '' ? `stratum${name}` : `fallbackStratum${name}`);
  const urlValue = b[key('URL')];
  const portValue = b[key('Port')];
  const userValue = b[key('User')];
  const passwordValue = b[key('Password')];
  const keyValue = prefix === '' ? b['stratumV2AuthorityPubkey'] : undefined;
  if ([urlValue, portValue, userValue, passwordValue, keyValue].every((v) => v === undefined)) return false;
  const existing = current.pools[index];
  if (index > pools.length)
    throw new ConfigError(key('URL'), `a primary pool before the ${prefix} pool`, 'none set');
  const host = urlValue === undefined ? existing?.host : text(urlValue, key('URL'));
  const port = portValue === undefined ? existing?.port : portNumber(portValue, key('Port'));
  const user = userValue === undefined ? existing?.user : userName(userValue, key('User'));
  if (host === undefined || host === '') throw new ConfigError(key('URL'), 'a pool host or URL', 'none');
  if (user === undefined) throw new ConfigError(key('User'), 'a user name', 'none');
  const authorityKey = keyValue === undefined ? undefined : text(keyValue, 'stratumV2AuthorityPubkey');
  const pool: PoolInput = {
    url: poolUrl(host, port, authorityKey, existing, key('URL')),
    user,
    insecure: existing?.insecure ?? false,
  };
  // The password is write-only: sent on when given, never read back or echoed in errors.
  if (passwordValue !== undefined) {
    if (typeof passwordValue !== 'string')
      throw new ConfigError(key('Password'), 'a string', typeof passwordValue);
    pool.password = passwordValue;
  }
  pools[index] = pool;
  return true;
}

/**
 * AxeOS sends a bare host (pyasic strips the scheme); SV2 URLs are taken whole. A bare host keeps
 * the current authority key only while it names the same pool, since a key belongs to one pool.
 */
function poolUrl(
  hostOrUrl: string,
  port: number | undefined,
  key: string | undefined,
  existing: RigSnapshot['pools'][number] | undefined,
  path: string,
): string {
  const scheme = /^([a-z0-9+.-]+:)\/\//i.exec(hostOrUrl)?.[1]?.toLowerCase();
  if (scheme !== undefined && SV2_SCHEMES.includes(scheme) && key === undefined) return hostOrUrl;
  let host = hostOrUrl;
  let urlPort = port;
  if (scheme !== undefined) {
    // An SV1-style URL (stratum+tcp://host:port): keep host and port, speak SV2 to them.
    let parsed: URL;
    try {
      parsed = new URL(hostOrUrl);
    } catch {
      throw new ConfigError(path, 'a host name or stratum2+tcp://host:port/<key> URL', 'an unparsable URL');
    }
    host = parsed.hostname;
    if (parsed.port !== '') urlPort = Number(parsed.port);
  }
  if (!/^[A-Za-z0-9.-]+$|^\[[0-9A-Fa-f:.]+\]$/.test(host))
    // Not echoed: a user may have pasted a password into the wrong field.
    throw new ConfigError(path, 'a host name or address', 'characters outside A-Z a-z 0-9 . - [ ] :');
  // Sent as SetupConnection.endpoint_host.
  if (!fitsStr0_255(host))
    throw new ConfigError(path, `a pool host of ${STR0_255_EXPECTED}`, str0_255Got(host));
  if (urlPort === undefined) throw new ConfigError(path.replace('URL', 'Port'), 'a port 1..65535', 'none');
  const keptKey =
    existing !== undefined && existing.host === host ? (existing.authorityKey ?? undefined) : undefined;
  const finalKey = key ?? keptKey;
  return `stratum2+tcp://${host}:${urlPort}${finalKey === undefined || finalKey === '' ? '' : `/${finalKey}`}`;
}

function poolList(value: unknown): PoolInput[] {
  if (!Array.isArray(value))
    throw new ConfigError('pools', 'a list of {url, user, password?, insecure?}', typeof value);
  return value.map((item: unknown, i): PoolInput => {
    if (typeof item !== 'object' || item === null)
      throw new ConfigError(`pools[${i}]`, 'an object', typeof item);
    const p = item as Record<string, unknown>;
    const pool: PoolInput = {
      url: text(p['url'], `pools[${i}].url`),
      user: userName(p['user'], `pools[${i}].user`),
    };
    if (p['password'] !== undefined) {
      if (typeof p['password'] !== 'string')
        throw new ConfigError(`pools[${i}].password`, 'a string', typeof p['password']);
      pool.password = p['password'];
    }
    if (p['insecure'] !== undefined) {
      if (typeof p['insecure'] !== 'boolean')
        throw new ConfigError(`pools[${i}].insecure`, 'true or false', typeof p['insecure']);
      pool.insecure = p['insecure'];
    }
    return pool;
  });
}

function text(value: unknown, path: string): string {
  if (typeof value !== 'string') throw new ConfigError(path, 'a string', typeof value);
  return value.trim();
}

/**
 * A pool user, checked here against its wire type (user_identity, STR0_255) so the error names
 * the key the client sent; the config schema checks the same again before anything is kept.
 */
function userName(value: unknown, path: string): string {
  const user = text(value, path);
  if (user === '') throw new ConfigError(path, 'a user name', 'an empty string');
  if (!fitsStr0_255(user))
    throw new ConfigError(path, `a user name of ${STR0_255_EXPECTED}`, str0_255Got(user));
  return user;
}

function numeric(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '') return Number(value);
  return Number.NaN;
}

function describe(value: unknown): string {
  if (typeof value === 'number') return String(value);
  // Short word-like strings only: anything longer could be a secret typed into the wrong field.
  if (typeof value === 'string') return /^[\w.+-]{0,12}$/.test(value) ? JSON.stringify(value) : 'a string';
  return typeof value;
}

function positiveNumber(value: unknown, path: string): number {
  const n = numeric(value);
  if (!Number.isFinite(n) || n <= 0) throw new ConfigError(path, 'a positive number (MHz)', describe(value));
  return n;
}

function portNumber(value: unknown, path: string): number {
  const n = numeric(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535)
    throw new ConfigError(path, 'a port 1..65535', describe(value));
  return n;
}

function percent(value: unknown, path: string): number {
  const n = numeric(value);
  if (!Number.isFinite(n) || n < 0 || n > 100)
    throw new ConfigError(path, 'a percentage 0..100', describe(value));
  return n;
}

function celsius(value: unknown, path: string): number {
  const n = numeric(value);
  if (!Number.isFinite(n) || n < 0 || n > 150)
    throw new ConfigError(path, 'degrees C 0..150', describe(value));
  return n;
}

function flag(value: unknown, path: string): boolean {
  if (value === true || value === 1 || value === '1') return true;
  if (value === false || value === 0 || value === '0') return false;
  throw new ConfigError(path, '0 or 1', describe(value));
}
