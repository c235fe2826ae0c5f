/**
 * The campaign's hostile pool (bench/soak/hostile-pool.ts) seen by a real Noise client: it passes
 * the certificate check with the slot's authority key, answers SetupConnection and opens the
 * channel like a pool, and then does exactly its one bad thing.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type HostileClass, type HostilePool, startHostilePool } from '../../../bench/soak/hostile-pool.js';
import { seededRandom } from '../../../drivers/sim/faults.js';
import { encodeAuthorityPublicKey } from '../../../src/noise/authority-key.js';
import { randomSecret, xonlyPublicKey } from '../../../src/noise/ellswift.js';
import { TestMiner } from '../../pool-server/miner.js';

const open: { pool: HostilePool; miner?: TestMiner }[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) {
    o.miner?.noise.close();
    await o.pool.close();
  }
});

async function connected(behaviour: HostileClass) {
  const authoritySecret = randomSecret();
  const pool = await startHostilePool({
    port: 0,
    authoritySecret,
    staticSecret: randomSecret(),
    behaviour,
    random: seededRandom(1),
  });
  const entry: { pool: HostilePool; miner?: TestMiner } = { pool };
  open.push(entry);
  const key = encodeAuthorityPublicKey(xonlyPublicKey(authoritySecret));
  const miner = await TestMiner.connect(`stratum2+tcp://127.0.0.1:${pool.port}/${key}`);
  entry.miner = miner;
  await miner.setup();
  miner.send('OpenStandardMiningChannel', {
    request_id: 7,
    user_identity: 'soak',
    nominal_hash_rate: 1e6,
    max_target: new Uint8Array(32).fill(0xff),
  });
  const success = await miner.expect('OpenStandardMiningChannel.Success');
  expect(success.request_id).toBe(7);
  return { pool, miner, channelId: success.channel_id };
}

describe('hostile pool', () => {
  it('reconnect-self: Reconnect to its own host and port right after the channel opens', async () => {
    const { pool, miner } = await connected('reconnect-self');
    expect(await miner.expect('Reconnect')).toEqual({ new_host: '127.0.0.1', new_port: pool.port });
    expect(pool.connections()).toBe(1);
  });

  it('unknown-channel: jobs and prev hashes only for channels that were never opened', async () => {
    const { miner, channelId } = await connected('unknown-channel');
    const job = await miner.expect('NewMiningJob');
    const prev = await miner.expect('SetNewPrevHash');
    expect(job.channel_id).not.toBe(channelId);
    expect(prev).toMatchObject({ channel_id: job.channel_id, job_id: job.job_id });
  });

  it('unknown-job: prev hashes on the open channel for jobs never sent', async () => {
    const { miner, channelId } = await connected('unknown-job');
    const prev = await miner.expect('SetNewPrevHash', 5_000);
    expect(prev.channel_id).toBe(channelId);
    expect(prev.job_id).toBeGreaterThan(1000);
  });

  it('garbage: bytes after the handshake end the connection with a MAC failure', async () => {
    const { miner } = await connected('garbage');
    await expect(miner.next()).rejects.toThrow('connection ended');
    expect((await miner.noise.closed)?.message).toMatch(/MAC/);
  });
});
