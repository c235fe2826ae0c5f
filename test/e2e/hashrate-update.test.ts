/**
 * UpdateChannel end to end (sv2.md §6.9): the daemon reports its measured rig hashrate to the pool
 * client on a schedule, the client's drift rule sends UpdateChannel, and the embedded local pool
 * answers with SetTarget for that hashrate, which the client's channel takes. Timing is shortened
 * (report every second, no debounce, any drift counts, vardiff off so only UpdateChannel retargets).
 */
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { boardById } from '../../boards/registry.js';
import { LogTap } from '../../src/app/log-tap.js';
import { targetToDifficulty } from '../../src/bitcoin/target.js';
import { hashrateToTarget } from '../../src/channels/server/vardiff.js';
import { composeMiner } from '../../src/roles/miner/compose.js';
import type { Miner } from '../../src/roles/miner/miner.js';
import { simConfig, stopMiner } from '../helpers/sim-rig.js';
import { until } from '../helpers/wait.js';

const SHARES_PER_MINUTE = 60;

let miner: Miner | undefined;
afterEach(async () => {
  await stopMiner(miner);
  miner = undefined;
});

describe('hashrate reports to the pool', () => {
  it('sends UpdateChannel with the measured rate early on and takes the pool SetTarget for it', async () => {
    const updates: number[] = [];
    const tap = new LogTap(() => {});
    tap.onLine((line) => {
      const l = JSON.parse(line) as { msg?: string; component?: string; hashrate?: number };
      if (l.msg === 'UpdateChannel' && l.component === 'pool' && l.hashrate !== undefined)
        updates.push(l.hashrate);
    });
    miner = composeMiner({
      config: simConfig({
        board: 'sim-bm1370-1',
        sharesPerMinute: SHARES_PER_MINUTE,
        logLevel: 'info',
        stateDir: '/tmp/sv2miner-test-state-e2e',
      }),
      board: boardById('sim-bm1370-1'),
      log: pino({ level: 'info' }, tap),
      hashrateReportMs: 1_000,
      hashrateUpdate: { drift: 0, minIntervalMs: 2_000 },
      localPool: { vardiffIntervalMs: 0 },
    });
    await miner.start();
    await miner.ready;
    const opened = miner.snapshot().pools[0]?.difficulty ?? 0;
    expect(opened).toBeGreaterThan(0);
    // 5 s of mining fill the first report window; the 10 min one would not be used for minutes.
    expect(await until(() => updates.length > 0, 15_000)).toBe(true);
    const first = updates[0] ?? 0;
    // A measured rate, not the nominal one the channel was opened with (the board's 0.25 MH/s).
    expect(first).toBeGreaterThan(0);
    expect(first).not.toBe(250_000);
    // The pool's answer: SetTarget for one of the announced rates (as the F32 it received).
    const forRate = (h: number) => targetToDifficulty(hashrateToTarget(Math.fround(h), SHARES_PER_MINUTE));
    expect(
      await until(() => {
        const d = miner?.snapshot().pools[0]?.difficulty;
        return d !== undefined && d !== opened && updates.some((h) => forRate(h) === d);
      }, 5_000),
    ).toBe(true);
  }, 40_000);
});
