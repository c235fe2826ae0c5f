/**
 * SRI's translator (translator_sv2 from crates.io, built by global-setup.ts) between an SV1 miner
 * of ours and `sv2miner pool`: the translator opens an extended channel on our pool, turns our
 * NewExtendedMiningJob (coinbase split, merkle path) into mining.notify, and forwards the SV1
 * shares as SubmitSharesExtended. The pool's own log and counters must show them accepted. Every
 * address is loopback; `[miner_telemetry] cidrs = []` keeps the translator from scanning a LAN.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../bench/free-port.js';
import { parsePoolUrl } from '../../src/noise/pool-url.js';
import { runPool } from '../../src/roles/pool/main.js';
import { Sv1Miner } from './helpers/sv1-miner.js';

const translator = inject('translator');

/** Share difficulty of the pool's channels: ~4 096 hashes a share for the CPU miner below. */
const POOL_DIFFICULTY = 2 ** -20;
const WORKER = 'interop.sv1miner';

interface LogLine {
  readonly msg?: string;
  readonly [k: string]: unknown;
}

const MODES = [
  // Aggregated: one upstream channel for all SV1 miners, named <account of the first SV1 worker>
  // .translator-proxy, asking for the SV1 extranonce2 size plus a 2-byte per-miner index.
  { aggregate: true, user: 'interop.translator-proxy', extranonceSize: 4 + 2 },
  // One upstream channel per SV1 miner (<configured user_identity>.miner<n>), asking for exactly
  // the SV1 extranonce2 size.
  { aggregate: false, user: 'interop.tproxy.miner1', extranonceSize: 4 },
];

describe.skipIf(translator.bin === '').each(MODES)(
  "SRI's translator_sv2 (aggregate_channels = $aggregate) mining on sv2miner pool",
  (mode) => {
    const logs: LogLine[] = [];
    let logWaiters: (() => void)[] = [];
    const tproxyOut: string[] = [];
    const abort = new AbortController();
    let poolExit: Promise<number>;
    let proc: ChildProcess;
    let downstreamPort = 0;

    beforeAll(async () => {
      const logger = pino(
        { level: 'debug' },
        {
          write: (line: string) => {
            logs.push(JSON.parse(line) as LogLine);
            const waiting = logWaiters;
            logWaiters = [];
            for (const w of waiting) w();
          },
        },
      );
      let url = '';
      const listening = new Promise<void>((resolve) => {
        poolExit = runPool(
          [
            '--port',
            '0',
            '--difficulty',
            String(POOL_DIFFICULTY),
            '--job-interval',
            '0',
            '--block-interval',
            '0',
          ],
          { out: () => {}, err: () => {} },
          {
            signal: abort.signal,
            logger,
            onListening: (u) => {
              url = u;
              resolve();
            },
          },
        );
      });
      await listening;
      const pool = parsePoolUrl(url);
      downstreamPort = await freePort();
      const dir = mkdtempSync(join(tmpdir(), 'sv2miner-tproxy-'));
      const config = join(dir, 'tproxy.toml');
      writeFileSync(
        config,
        [
          'downstream_address = "127.0.0.1"',
          `downstream_port = ${downstreamPort}`,
          'max_supported_version = 2',
          'min_supported_version = 2',
          'downstream_extranonce2_size = 4',
          'verify_payout = false',
          `aggregate_channels = ${mode.aggregate}`,
          'supported_extensions = []',
          '',
          '[miner_telemetry]',
          'cidrs = []',
          '',
          '[downstream_difficulty_config]',
          // Vardiff off: the SV1 difficulty follows the upstream target, so every share the miner
          // finds is one the translator forwards to our pool.
          'min_individual_miner_hashrate = 100000.0',
          'shares_per_minute = 60.0',
          'enable_vardiff = false',
          'job_keepalive_interval_secs = 0',
          '',
          '[[upstreams]]',
          `address = "${pool.host}"`,
          `port = ${pool.port}`,
          `authority_pubkey = "${url.slice(url.lastIndexOf('/') + 1)}"`,
          'user_identity = "interop.tproxy"',
          '',
        ].join('\n'),
      );
      proc = spawn(translator.bin, ['-c', config], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, RUST_LOG: 'info' },
      });
      for (const stream of [proc.stdout, proc.stderr])
        if (stream !== null) createInterface({ input: stream }).on('line', (l) => tproxyOut.push(l));
    });

    afterAll(async () => {
      proc?.kill('SIGTERM');
      abort.abort();
      await poolExit;
    });

    /** Resolves once the pool has logged what `pred` wants (checked on every pool log line). */
    async function poolLogged(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (!pred()) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`the pool did not log ${what} within ${timeoutMs} ms\n${dump()}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          logWaiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    }

    const dump = (): string => `translator output:\n${tproxyOut.slice(-60).join('\n')}`;

    async function connectMiner(): Promise<Sv1Miner> {
      // The translator opens its SV1 port after its upstream channel is up; retry briefly.
      for (let attempt = 0; ; attempt++) {
        if (proc.exitCode !== null) throw new Error(`translator exited with ${proc.exitCode}\n${dump()}`);
        try {
          return await Sv1Miner.connect(downstreamPort);
        } catch (err) {
          if (attempt >= 60) throw new Error(`cannot reach the translator: ${String(err)}\n${dump()}`);
          await new Promise((r) => setTimeout(r, 250 * Math.min(attempt + 1, 4)));
        }
      }
    }

    it('opens an extended channel on our pool; SV1 shares it forwards are accepted there', async () => {
      const miner = await connectMiner();
      try {
        await miner.subscribe();
        expect((await miner.call('mining.authorize', [WORKER, 'x'])).result).toBe(true);
        await miner.until(
          () => miner.job !== undefined && miner.difficulty !== undefined,
          30_000,
          'job and difficulty',
        );
        const opened = logs.find((l) => l.msg === 'extended channel open');
        expect(opened, dump()).toBeDefined();
        expect(opened?.['user']).toBe(mode.user);
        expect(opened?.['extranonceSize']).toBe(mode.extranonceSize);
        expect(miner.extranonce2Size).toBe(4);

        const accepted: number[] = [];
        for (let i = 0; i < 3; i++) {
          const share = miner.search(i + 1);
          const reply = await miner.submit(WORKER, share);
          expect(reply.error ?? null, `${JSON.stringify(reply)}\n${dump()}`).toBeNull();
          expect(reply.result).toBe(true);
          accepted.push(i);
        }
        // The pool judges asynchronously to the translator's SV1 answer: wait for its own verdicts.
        const poolAccepted = (): LogLine[] => logs.filter((l) => l.msg === 'share accepted');
        const poolRejected = (): LogLine[] =>
          logs.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('share rejected'));
        await poolLogged(() => poolAccepted().length >= 3, 30_000, '3 accepted shares');
        expect(poolAccepted().length).toBe(3);

        // A share that misses the difficulty: the translator refuses it itself (SV1 false/error)
        // and does not pass it on. One more good share after it, forwarded on the same
        // connection in order, shows the pool saw nothing in between.
        const bad = miner.search(99, { miss: true });
        const reply = await miner.submit(WORKER, bad);
        expect(reply.result === true, JSON.stringify(reply)).toBe(false);
        expect((await miner.submit(WORKER, miner.search(4))).result).toBe(true);
        await poolLogged(() => poolAccepted().length >= 4, 30_000, 'the 4th accepted share');
        expect(poolAccepted().length).toBe(4);
        expect(poolRejected()).toEqual([]);
      } finally {
        miner.close();
      }
    });

    it("the pool's counters at shutdown agree: 4 accepted, none rejected", async () => {
      abort.abort();
      expect(await poolExit).toBe(0);
      const stopped = logs.find((l) => l.msg === 'pool stopped');
      expect(stopped?.['stats']).toMatchObject({ sharesAccepted: 4, sharesRejected: {} });
    });
  },
);
