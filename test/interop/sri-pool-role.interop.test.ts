/**
 * Interop (issue 11, last part): sv2miner's client on an EXTENDED channel against SRI's pool
 * application itself (pool_sv2 0.7.0, installed by global-setup), fed by our Template Provider
 * (helpers/template-provider.ts: Noise responder, Template Distribution Protocol). pool_sv2 builds
 * the extended job from our NewTemplate + SetNewPrevHash, validates our SubmitSharesExtended with
 * channels_sv2, answers SubmitShares.Success / .Error, and sends a share that meets the block's
 * nbits back to the TP as SubmitSolution, whose coinbase must be the one our merkle root hashed.
 * nbits 0x1f00ffff (one block in ~65 000 hashes) keeps normal shares and block solutions apart.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../bench/free-port.js';
import { bip34HeightScript, blockSubsidy } from '../../src/bitcoin/coinbase.js';
import { HeaderHasher } from '../../src/bitcoin/header.js';
import { hashMeetsTarget, nbitsToTarget } from '../../src/bitcoin/target.js';
import { hasWitness, parseTransaction, txid } from '../../src/bitcoin/transaction.js';
import { bytesToHex } from '../../src/bytes/hex.js';
import { encodeAuthorityPublicKey, encodeAuthoritySecretKey } from '../../src/noise/authority-key.js';
import { randomSecret, xonlyPublicKey } from '../../src/noise/ellswift.js';
import type { SubmitSolution } from '../../src/sv2/messages/registry.js';
import { merkleRootFor } from '../../src/work/extranonce.js';
import type { ExtendedJob } from '../../src/work/job.js';
import { writeSimConfigDir } from '../helpers/sim-rig.js';
import { type Found, search, shareOf, until } from './helpers/cpu-search.js';
import { extranonce, ROLLED_BIT, runDaemon, runSession } from './helpers/sri-client.js';
import { PeerProcess } from './helpers/sri-peer.js';
import { startTemplateProvider, type TemplateProvider } from './helpers/template-provider.js';

const poolSv2 = inject('poolSv2') ?? {
  bin: '',
  skipReason: 'interop suites run only under vitest.interop.config.ts (npm run test:interop)',
};
if (poolSv2.bin === '') console.warn(`\n!!! SKIPPING SRI pool_sv2 interop: ${poolSv2.skipReason} !!!\n`);

const NBITS = 0x1f00ffff;
const HEIGHT = 1000;
/** pool_sv2 pays the block reward to this script (a P2WPKH of a fixed pattern). */
const PAYOUT_SCRIPT = `0014${'5a'.repeat(20)}`;
/**
 * The channel target pool_sv2 derives from nominal_hash_rate and shares_per_minute (6): about
 * 10 000 hashes per share, a few milliseconds of CPU search each.
 */
const NOMINAL_HASHRATE = 1000;

interface RunningPool {
  readonly proc: PeerProcess;
  readonly url: string;
  readonly authority: string;
}

/** Polls (50 ms apart, bounded) until something holds `port`: pool_sv2 binds before it accepts. */
async function waitUntilBound(port: number, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const taken = await new Promise<boolean>((resolve) => {
      const probe = createServer();
      probe.once('error', () => resolve(true));
      probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(false)));
    });
    if (taken) return;
    if (performance.now() > deadline)
      throw new Error(`pool_sv2 did not bind 127.0.0.1:${port} in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * pool_sv2 with a TOML written here: loopback only, no monitoring server, one ack per share.
 * `tpKey` is the authority key pool_sv2 checks the TP's certificate against (default: the TP's).
 */
async function spawnPoolSv2(
  tp: TemplateProvider,
  sharesPerMinute: number,
  tpKey = tp.authorityPublicKey,
): Promise<{ readonly proc: PeerProcess; readonly port: number; readonly authority: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'sv2miner-pool-sv2-'));
  const port = await freePort();
  const secret = randomSecret();
  const authority = encodeAuthorityPublicKey(xonlyPublicKey(secret));
  const toml = [
    `listen_address = "127.0.0.1:${port}"`,
    `authority_public_key = "${authority}"`,
    `authority_secret_key = "${encodeAuthoritySecretKey(secret)}"`,
    'cert_validity_sec = 3600',
    `coinbase_reward_script = "raw(${PAYOUT_SCRIPT})"`,
    'server_id = 1',
    'pool_signature = "sv2miner-interop"',
    `shares_per_minute = ${sharesPerMinute.toFixed(1)}`,
    // Every valid share acknowledged at once, so each gets its SubmitShares.Success.
    'share_batch_size = 1',
    '',
    '[template_provider_type.Sv2Tp]',
    `address = "${tp.host}:${tp.port}"`,
    `public_key = "${tpKey}"`,
    '',
  ].join('\n');
  const config = join(dir, 'pool.toml');
  writeFileSync(config, toml);
  return { proc: new PeerProcess(poolSv2.bin, ['-c', config]), port, authority };
}

async function startPoolSv2(tp: TemplateProvider, sharesPerMinute: number): Promise<RunningPool> {
  const { proc, port, authority } = await spawnPoolSv2(tp, sharesPerMinute);
  // pool_sv2 binds at once but accepts only after the TP's template and prev hash arrived.
  try {
    await tp.waitFor('CoinbaseOutputConstraints', 20_000);
    await waitUntilBound(port, 20_000);
  } catch (err) {
    await proc.stop();
    throw new Error(`${err instanceof Error ? err.message : String(err)}; pool_sv2 said:\n${proc.dump()}`);
  }
  return { proc, authority, url: `stratum2+tcp://127.0.0.1:${port}/${authority}` };
}

const POOL_ROLE = {
  user: 'sv2miner-interop.pool-role',
  channelKind: 'extended',
  nominalHashrate: NOMINAL_HASHRATE,
} as const;

describe.skipIf(poolSv2.bin === '')(
  'sv2miner client on an extended channel against SRI pool_sv2 (our TP)',
  () => {
    let tp: TemplateProvider;
    let pool: RunningPool;
    beforeAll(async () => {
      tp = await startTemplateProvider({ nbits: NBITS, height: HEIGHT });
      pool = await startPoolSv2(tp, 6);
    });
    afterAll(async () => {
      await pool?.proc.stop();
      await tp?.close();
    });

    it('pool_sv2 speaks TDP with our TP: SetupConnection protocol 2, then CoinbaseOutputConstraints', () => {
      const names = tp.received.map((r) => r.message.name);
      expect(names.slice(0, 2)).toEqual(['SetupConnection', 'CoinbaseOutputConstraints']);
      const setup = tp.received[0]?.message;
      expect(setup?.name === 'SetupConnection' && setup.fields).toMatchObject({
        protocol: 2,
        min_version: 2,
        max_version: 2,
      });
    });

    it('accepts our extended shares (normal and block-finding), rejects a bad one with difficulty-too-low, and sends the block to the TP', async () => {
      const { session, counters, jobs, ended } = runSession(pool, POOL_ROLE);
      const job = (await until(
        () => jobs.find((j) => j.extended !== undefined),
        20_000,
        'the first extended job',
      )) as ExtendedJob;
      const x = job.extended;
      // The job is our template under pool_sv2's coinbase: our prev hash, nbits, time and version.
      expect(bytesToHex(job.prevHash)).toBe(bytesToHex(tp.prevHash.prev_hash));
      expect(job.nbits).toBe(NBITS);
      expect(job.ntime).toBe(tp.prevHash.header_timestamp);
      expect(job.version).toBe(tp.template.version);
      expect(x.merklePath).toEqual([]);
      // The scriptSig (after version 4, input count 1, outpoint 36, script length 1) starts with our
      // BIP34 height push.
      const heightPush = bip34HeightScript(HEIGHT);
      expect(bytesToHex(x.coinbasePrefix.subarray(42, 42 + heightPush.length))).toBe(bytesToHex(heightPush));
      const networkTarget = nbitsToTarget(NBITS);
      expect(job.target > networkTarget).toBe(true);

      // Normal shares (meet the channel target, not the block's), one with a rolled version bit, then
      // one that also meets nbits, then one that misses the channel target.
      const size = x.extranonceSize;
      const normal: Found[] = [];
      for (let n = 0; normal.length < 3; n++) {
        const [f] = search(job, 1, {
          extranonce: extranonce(n, size),
          ...(normal.length === 2 ? { version: job.version | ROLLED_BIT } : {}),
        });
        if (f !== undefined && !hashMeetsTarget(f.hash, networkTarget)) normal.push(f);
      }
      const [block] = search({ ...job, target: networkTarget }, 1, { extranonce: extranonce(1000, size) });
      const [miss] = search(job, 1, { extranonce: extranonce(1001, size), good: false });
      if (block === undefined || miss === undefined) throw new Error('search found no shares');
      const sent = [...normal, block, miss];
      sent.forEach((f, i) => {
        expect(session.submit(shareOf(job, f))).toEqual({ kind: 'submitted', sequence: i });
      });
      await until(
        () => (counters.accepted + counters.rejected === sent.length ? true : undefined),
        20_000,
        'five verdicts',
      );
      expect(counters, pool.proc.dump()).toMatchObject({
        submitted: 5,
        accepted: 4,
        rejected: 1,
        stale: 0,
        ackMismatches: 0,
      });
      expect({ ...counters.rejectedByReason }).toEqual({ 'difficulty-too-low': 1 });

      // pool_sv2 hands the block to our TP: the coinbase is the one whose txid is our merkle root.
      const solution = (await tp.waitFor('SubmitSolution', 10_000)).message;
      if (solution.name !== 'SubmitSolution') throw new Error('not a SubmitSolution');
      const s: SubmitSolution = solution.fields;
      expect(tp.received.filter((r) => r.message.name === 'SubmitSolution')).toHaveLength(1);
      expect(s).toMatchObject({
        template_id: tp.template.template_id,
        version: block.version,
        header_timestamp: job.ntime,
        header_nonce: block.nonce,
      });
      const coinbase = parseTransaction(s.coinbase_tx);
      const root = merkleRootFor(x, block.extranonce as Uint8Array);
      expect(bytesToHex(txid(coinbase))).toBe(bytesToHex(root));
      // A segwit coinbase (the template carried a witness commitment): reward to the pool's script.
      expect(hasWitness(coinbase)).toBe(true);
      expect(coinbase.outputs.map((o) => [o.value, bytesToHex(o.scriptPubKey)])).toContainEqual([
        blockSubsidy(HEIGHT),
        PAYOUT_SCRIPT,
      ]);
      // Our template's witness-commitment output (value 8 bytes, script length 1, script) is kept.
      expect(coinbase.outputs.map((o) => [o.value, bytesToHex(o.scriptPubKey)])).toContainEqual([
        0n,
        bytesToHex(tp.template.coinbase_tx_outputs.subarray(9)),
      ]);
      // And the header it completes hashes to the block hash we found.
      const hash = new HeaderHasher().hash(
        { prevHash: job.prevHash, merkleRoot: txid(coinbase), ntime: s.header_timestamp, nbits: NBITS },
        s.version,
        s.header_nonce,
      );
      expect(bytesToHex(hash)).toBe(bytesToHex(block.hash));
      expect(hashMeetsTarget(hash, networkTarget)).toBe(true);

      session.close('interop test done');
      expect((await ended).kind).toBe('closed');
    });
  },
);

describe.skipIf(poolSv2.bin === '')('pool_sv2 against a TP whose certificate another key signed', () => {
  it('refuses the TP after its three connection attempts and exits; our TP never gets a SetupConnection', async () => {
    const tp = await startTemplateProvider({ nbits: NBITS, height: HEIGHT });
    try {
      const stranger = encodeAuthorityPublicKey(xonlyPublicKey(randomSecret()));
      const { proc } = await spawnPoolSv2(tp, 6, stranger);
      let timer: NodeJS.Timeout | undefined;
      const code = await Promise.race([
        proc.exited,
        new Promise<'running'>((r) => {
          timer = setTimeout(() => r('running'), 30_000);
        }),
      ]);
      clearTimeout(timer);
      if (code === 'running') await proc.stop();
      expect(code, proc.dump()).not.toBe('running');
      expect(proc.dump().match(/Noise handshake failed.*InvalidCertificate/g)).toHaveLength(3);
      expect(tp.received).toEqual([]);
    } finally {
      await tp.close();
    }
  });
});

describe.skipIf(poolSv2.bin === '')(
  'sv2miner run (sim board) mining into SRI pool_sv2 on an extended channel',
  () => {
    const RUN_SECONDS = 15;
    let tp: TemplateProvider;
    let pool: RunningPool;
    let configDir: string;
    beforeAll(async () => {
      // Difficulty-1 nbits: no block in the run. shares_per_minute 600 against the sim board's nominal
      // 250 kH/s gives a channel target of ~25 000 hashes, easier than the sim chips' relaxed
      // tickets, so every nonce they report is a share for pool_sv2.
      tp = await startTemplateProvider({ nbits: 0x1d00ffff, height: HEIGHT });
      pool = await startPoolSv2(tp, 600);
      configDir = writeSimConfigDir('sv2miner-interop-pool-sv2-', {
        board: 'sim-bm1370-1',
        pools: [{ url: pool.url, user: 'sv2miner-daemon.pool-role', channel: 'extended' }],
        sharesPerMinute: 6,
      });
    });
    afterAll(async () => {
      await pool?.proc.stop();
      await tp?.close();
    });

    it(`mines for ${RUN_SECONDS} s on pool_sv2's extended jobs and every share is accepted`, async () => {
      const { code, summary, context } = await runDaemon(configDir, RUN_SECONDS, pool.proc);
      expect(code, context).toBe(0);
      expect(Number(summary['shares_accepted']), context).toBeGreaterThan(3);
      expect(Number(summary['shares_rejected']), context).toBe(0);
      expect(tp.received.some((r) => r.message.name === 'SubmitSolution')).toBe(false);
      // pool_sv2's own log (share_batch_size 1: one SubmitSharesSuccess per valid share) agrees exactly;
      // its stdout may trail our summary by a pipe read.
      const successes = (): number =>
        pool.proc
          .dump()
          .split('\n')
          .filter((l) => /SubmitSharesExtended: SubmitSharesSuccess\(/.test(l)).length;
      const accepted = Number(summary['shares_accepted']);
      await until(() => (successes() >= accepted ? true : undefined), 5_000, 'pool_sv2 log lines').catch(
        () => {},
      );
      expect(successes(), context).toBe(accepted);
      const poolLog = pool.proc.dump().split('\n');
      expect(poolLog.filter((l) => l.includes('SubmitSharesError'))).toEqual([]);
    });
  },
);
