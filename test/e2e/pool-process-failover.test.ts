/**
 * Failover and fail-back across three real `sv2miner pool` processes (issue 4): the client mines
 * on pool A, A is killed with SIGKILL mid-run, the client moves to B, A is restarted on the same
 * port with the same authority key, and the client fails back to A. Every share the client
 * counts as accepted is one a pool process logged as accepted (nothing lost, nothing doubled),
 * and no share is submitted to two pools. Needs the built CLI (`npm test` builds it first).
 *
 * Four node processes: it runs under `npm run test:slow` (SV2MINER_SLOW=1). `npm test` keeps the
 * same contract in-process (test/pool/local-pool.test.ts: failover, fail-back to the pool restarted
 * on its port and key, every accept counted once on both sides) and the `sv2miner pool` process
 * contract in test/pool-server/pool-command.test.ts.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../bench/free-port.js';
import { silentLog } from '../../src/log.js';
import { encodeAuthoritySecretKey } from '../../src/noise/authority-key.js';
import { randomSecret } from '../../src/noise/ellswift.js';
import { PoolClient } from '../../src/upstream/client.js';
import type { Job } from '../../src/work/job.js';
import { search, shareOf, until } from '../interop/helpers/cpu-search.js';

const here = dirname(fileURLToPath(import.meta.url));
const CLI = join(here, '..', '..', 'dist', 'src', 'cli', 'main.js');

interface PoolProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** (job id, seq) of every share this process logged as accepted. */
  readonly accepted: string[];
  readonly exited: Promise<void>;
}

function eachLine(stream: NodeJS.ReadableStream | null, onLine: (line: string) => void): void {
  let buffer = '';
  stream?.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
      onLine(buffer.slice(0, nl));
      buffer = buffer.slice(nl + 1);
    }
  });
}

async function startPoolProcess(port: number, keyFile: string): Promise<PoolProcess> {
  const child = spawn(
    process.execPath,
    [
      CLI,
      'pool',
      '--port',
      String(port),
      '--key-file',
      keyFile,
      '--difficulty',
      '0.00001',
      '--job-interval',
      '0',
    ],
    { env: { ...process.env, SV2MINER_LOG_LEVEL: 'debug' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const accepted: string[] = [];
  let url: string | undefined;
  // The url line is stdout; the pino JSON log is stderr.
  eachLine(child.stdout, (line) => {
    if (line.startsWith('url: ')) url = line.slice(5).trim();
  });
  eachLine(child.stderr, (line) => {
    if (!line.startsWith('{')) return;
    const entry = JSON.parse(line) as { msg?: string; job?: number; seq?: number };
    if (entry.msg === 'share accepted') accepted.push(`${entry.job}:${entry.seq}`);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = await until(() => url, 20_000, `pool on port ${port} to print its url`);
  return { url: ready, child, accepted, exited };
}

describe.runIf(process.env['SV2MINER_SLOW'] === '1')('failover across three pool processes', () => {
  const processes: PoolProcess[] = [];
  let client: PoolClient | undefined;

  afterAll(async () => {
    await client?.close();
    for (const p of processes) p.child.kill('SIGKILL');
    await Promise.all(processes.map((p) => p.exited));
  });

  it('kills pool A mid-run, fails over to B, fails back to the restarted A; counters add up', async () => {
    expect(existsSync(CLI), `${CLI} missing: run \`npm run build\` first (npm test does)`).toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'sv2miner-failover-'));
    const ports = [await freePort(), await freePort(), await freePort()];
    const keyFiles = ports.map((port) => {
      const file = join(dir, `pool-${port}.key`);
      writeFileSync(file, encodeAuthoritySecretKey(randomSecret()));
      return file;
    });
    const [a, b, c] = await Promise.all(ports.map((port, i) => startPoolProcess(port, keyFiles[i] ?? '')));
    if (a === undefined || b === undefined || c === undefined) throw new Error('pools did not start');
    processes.push(a, b, c);

    let job: Job | undefined;
    const mining = new PoolClient({
      pools: [a, b, c].map((p, i) => ({ url: p.url, user: `rig.pool${i}` })),
      nominalHashrate: 1e6,
      backoff: { baseMs: 100, maxMs: 500 },
      failBack: { holdMs: 1_000, probeIntervalMs: 200 },
      log: silentLog,
    });
    client = mining;
    mining.onJob((j) => {
      job = j;
    });
    mining.start();

    let nextNonce = 0;
    const acceptedOn = (url: string): number =>
      mining.status().pools.find((p) => p.url === url)?.counters.accepted ?? 0;
    const mineOn = async (url: string, shares: number): Promise<void> => {
      const target = acceptedOn(url) + shares;
      await until(
        () => {
          if (acceptedOn(url) >= target) return true;
          if (job !== undefined && job.pool === url && mining.status().currentPool === url) {
            const [found] = search(job, 1, { start: nextNonce });
            if (found !== undefined) {
              nextNonce = found.nonce + 1;
              mining.submit(shareOf(job, found));
            }
          }
          return undefined;
        },
        30_000,
        `${shares} accepted shares on ${url}`,
      );
    };

    await mineOn(a.url, 3);
    a.child.kill('SIGKILL');
    await a.exited;
    await mineOn(b.url, 3);

    const restarted = await startPoolProcess(ports[0] ?? 0, keyFiles[0] ?? '');
    processes.push(restarted);
    expect(restarted.url).toBe(a.url);
    await mineOn(a.url, 3);

    const status = mining.status();
    const byUrl = new Map(status.pools.map((p) => [p.url, p.counters]));
    const logged = (p: PoolProcess): number => p.accepted.length;
    // Every share the client counts as accepted on A is logged by one of A's two lives, and so on.
    expect(byUrl.get(a.url)?.accepted).toBe(logged(a) + logged(restarted));
    expect(byUrl.get(b.url)?.accepted).toBe(logged(b));
    expect(byUrl.get(c.url)?.accepted).toBe(0);
    expect(logged(c)).toBe(0);
    // Nothing doubled: no (job, sequence) pair is accepted twice by one pool life.
    for (const p of [a, b, restarted]) expect(new Set(p.accepted).size).toBe(p.accepted.length);
    for (const counters of byUrl.values()) expect(counters.rejected).toBe(0);
    // Submitted shares all settled: accepted, or unacknowledged when A died with them in flight.
    const submitted = [...byUrl.values()].reduce((n, k) => n + k.submitted, 0);
    const settled = [...byUrl.values()].reduce((n, k) => n + k.accepted + k.rejected + k.unacknowledged, 0);
    expect(settled).toBeLessThanOrEqual(submitted);
    expect(submitted - settled).toBeLessThanOrEqual(1);
  }, 120_000);
});
