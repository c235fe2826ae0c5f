/**
 * Junk on a chain's UART, counted by the BM13xx reply parser, reaches every monitoring surface:
 * a real simulated rig whose host UART is moved off the chips' rate hears line noise, and the
 * skipped bytes show in /api/system/info, /metrics and cgminer devs/stats for that chain.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cgminer } from './helpers/api.js';
import { type RealRig, startRealRig, until } from './helpers/real-rig.js';

let rig: RealRig;

beforeAll(async () => {
  rig = await startRealRig();
}, 60_000);
afterAll(() => rig?.close());

describe('UART junk bytes per chain', () => {
  it('are served in /api/system/info, /metrics and cgminer devs and stats', async () => {
    const sim = rig.miner.currentRig?.chains[0]?.io.sim;
    if (sim === undefined) throw new Error('simulated chain missing');
    const junk = () => rig.miner.snapshot().chains[0]?.uartJunkBytes ?? 0;
    expect(junk()).toBe(0);
    // A host UART at a rate the chips do not run at hears every reply as noise (bm13xx.md §2.4).
    sim.setHostBaud(9600);
    expect(await until(() => junk() > 0, 20_000)).toBe(true);
    sim.setHostBaud('follow');
    const low = junk();

    const info = (await (await fetch(`${rig.base}/api/system/info`)).json()) as {
      hashrateMonitor: { chains: { chain: number; uartJunkBytes: number }[] };
    };
    const served = info.hashrateMonitor.chains[0]?.uartJunkBytes ?? 0;
    expect(served).toBeGreaterThanOrEqual(low);

    const metrics = await (await fetch(`${rig.base}/metrics`)).text();
    const line = /^sv2miner_uart_junk_bytes_total\{chain="0"\} (\d+)$/m.exec(metrics);
    expect(Number(line?.[1])).toBeGreaterThanOrEqual(served);

    const devs = (await cgminer(rig.cgminerPort, '{"command":"devs"}'))['DEVS'] as Record<string, number>[];
    expect(devs[0]?.['UART Junk Bytes']).toBeGreaterThanOrEqual(served);
    const stats = (await cgminer(rig.cgminerPort, '{"command":"stats"}'))['STATS'] as Record<
      string,
      number
    >[];
    expect(stats[1]?.['chain_uart_junk1']).toBeGreaterThanOrEqual(served);
  }, 40_000);
});
