import { describe, expect, it } from 'vitest';
import { writeSimConfigDir } from '../helpers/sim-rig.js';
import { runDaemon, sriPoolFixture } from './helpers/sri-client.js';
import { sriPeer } from './helpers/sri-peer.js';

const peer = sriPeer();

const SECRET = '2d'.repeat(32);
const RUN_SECONDS = 20;

describe.skipIf(peer.bin === '')('sv2miner run (sim board) mining into the SRI pool', () => {
  // A fixed easy share target so the simulated board's nonces are shares within seconds; without
  // it SRI derives about 0.001 from our nominal rate and a 20 s run sees ~1 share.
  const fixture = sriPoolFixture(peer.bin, ['--authority-secret', SECRET, '--share-difficulty', '1e-7']);

  it(`mines for ${RUN_SECONDS} s; every submitted share has SRI's verdict and the summary agrees`, async () => {
    const pool = fixture.pool;
    const configDir = writeSimConfigDir('sv2miner-interop-', {
      board: 'sim-bm1370-1',
      pools: [{ url: pool.url, user: 'sv2miner-daemon.interop' }],
      sharesPerMinute: 6,
    });
    const { code, summary, context } = await runDaemon(configDir, RUN_SECONDS, pool.proc);
    expect(code, context).toBe(0);
    expect(summary['pool']).toBe(`${pool.host}:${pool.port}`);

    const setup = await pool.proc.waitFor((l) => l.event === 'setup');
    expect(setup['flags']).toBe(5);
    const opened = await pool.proc.waitFor((l) => l.event === 'channel_opened');
    expect(opened['user']).toBe('sv2miner-daemon.interop');
    const shares = pool.proc.events('share');
    const accepted = shares.filter((s) => s['verdict'] === 'accepted').length;
    const rejected = shares.filter((s) => s['verdict'] === 'rejected');
    // Every share the daemon counted as accepted/rejected is one SRI accepted/rejected.
    expect(summary['shares_accepted']).toBe(accepted);
    expect(summary['shares_rejected']).toBe(rejected.length);
    expect(rejected, JSON.stringify(rejected)).toEqual([]);
    expect(accepted).toBeGreaterThan(3);
  });
});
