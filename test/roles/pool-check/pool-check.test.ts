/**
 * pool-check against the real local pool over loopback: success with every report field, the
 * explicit "wrong authority key" failure, a refused TCP connection, a keyless URL with and without
 * --insecure, and the CLI wrapper's exit codes and output forms.
 */
import { once } from 'node:events';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { difficultyToTarget, targetToDifficulty } from '../../../src/bitcoin/target.js';
import { encodeAuthorityPublicKey } from '../../../src/noise/authority-key.js';
import { xonlyPublicKey } from '../../../src/noise/ellswift.js';
import { type LocalPool, startLocalPool } from '../../../src/pool-server/local-pool.js';
import { runPoolCheck } from '../../../src/roles/pool-check/check.js';
import { runPoolCheckCommand } from '../../../src/roles/pool-check/main.js';

let pool: LocalPool;
const NOW = 1_800_000_000;

beforeAll(async () => {
  pool = await startLocalPool({
    initialDifficulty: 0.5,
    jobIntervalMs: 0,
    blockIntervalMs: 0,
    vardiffIntervalMs: 0,
    certificateValiditySec: 3600,
    nowSec: () => NOW,
  });
});
afterAll(async () => {
  await pool.close();
});

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out, err };
}

describe('pool-check', () => {
  it('succeeds against the local pool and reports every step', async () => {
    const r = await runPoolCheck({ url: pool.url, nowSec: () => NOW, timeoutMs: 5000 });
    expect(r.ok).toBe(true);
    expect(r.reason).toBeUndefined();
    expect(r.tcp?.connect_ms).toBeGreaterThanOrEqual(0);
    expect(r.noise).toMatchObject({
      authenticated: true,
      // certificates are back-dated by 60 s
      certificate: {
        version: 0,
        valid_from: '2027-01-15T07:59:00Z',
        not_valid_after: '2027-01-15T09:00:00Z',
      },
    });
    expect(new Date(NOW * 1000).toISOString()).toBe('2027-01-15T08:00:00.000Z');
    expect(r.setup).toEqual({ ok: true, used_version: 2, flags: 0 });
    expect(r.channel).toMatchObject({ ok: true, extranonce_prefix: expect.stringMatching(/^7376326d/) });
    if (r.channel?.ok !== true) throw new Error('channel missing');
    expect(r.channel.difficulty).toBeCloseTo(targetToDifficulty(difficultyToTarget(0.5)), 9);
    expect(r.job).toMatchObject({ received: true, nbits: pool.tip().nbits });
    expect(r.job?.prev_hash).toBe(Buffer.from(pool.tip().prevHash).toString('hex'));
  });

  it('CLI --json prints one JSON object and exits 0; text mode ends with an OK line', async () => {
    const json = capture();
    expect(
      await runPoolCheckCommand([pool.url, '--json', '--user', 'me.w1'], json.io, { nowSec: () => NOW }),
    ).toBe(0);
    expect(json.out).toHaveLength(1);
    const parsed = JSON.parse(json.out[0] ?? '');
    expect(Object.keys(parsed)).toEqual(
      expect.arrayContaining(['ok', 'tcp', 'noise', 'setup', 'channel', 'job']),
    );
    const text = capture();
    expect(await runPoolCheckCommand([pool.url], text.io, { nowSec: () => NOW })).toBe(0);
    expect(text.out.some((l) => l.startsWith('cert:      valid from 2027-01-15T07:59:00Z until'))).toBe(true);
    expect(text.out.at(-1)).toMatch(/^result: +OK/);
  });

  it('says "wrong authority key" when the pool is signed by another key', async () => {
    const other = encodeAuthorityPublicKey(xonlyPublicKey(Uint8Array.from({ length: 32 }, (_, i) => i + 1)));
    const url = `stratum2+tcp://127.0.0.1:${pool.port}/${other}`;
    const r = await runPoolCheck({ url, nowSec: () => NOW, timeoutMs: 5000 });
    expect(r).toMatchObject({ ok: false, failed_step: 'noise' });
    expect(r.reason).toMatch(/^wrong authority key/);
    expect(r.tcp).toBeDefined();
    const text = capture();
    expect(await runPoolCheckCommand([url], text.io, { nowSec: () => NOW })).toBe(1);
    expect(text.out.at(-1)).toMatch(/FAILED at noise: wrong authority key/);
  });

  it('reports a refused TCP connection', async () => {
    const s = createServer();
    s.listen(0, '127.0.0.1');
    await once(s, 'listening');
    const addr = s.address();
    if (addr === null || typeof addr === 'string') throw new Error('no port');
    await new Promise((r) => s.close(r));
    const r = await runPoolCheck({ url: `stratum2+tcp://127.0.0.1:${addr.port}/${pool.authorityPublicKey}` });
    expect(r).toMatchObject({ ok: false, failed_step: 'tcp' });
    expect(r.reason).toMatch(/TCP connect to 127\.0\.0\.1:\d+ failed: .*ECONNREFUSED/);
    expect(r.noise).toBeUndefined();
  });

  it('needs --insecure for a URL without key, and then reports the check as unauthenticated', async () => {
    const url = `stratum2+tcp://127.0.0.1:${pool.port}`;
    const refused = await runPoolCheck({ url });
    expect(refused).toMatchObject({ ok: false, failed_step: 'url' });
    expect(refused.reason).toMatch(/--insecure/);
    const r = await runPoolCheck({ url, insecure: true, timeoutMs: 5000 });
    expect(r.ok).toBe(true);
    expect(r.noise?.authenticated).toBe(false);
  });

  it('CLI usage errors exit 2', async () => {
    const c = capture();
    expect(await runPoolCheckCommand([], c.io)).toBe(2);
    expect(await runPoolCheckCommand([pool.url, '--timeout', 'x'], c.io)).toBe(2);
    expect(await runPoolCheckCommand([pool.url, '--bogus'], c.io)).toBe(2);
    expect(c.err.join('\n')).toMatch(/--timeout expects seconds/);
  });
});
