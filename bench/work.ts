/**
 * Work-pipeline benchmarks: `sha256d_cpu_us`, one bare double SHA-256 of an 80-byte header
 * (@noble/hashes), and `nonce_cpu_us`, one NonceResult through share-check plus the submit
 * decision (header rebuild on the reused buffer, sha256d, chip/pool/block comparisons).
 * Inputs are the SRI "valid share" vector, so the share path is the one measured.
 * `extended_work_item_us`: one work item of an extended job, the merkle root for the next miner
 * extranonce (coinbase assembled, sha256d, folded up a 12-level path: a block of ~4000
 * transactions), which the dispatcher computes once per work item.
 */
import type { ChipWork, NonceResult } from '../drivers/types.js';
import { HeaderHasher } from '../src/bitcoin/header.js';
import { sha256d } from '../src/bitcoin/sha256d.js';
import { ticketTarget } from '../src/bitcoin/target.js';
import { hexToBytes } from '../src/bytes/hex.js';
import { merkleRootFor } from '../src/work/extranonce.js';
import type { Job, Share } from '../src/work/job.js';
import { checkNonce } from '../src/work/share-check.js';
import { type BenchLine, opsPerSecond } from './lib.js';

const HEADER = hexToBytes(
  '00000020c835fd81d61f2b54b33a3a4c80d518352690cd58ac14fb16d98d15dd15000000bdc819f67749222ad170ed32a947a3c0185438569347f32c126ba7a9a942ba6204b20b68c0d7001bb5ba0300',
);

export async function run(): Promise<BenchLine[]> {
  const sha = opsPerSecond(() => {
    sha256d(HEADER);
  });

  const work: ChipWork = {
    version: 0x20000000,
    versionMask: 0x1fffe000,
    prevHash: HEADER.slice(4, 36),
    merkleRoot: HEADER.slice(36, 68),
    ntime: 1745596932,
    nbits: 453040064,
    workId: 1,
  };
  const job: Job = {
    ...work,
    pool: 'bench',
    channelId: 1,
    jobId: 1,
    maxNtime: work.ntime + 60,
    target: 0xffffn << 224n,
    clean: true,
  };
  const result: NonceResult = {
    chain: 0,
    work,
    nonce: 244405,
    version: work.version,
    chipIndex: 0,
    coreId: 0,
    receivedAt: 0,
  };
  const chipTarget = ticketTarget(1, 16);
  const hasher = new HeaderHasher();
  const submitted: Share[] = [];
  const nonce = opsPerSecond(() => {
    const verdict = checkNonce(result, job, chipTarget, hasher);
    if (verdict.kind === 'share') submitted[0] = verdict.share;
  });
  if (submitted.length === 0) throw new Error('bench input no longer yields a share');

  // A coinbase of typical size split around 4 pool + 4 miner extranonce bytes.
  const template = {
    coinbasePrefix: new Uint8Array(42).fill(1),
    coinbaseSuffix: new Uint8Array(160).fill(2),
    merklePath: Array.from({ length: 12 }, (_, i) => new Uint8Array(32).fill(i)),
    extranoncePrefix: Uint8Array.of(0, 0, 0, 1),
    extranonceSize: 4,
  };
  let extranonce = 0;
  const extended = opsPerSecond(() => {
    merkleRootFor(template, Uint8Array.of(0, 0, (extranonce >> 8) & 0xff, extranonce++ & 0xff));
  });

  return [
    { name: 'sha256d_cpu_us', value: 1e6 / sha, unit: 'us' },
    { name: 'extended_work_item_us', value: 1e6 / extended, unit: 'us' },
    { name: 'nonce_cpu_us', value: 1e6 / nonce, unit: 'us' },
  ];
}
