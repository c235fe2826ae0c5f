import { afterEach, describe, expect, it } from 'vitest';
import { boardById } from '../../boards/registry.js';
import { composeMiner } from '../../src/roles/miner/compose.js';
import type { Miner } from '../../src/roles/miner/miner.js';
import { simConfig, stopMiner } from '../helpers/sim-rig.js';
import { until } from '../helpers/wait.js';

let miner: Miner | undefined;
afterEach(async () => {
  await stopMiner(miner);
  miner = undefined;
});

describe('demo composition: embedded local pool + simulated board', () => {
  it('mines on sim-bm1370-1 and the local pool accepts shares within seconds', async () => {
    // A share target easier than the chip's (every nonce a share), so two arrive in about a second.
    const config = simConfig({
      board: 'sim-bm1370-1',
      sharesPerMinute: 600,
      stateDir: '/tmp/sv2miner-test-state-e2e',
    });
    miner = composeMiner({ config, board: boardById('sim-bm1370-1') });
    await miner.start();
    await miner.ready;
    const pool = miner.localPool;
    expect(pool).toBeDefined();
    // The pool counts a share when it validates it; the miner when the (batched) Success comes
    // back: wait for both sides of the acknowledgement.
    expect(
      await until(
        () =>
          (pool?.stats().sharesAccepted ?? 0) >= 2 &&
          miner !== undefined &&
          miner.snapshot().shares.accepted >= 2,
        15_000,
      ),
    ).toBe(true);
    const s = miner.snapshot();
    expect(s.chains[0]?.state).toBe('mining');
    expect(s.shares.accepted).toBeGreaterThanOrEqual(2);
    expect(s.shares.rejected).toBe(0);
    expect(s.pools[0]?.state).toBe('mining');
    expect(s.nonces).toBeGreaterThan(0);
    expect(s.hardwareErrors).toBe(0);
    expect(pool?.stats().sharesRejected).toEqual({});
  }, 30_000);
});
