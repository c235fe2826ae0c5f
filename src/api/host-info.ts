/**
 * Facts about the Linux host that AxeOS clients expect in /api/system/info (monitoring.md §3b):
 * the MAC address of the first non-loopback interface (upper-case, as pyasic reads it, §3a) and
 * the first non-internal IPv4 address. Read once at API start; interfaces rarely change.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';

export interface HostFacts {
  readonly macAddr: string;
  readonly ipv4: string;
}

const ZERO_MAC = '00:00:00:00:00:00';

/** First non-loopback interface (by name order) with a real MAC in `sysNetDir`/<if>/address. */
export function readMacAddress(sysNetDir = '/sys/class/net'): string {
  let names: string[];
  try {
    names = readdirSync(sysNetDir).sort();
  } catch {
    return '';
  }
  for (const name of names) {
    if (name === 'lo') continue;
    let text: string;
    try {
      text = readFileSync(join(sysNetDir, name, 'address'), 'utf8').trim();
    } catch {
      continue;
    }
    // Tunnels and some virtual links report an all-zero or empty address: not a device identity.
    if (/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i.test(text) && text !== ZERO_MAC) return text.toUpperCase();
  }
  return '';
}

function firstIpv4(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const entry of list ?? []) {
      if (entry.family === 'IPv4' && !entry.internal) return entry.address;
    }
  }
  return '';
}

export function readHostFacts(sysNetDir?: string): HostFacts {
  return { macAddr: readMacAddress(sysNetDir), ipv4: firstIpv4() };
}
