/**
 * Issue 7's browser test against a REAL running simulated rig (helpers/real-rig.ts): the dashboard
 * loads in headless Chromium (playwright-core, system /usr/bin/chromium), the hashrate chart draws
 * a line from the rig's sampled statistics, the shares figure is the rig's, and a frequency change
 * made through the form reaches the chain and survives a reload. Skipped, loudly, without Chromium.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../helpers/wait.js';
import { chromiumAvailable, type HeadlessChromium, launchChromium } from './helpers/chromium.js';
import { type RealRig, startRealRig } from './helpers/real-rig.js';

// Browser-side code is passed as strings: the project compiles without the DOM lib. Counts canvas
// pixels in the total-line colour (#f7931a) and how many of them sit clearly above the zero line
// (app.js pads the plot 22 px at the bottom): a rig whose figures were lost draws only a flat zero.
const PIXEL_COUNT = `(() => {
  const canvas = document.getElementById('chart');
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  const zeroY = canvas.height - 22;
  let total = 0;
  let raised = 0;
  for (let i = 0; i < data.length; i += 4) {
    const r = data[i], g = data[i + 1], b = data[i + 2];
    if (r > 200 && g > 110 && g < 180 && b < 80) {
      total++;
      if (Math.floor(i / 4 / canvas.width) < zeroY - 10) raised++;
    }
  }
  return { total, raised };
})()`;

const haveChromium = chromiumAvailable('rig-dashboard.browser.test.ts');

interface Statistics {
  labels: string[];
  statistics: number[][];
}

describe.skipIf(!haveChromium)('dashboard in a real browser against a running simulated rig', () => {
  let rig: RealRig;
  let browser: HeadlessChromium;

  beforeAll(async () => {
    rig = await startRealRig({ statsIntervalMs: 500 });
    browser = await launchChromium();
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await rig?.close();
  });

  /** The rig's own statistics, as the page will fetch them. */
  async function statistics(): Promise<Statistics> {
    const res = await fetch(`${rig.base}/api/system/statistics`);
    return (await res.json()) as Statistics;
  }

  it('loads, charts the live hashrate, shows the rig shares, and round-trips a frequency change', async () => {
    // At least two sampled points with a non-zero hashrate before the page asks for them.
    let stats: Statistics = { labels: [], statistics: [] };
    const deadline = Date.now() + 20_000;
    for (;;) {
      stats = await statistics();
      const h = stats.labels.indexOf('hashrate');
      if (stats.statistics.filter((r) => (r[h] ?? 0) > 0).length >= 2 || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const h = stats.labels.indexOf('hashrate');
    expect(stats.statistics.filter((r) => (r[h] ?? 0) > 0).length).toBeGreaterThanOrEqual(2);

    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const acceptedBefore = rig.miner.snapshot().shares.accepted;
    await page.goto(rig.base, { waitUntil: 'load' });
    expect(await page.title()).toContain('AxeOS');
    await page.waitForSelector('body[data-ready="true"]', { timeout: 15_000 });
    // Read at once: the page refreshes its tiles every 5 s.
    const sharesText = (await page.textContent('#shares')) ?? '';
    const acceptedAfter = rig.miner.snapshot().shares.accepted;

    // The chart: as many rows as the history held, drawn as a line above the zero axis.
    expect(Number(await page.getAttribute('body', 'data-chart-rows'))).toBeGreaterThanOrEqual(2);
    const drawn = (await page.evaluate(PIXEL_COUNT)) as { total: number; raised: number };
    expect(drawn.total).toBeGreaterThan(100);
    expect(drawn.raised).toBeGreaterThan(20);

    // Tiles: the rig's own accepted count at load time, its board and its (simulated) hashrate.
    const shares = /^(\d+) \/ (\d+)$/.exec(sharesText);
    const shown = Number(shares?.[1]);
    expect(shown).toBeGreaterThanOrEqual(1);
    expect(shown).toBeGreaterThanOrEqual(acceptedBefore);
    expect(shown).toBeLessThanOrEqual(acceptedAfter);
    expect(shares?.[2]).toBe('0');
    expect(await page.textContent('#board')).toMatch(/^BM1370 ×1 · sim-bm1370-1 · /);
    expect(await page.textContent('#hashrate')).toMatch(/^0\.\d\d GH\/s$/);
    expect(await page.locator('#chips tbody tr').count()).toBe(1);
    expect(await page.inputValue('#frequency')).toBe('525');

    // Settings through the form, with the token: the chain runs at 490 MHz afterwards. The form
    // also sends the pool user it shows; an unchanged pool must not make the rig reconnect.
    const connections = rig.miner.localPool?.stats().connectionsTotal;
    expect(connections).toBe(1);
    await page.fill('#token', rig.token);
    await page.fill('#frequency', '490');
    await page.click('button[type="submit"]');
    await page.waitForFunction("document.getElementById('result').textContent === 'saved'", null, {
      timeout: 15_000,
    });
    const s = rig.miner.snapshot();
    expect(s.frequencyMhz).toBe(490);
    expect(s.chains[0]?.frequencyMhz).toBe(490);
    expect(s.chains[0]?.state).toBe('mining');
    expect(rig.miner.localPool?.stats().connectionsTotal).toBe(connections);
    const local = JSON.parse(readFileSync(join(rig.configDir, 'local.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(local['frequencyMhz']).toBe(490);
    // The embedded pool lives only as long as the process: its URL must not be persisted.
    expect(local['pools'] ?? []).toEqual([]);

    // After a reload the page reads 490 back from the rig.
    await page.reload({ waitUntil: 'load' });
    await page.waitForSelector('body[data-ready="true"]', { timeout: 15_000 });
    expect(await page.inputValue('#frequency')).toBe('490');
    expect(await page.textContent('#chains tbody tr td:nth-child(3)')).toBe('490');

    // And the rig still mines on its pool after the change.
    const nonces = rig.miner.snapshot().nonces;
    expect(await until(() => rig.miner.snapshot().nonces > nonces, 10_000)).toBe(true);
    expect(rig.miner.snapshot().shares.rejected).toBe(0);
    expect(errors).toEqual([]);
  }, 90_000);
});
