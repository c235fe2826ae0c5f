/**
 * `sv2miner pool` in-process: the first stdout line is the URL carrying the authority key from
 * --key-file, a miner (pool-check) can use it, abort stops it with exit 0; bad flags exit 2.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLog } from '../../src/log.js';
import { encodeAuthorityPublicKey, encodeAuthoritySecretKey } from '../../src/noise/authority-key.js';
import { xonlyPublicKey } from '../../src/noise/ellswift.js';
import { runPool } from '../../src/roles/pool/main.js';
import { runPoolCheck } from '../../src/roles/pool-check/check.js';
import { until } from '../helpers/wait.js';

const SECRET = Uint8Array.from({ length: 32 }, (_, i) => 40 + i);

describe('sv2miner pool', () => {
  it('prints url: with the key from --key-file, serves miners and stops on abort', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sv2pool-'));
    const keyFile = join(dir, 'pool.key');
    await writeFile(keyFile, `authority_secret_key = "${encodeAuthoritySecretKey(SECRET)}"\n`);
    const out: string[] = [];
    const err: string[] = [];
    const abort = new AbortController();
    let url = '';
    const listening = new Promise<void>((resolve) => {
      void runPool(
        ['--port', '0', '--key-file', keyFile, '--difficulty', '0.01', '--job-interval', '0'],
        { out: (l) => out.push(l), err: (l) => err.push(l) },
        {
          signal: abort.signal,
          logger: silentLog,
          onListening: (u) => {
            url = u;
            resolve();
          },
        },
      ).then((code) => out.push(`exit ${code}`));
    });
    await listening;
    const key = encodeAuthorityPublicKey(xonlyPublicKey(SECRET));
    expect(out[0]).toMatch(new RegExp(`^url: stratum2\\+tcp://127\\.0\\.0\\.1:\\d+/${key}$`));
    expect(out[0]).toBe(`url: ${url}`);
    expect(err).toEqual([]);
    const r = await runPoolCheck({ url, timeoutMs: 5000 });
    expect(r.ok).toBe(true);
    abort.abort();
    expect(await until(() => out.at(-1) === 'exit 0', 5_000, 10)).toBe(true);
  });

  it.each([[['--port', '70000']], [['--difficulty', '-1']], [['--nbits', 'xyz']], [['--what']]])(
    'rejects %j with exit 2',
    async (argv) => {
      const err: string[] = [];
      expect(await runPool(argv, { out: () => {}, err: (l) => err.push(l) }, { logger: silentLog })).toBe(2);
      expect(err[0]).toMatch(/^sv2miner pool: /);
    },
  );
});
