/**
 * Local-pool benchmarks: `pool_share_check_us`, one server-side share check (header rebuild,
 * sha256d, target + nbits comparison) on the SRI "valid share" vector, and
 * `pool_share_ack_p50_ms` / `pool_share_ack_p99_ms`, submit -> SubmitShares.Success over loopback
 * Noise against startLocalPool (batch size 1), 200 shares found by CPU against an easy target.
 */
import { once } from 'node:events';
import { createConnection } from 'node:net';
import { HeaderHasher } from '../src/bitcoin/header.js';
import { leBytesToBigInt } from '../src/bitcoin/target.js';
import { hexToBytes } from '../src/bytes/hex.js';
import { checkShare } from '../src/channels/server/share-validator.js';
import { connectNoise } from '../src/noise/noise-socket.js';
import { parsePoolUrl } from '../src/noise/pool-url.js';
import { startLocalPool } from '../src/pool-server/local-pool.js';
import { decodeFrame, encodeMessage } from '../src/sv2/codec.js';
import type { AnyMessage } from '../src/sv2/messages/registry.js';
import { type BenchLine, opsPerSecond, percentile } from './lib.js';

const WORK = {
  version: 0x20000000,
  prevHash: hexToBytes('c835fd81d61f2b54b33a3a4c80d518352690cd58ac14fb16d98d15dd15000000'),
  merkleRoot: hexToBytes('bdc819f67749222ad170ed32a947a3c0185438569347f32c126ba7a9a942ba62'),
  nbits: 453040064,
  minNtime: 1745596932,
  maxNtime: 1745596932,
  versionMask: 0x1fffe000,
  target: 0xffffn << 208n,
};

export async function run(): Promise<BenchLine[]> {
  const checks = opsPerSecond(() => {
    checkShare({ nonce: 244405, ntime: 1745596932, version: 0x20000000 }, WORK);
  });
  const latencies = await ackLatencies(200);
  return [
    { name: 'pool_share_check_us', value: 1e6 / checks, unit: 'us' },
    { name: 'pool_share_ack_p50_ms', value: percentile(latencies, 50), unit: 'ms' },
    { name: 'pool_share_ack_p99_ms', value: percentile(latencies, 99), unit: 'ms' },
  ];
}

async function ackLatencies(count: number): Promise<number[]> {
  const pool = await startLocalPool({
    initialDifficulty: 2 ** -24,
    jobIntervalMs: 0,
    blockIntervalMs: 0,
    vardiffIntervalMs: 0,
  });
  try {
    const u = parsePoolUrl(pool.url);
    const socket = createConnection({ host: u.host, port: u.port });
    await once(socket, 'connect');
    const noise = await connectNoise(socket, { authorityKey: u.authorityKey, insecure: false });
    const it = noise[Symbol.asyncIterator]();
    const next = async (): Promise<AnyMessage> => {
      for (;;) {
        const r = await it.next();
        if (r.done === true) throw new Error('pool closed the connection');
        const d = decodeFrame(r.value);
        if (d.kind === 'message') return d.message;
      }
    };
    noise.send(
      encodeMessage('SetupConnection', {
        protocol: 0,
        min_version: 2,
        max_version: 2,
        flags: 0x5,
        endpoint_host: u.host,
        endpoint_port: u.port,
        vendor: 'bench',
        hardware_version: '',
        firmware: '',
        device_id: '',
      }),
    );
    await next();
    noise.send(
      encodeMessage('OpenStandardMiningChannel', {
        request_id: 1,
        user_identity: 'bench',
        nominal_hash_rate: 1e6,
        max_target: new Uint8Array(32).fill(0xff),
      }),
    );
    const open = await next();
    const job = await next();
    const prev = await next();
    if (
      open.name !== 'OpenStandardMiningChannel.Success' ||
      job.name !== 'NewMiningJob' ||
      prev.name !== 'SetNewPrevHash'
    )
      throw new Error('unexpected channel opening sequence');
    const target = leBytesToBigInt(open.fields.target);
    const hasher = new HeaderHasher();
    const template = {
      prevHash: prev.fields.prev_hash,
      merkleRoot: job.fields.merkle_root,
      ntime: prev.fields.min_ntime,
      nbits: prev.fields.nbits,
    };
    const out: number[] = [];
    let nonce = 0;
    for (let seq = 0; seq < count; seq++) {
      while (leBytesToBigInt(hasher.hash(template, job.fields.version, nonce)) > target) nonce++;
      const t = performance.now();
      noise.send(
        encodeMessage('SubmitSharesStandard', {
          channel_id: open.fields.channel_id,
          sequence_number: seq,
          job_id: job.fields.job_id,
          nonce,
          ntime: template.ntime,
          version: job.fields.version,
        }),
      );
      const ack = await next();
      out.push(performance.now() - t);
      if (ack.name !== 'SubmitShares.Success') throw new Error(`share ${seq}: ${ack.name}`);
      nonce++;
    }
    noise.close();
    return out;
  } finally {
    await pool.close();
  }
}
