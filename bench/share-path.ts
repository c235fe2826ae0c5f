/**
 * Share path benchmarks (brief F): client.submit(share) until the encrypted SubmitSharesStandard is
 * handed to socket.write (measured by wrapping the socket's write), and the round trip
 * submit -> SubmitShares.Success against the local pool on loopback with batch size 1 (measured by
 * the client itself, status().lastShareRoundTripMs). Pool and client share one process.
 */
import type { Socket } from 'node:net';
import { MAX_TARGET } from '../src/bitcoin/target.js';
import { type SocketFactory, tcpSocketFactory } from '../src/connection/dial.js';
import { startLocalPool } from '../src/pool-server/local-pool.js';
import { PoolClient } from '../src/upstream/client.js';
import type { Job, Share } from '../src/work/job.js';
import type { BenchLine } from './lib.js';
import { percentile } from './lib.js';

const SUBMIT_SAMPLES = 5000;
const ROUNDTRIP_SAMPLES = 500;

export async function run(): Promise<BenchLine[]> {
  const pool = await startLocalPool({
    initialTarget: MAX_TARGET,
    // The bench submits 5000 shares in well under a second: lift the pool's flood bound as the
    // client's is lifted below.
    maxMessagesPerSecond: 1_000_000,
    vardiffIntervalMs: 0,
    jobIntervalMs: 0,
    blockIntervalMs: 0,
    shareBatchSize: 1,
  });
  let lastWriteAt = 0;
  const timedSockets: SocketFactory = async (endpoint, timeoutMs) => {
    const socket: Socket = await tcpSocketFactory(endpoint, timeoutMs);
    const write = socket.write.bind(socket) as (chunk: Uint8Array) => boolean;
    socket.write = ((chunk: Uint8Array) => {
      lastWriteAt = performance.now();
      return write(chunk);
    }) as Socket['write'];
    return socket;
  };
  const client = new PoolClient({
    pools: [{ url: pool.url, user: 'bench.rig' }],
    nominalHashrate: 1e12,
    socketFactory: timedSockets,
    // 5000 acks arrive within a second here; the default flood guard (5000 msg/s) would drop the
    // connection mid-measurement. A device never sees that rate; the bench measures the path.
    maxMessagesPerSecond: 1_000_000,
  });
  let job: Job | undefined;
  client.onJob((j) => {
    job = j;
  });
  client.start();
  try {
    while (job === undefined) await tick();
    const active: Job = job;
    let nonce = 0;
    const share = (): Share => ({
      pool: active.pool,
      channelId: active.channelId,
      jobId: active.jobId,
      nonce: nonce++,
      ntime: active.ntime,
      version: active.version,
      difficulty: 1,
      foundAt: performance.now(),
    });

    const submitUs: number[] = [];
    for (let i = 0; i < SUBMIT_SAMPLES; i++) {
      const t0 = performance.now();
      const outcome = client.submit(share());
      if (outcome.kind !== 'submitted')
        throw new Error(`bench: share not submitted: ${JSON.stringify(outcome)}`);
      submitUs.push((lastWriteAt - t0) * 1000);
      // Let acks drain every so often so the ledger and socket buffers stay in a steady state.
      if (i % 50 === 49) await tick();
    }
    await waitAccepted(client, SUBMIT_SAMPLES);

    const roundTripMs: number[] = [];
    for (let i = 0; i < ROUNDTRIP_SAMPLES; i++) {
      const before = accepted(client);
      const outcome = client.submit(share());
      if (outcome.kind !== 'submitted')
        throw new Error(`bench: share not submitted: ${JSON.stringify(outcome)}`);
      const deadline = performance.now() + 5_000;
      while (accepted(client) === before) {
        if (performance.now() > deadline) throw new Error('bench: no SubmitShares.Success within 5 s');
        await tick();
      }
      const rt = client.status().pools[0]?.lastShareRoundTripMs;
      if (rt !== undefined) roundTripMs.push(rt);
    }
    return [
      { name: 'share_submit_p50_us', value: percentile(submitUs, 50), unit: 'us' },
      { name: 'share_submit_p99_us', value: percentile(submitUs, 99), unit: 'us' },
      { name: 'share_roundtrip_p50_ms', value: percentile(roundTripMs, 50), unit: 'ms' },
      { name: 'share_roundtrip_p99_ms', value: percentile(roundTripMs, 99), unit: 'ms' },
    ];
  } finally {
    await client.close();
    await pool.close();
  }
}

function tick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function accepted(client: PoolClient): number {
  return client.status().pools[0]?.counters.accepted ?? 0;
}

/** Waits until every submitted share is settled (accepted, rejected, or dropped from a full ledger). */
async function waitAccepted(client: PoolClient, n: number): Promise<void> {
  const deadline = performance.now() + 30_000;
  const settled = (): number => {
    const c = client.status().pools[0]?.counters;
    return c === undefined ? 0 : c.accepted + c.rejected + c.unacknowledged;
  };
  while (settled() < n) {
    if (performance.now() > deadline)
      throw new Error(
        `bench: only ${accepted(client)} of ${n} shares acked: ${JSON.stringify(client.status().pools[0]?.counters)}`,
      );
    await tick();
  }
}
