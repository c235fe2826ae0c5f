/**
 * The read-only cgminer API sections built from a RigSnapshot (monitoring.md §3c): STATUS blocks
 * with cgminer's message codes (api.c MSG_* numbers), SUMMARY, DEVS (one ASC per chain), POOLS,
 * STATS (Bitmain layout: STATS[1] holds Elapsed, chain_rate<n>, temp<n>, freq_avg<n>, chain_acn<n>),
 * CONFIG, DEVDETAILS and VERSION. Hashrates in MH/s ("MHS *") and GH/s ("GHS *"). Pure.
 */
import type { Json } from './axeos.js';
import { devRow, poolRow, statsRows, summaryRow } from './cgminer-rows.js';
import type { RigSnapshot } from './snapshot.js';

export type Severity = 'S' | 'W' | 'I' | 'E' | 'F';

/** cgminer api.c message codes used here. */
export const CODE = {
  pools: 7,
  devs: 9,
  summary: 11,
  invalidCommand: 14,
  version: 22,
  invalidJson: 23,
  missingCommand: 24,
  missingPoolId: 25,
  invalidPoolId: 26,
  switchPool: 27,
  config: 33,
  accessDenied: 45,
  privilegedOk: 46,
  enablePool: 47,
  disablePool: 48,
  alreadyEnabled: 49,
  alreadyDisabled: 50,
  missingAddPool: 52,
  invalidAddPool: 53,
  addPool: 55,
  activePool: 67,
  removePool: 68,
  devDetails: 69,
  stats: 70,
} as const;

/** The "CGMiner" value tools parse as the cgminer release we are compatible with. */
const CGMINER_COMPAT_VERSION = '4.11.1';
const CGMINER_API_VERSION = '3.7';

export function statusBlock(
  s: RigSnapshot,
  severity: Severity,
  code: number,
  msg: string,
  now: number,
): Json[] {
  return [
    {
      STATUS: severity,
      When: Math.floor(now / 1000),
      Code: code,
      Msg: msg,
      Description: `sv2miner ${s.version}`,
    },
  ];
}

/** Read-only command name -> [code, message, body key, body rows]. */
export function readSection(
  name: string,
  s: RigSnapshot,
  now: number,
): { code: number; msg: string; key: string; rows: Json[] } | null {
  switch (name) {
    case 'version':
      return {
        code: CODE.version,
        msg: 'CGMiner versions',
        key: 'VERSION',
        rows: [
          {
            CGMiner: CGMINER_COMPAT_VERSION,
            API: CGMINER_API_VERSION,
            sv2miner: s.version,
            Miner: `sv2miner ${s.version}`,
            Type: s.board.id,
          },
        ],
      };
    case 'summary':
      return { code: CODE.summary, msg: 'Summary', key: 'SUMMARY', rows: [summaryRow(s, now)] };
    case 'devs':
      return {
        code: CODE.devs,
        msg: `${s.chains.length} ASC(s)`,
        key: 'DEVS',
        rows: s.chains.map((c, i) => devRow(s, c, i, now)),
      };
    case 'pools':
      return {
        code: CODE.pools,
        msg: `${s.pools.length} Pool(s)`,
        key: 'POOLS',
        rows: s.pools.map((p) => poolRow(s, p)),
      };
    case 'stats':
      return { code: CODE.stats, msg: 'CGMiner stats', key: 'STATS', rows: statsRows(s) };
    case 'config':
      return {
        code: CODE.config,
        msg: 'CGMiner config',
        key: 'CONFIG',
        rows: [
          {
            'ASC Count': s.chains.length,
            'PGA Count': 0,
            'Pool Count': s.pools.length,
            Strategy: 'Failover',
            'Log Interval': 5,
            'Device Code': 'ASC',
            OS: 'Linux',
            Hotplug: 'None',
          },
        ],
      };
    case 'devdetails':
      return {
        code: CODE.devDetails,
        msg: 'Device Details',
        key: 'DEVDETAILS',
        rows: s.chains.map((c, i) => ({
          DEVDETAILS: i,
          Name: c.chipModel,
          ID: c.index,
          Driver: 'sv2miner',
          Kernel: '',
          Model: `${c.chipModel} x${c.chipCount}`,
          'Device Path': s.board.id,
        })),
      };
    default:
      return null;
  }
}
