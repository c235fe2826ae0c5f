import { afterEach, describe, expect, it } from 'vitest';
import { boardById } from '../../boards/registry.js';
import { SimBinding } from '../../drivers/sim/sim-binding.js';
import { validateConfig } from '../../src/config/schema.js';
import { Miner } from '../../src/daemon/miner.js';

function demoConfig(board: string, sharesPerMinute = 60) {
  const result = validateConfig({
    board,
    pools: [],
    chipDifficulty: 256,
    api: { host: '127.0.0.1', port: 0, cgminerPort: 0 },
    thermal: { throttleC: 70, shutdownC: 80, hysteresisC: 5, maxBadReadings: 3 },
    logLevel: 'silent',
    localPool: { host: '127.0.0.1', port: 0, sharesPerMinute },
    stateDir: '/tmp/sv2miner-test-state-e2e',
  });
  if (!result.ok) throw result.errors[0];
  return result.config;
}

async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!cond() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  return cond();
}

let miner: Miner | undefined;
afterEach(async () => {
  await miner?.stop();
  miner = undefined;
  SimBinding.reset();
});

describe('demo composition: embedded local pool + simulated board', () => {
  it('mines on sim-bm1370-1 and the local pool accepts shares within seconds', async () => {
    miner = new Miner({ config: demoConfig('sim-bm1370-1'), board: boardById('sim-bm1370-1') });
    await miner.start();
    await miner.ready;
    const pool = miner.localPool;
    expect(pool).toBeDefined();
    expect(await until(() => (pool?.stats().sharesAccepted ?? 0) >= 2, 15_000)).toBe(true);
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
