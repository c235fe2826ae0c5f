/**
 * Interop 3 (issue 8, SRI half): `sv2miner pool-check <url>` against SRI's pool code (sri-peer):
 * exit 0 with every step reported when the URL carries the pool's authority key; a clear refusal
 * at the Noise step (exit 1) when the URL names another key (sv2.md §3.5-§3.6).
 * Runs the command module in-process (same code path as the CLI entry, which only dispatches).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PoolCheckReport } from '../../src/roles/pool-check/check.js';
import { command } from '../../src/roles/pool-check/main.js';
import { type SriPool, sriPeer, startSriPool } from './helpers/sri-peer.js';

const peer = sriPeer();

/** Two unrelated authority secrets (hex): the pool runs with A; B is "another pool's" key. */
const SECRET_A = '0f'.repeat(32);
const SECRET_B = '1e'.repeat(32);

async function poolCheck(argv: readonly string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await command.run(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

describe.skipIf(peer.bin === '')('sv2miner pool-check against the SRI pool', () => {
  let pool: SriPool;
  let otherAuthority: string;
  beforeAll(async () => {
    pool = await startSriPool(peer.bin, ['--authority-secret', SECRET_A]);
    // A second SRI pool only to learn B's public key string in SRI's own encoding.
    const other = await startSriPool(peer.bin, ['--authority-secret', SECRET_B]);
    otherAuthority = other.authority;
    await other.proc.stop();
  });
  afterAll(async () => {
    await pool?.proc.stop();
  });

  it('reports every step and exits 0 with the right authority key', async () => {
    const { code, out } = await poolCheck([pool.url, '--json', '--timeout', '20']);
    expect(code, out.join('\n')).toBe(0);
    const report = JSON.parse(out.join('\n')) as PoolCheckReport;
    expect(report.ok).toBe(true);
    expect(report.noise?.authenticated).toBe(true);
    // SRI's certificate: version 0, valid from "now", an hour of validity by default.
    expect(report.noise?.certificate?.version).toBe(0);
    expect(report.setup).toMatchObject({ ok: true, used_version: 2 });
    expect(report.channel).toMatchObject({ ok: true, group_channel_id: 0 });
    expect(report.job?.received).toBe(true);
    // What pool-check printed is what SRI logged.
    const opened = await pool.proc.waitFor((l) => l.event === 'channel_opened');
    const prev = await pool.proc.waitFor((l) => l.event === 'prevhash');
    if (report.channel?.ok !== true) throw new Error('channel not ok');
    expect(report.channel.channel_id).toBe(opened['channel_id']);
    expect(report.channel.extranonce_prefix).toBe(opened['extranonce_prefix']);
    expect(report.job?.prev_hash).toBe(prev['prev_hash']);
    expect(report.job?.nbits).toBe(prev['nbits']);
  });

  it('prints a human report and exits 0', async () => {
    const { code, out } = await poolCheck([pool.url, '--timeout', '20']);
    expect(code, out.join('\n')).toBe(0);
    expect(out.join('\n')).toMatch(/noise|handshake/i);
  });

  it('refuses with a clear message when the URL names another authority key', async () => {
    expect(otherAuthority).not.toBe(pool.authority);
    const url = `stratum2+tcp://${pool.host}:${pool.port}/${otherAuthority}`;
    const json = await poolCheck([url, '--json', '--timeout', '20']);
    expect(json.code).toBe(1);
    const report = JSON.parse(json.out.join('\n')) as PoolCheckReport;
    expect(report.ok).toBe(false);
    expect(report.failed_step).toBe('noise');
    expect(report.reason).toMatch(/certificate|signature|authority/i);
    expect(report.setup).toBeUndefined();
    const text = await poolCheck([url, '--timeout', '20']);
    expect(text.code).toBe(1);
    expect(text.out.join('\n')).toMatch(/certificate|signature|authority/i);
  });
});
