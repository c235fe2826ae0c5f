/**
 * Issue 7's browser test against a REAL running simulated rig (helpers/real-rig.ts): the dashboard
 * loads in headless Chromium (playwright-core, system /usr/bin/chromium), the hashrate chart draws
 * a line from the rig's sampled statistics, the shares figure is the rig's, and a frequency change
 * made through the form reaches the chain and survives a reload. Skipped, loudly, without Chromium.
 */
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatDifficulty } from '../../src/api/web/format.js';
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

/** Where the screenshot goes, for a person to look at (the test only checks it was written). */
const SCREENSHOT = join(tmpdir(), 'sv2miner-dashboard-sim-rig.png');

/**
 * Issue 13: every figure on the simulated rig's page is scaled and rounded as a person reads it,
 * the chart axis in a unit that fits the rig, and the log as wrapped readable rows.
 */
async function expectReadableFigures(page: Page): Promise<void> {
  const text = async (selector: string) => ((await page.textContent(selector)) ?? '').trim();
  const apiInfo = async () =>
    (await (await page.request.get(new URL('/api/system/info', page.url()).href)).json()) as Record<
      string,
      number
    >;
  // The tiles refresh every 5 s and a new best can land in between: compare once both agree.
  let info = await apiInfo();
  for (
    let tries = 0;
    tries < 30 && (await text('#best')) !== formatDifficulty(info['bestSessionDiff'] ?? 0);
    tries++
  ) {
    await new Promise((r) => setTimeout(r, 500));
    info = await apiInfo();
  }

  const unit = /^\d{1,3}(\.\d{1,2})? (H|kH|MH)\/s$/;
  expect(await text('#hashrate')).toMatch(unit);
  expect(await text('#expected')).toMatch(/^expected \d{1,3}(\.\d{1,2})? (kH|MH)\/s$/);
  // The API's best difficulty (0.0226 and the like on a simulated board), not "0".
  expect(info['bestSessionDiff']).toBeGreaterThan(0);
  expect(await text('#best')).toBe(formatDifficulty(info['bestSessionDiff'] ?? Number.NaN));
  expect(await text('#best')).toMatch(/^\d+(\.\d+)?[kMGT]?$/);
  expect(await text('#best')).not.toBe('0');
  // Pools, chains, chips: every fraction rounded to at most three significant figures (the pool's
  // 0.0000291 share difficulty, not 0.00002913496...); counts stay whole numbers.
  for (const table of ['#pools', '#chains', '#chips']) {
    const cells = await page.locator(`${table} tbody td`).allTextContents();
    expect(cells.length).toBeGreaterThan(0);
    for (const c of cells)
      for (const fraction of c.match(/(?<![\d.])\d+\.\d+(?![\d.])/g) ?? [])
        expect(fraction.replace('.', '').replace(/^0+/, '').length, `${table}: ${c}`).toBeLessThanOrEqual(3);
  }
  const rtt = await text('#pools tbody tr td:nth-child(8)');
  expect(rtt).toMatch(/^(\d+(\.\d+)? ms|–)$/);
  expect(await text('#chains tbody tr td:nth-child(4)')).toMatch(unit);
  expect(await text('#chains tbody tr td:nth-child(6)')).toMatch(/^\d+$/); // re-inits
  expect(await text('#chains tbody tr td:nth-child(8)')).toMatch(/^\d+$/); // UART junk bytes
  expect(await text('#chains tbody tr td:nth-child(9)')).toMatch(/^(\d+\.\d °C|–)$/);
  expect(await text('#chips tbody tr td:nth-child(5)')).toMatch(/^(unknown|ok|weak|silent)$/); // health
  expect(await text('#temp')).toMatch(/^(\d+\.\d °C|–)$/);
  // The chart axis: round steps from 0 in H/s, kH/s or MH/s, never a column of "0.00".
  const axis = ((await page.getAttribute('#chart', 'data-axis')) ?? '').split('|');
  expect(axis[0]).toBe('0 H/s');
  expect(axis.length).toBeGreaterThanOrEqual(3);
  for (const label of axis.slice(1)) expect(label).toMatch(unit);
  expect(new Set(axis).size).toBe(axis.length);
  // The log: one row per entry with time, level and module, wrapping instead of scrolling sideways.
  await page.waitForFunction("document.querySelectorAll('#log .entry').length > 0", null, {
    timeout: 15_000,
  });
  const log = (await page.evaluate(LOG_SHAPE)) as LogShape;
  expect(log.scrollWidth).toBeLessThanOrEqual(log.clientWidth);
  for (const row of log.rows) {
    expect(row.time).toMatch(/^\d\d:\d\d:\d\d$/);
    expect(row.level).toMatch(/^(TRACE|DEBUG|INFO|WARN|ERROR|FATAL)$/);
    expect(row.message).not.toMatch(/^\{/);
  }
  const screenshot = await page.screenshot({ path: SCREENSHOT, fullPage: true });
  expect(screenshot.subarray(1, 4).toString()).toBe('PNG');
}

interface LogShape {
  scrollWidth: number;
  clientWidth: number;
  rows: { time: string; level: string; module: string; message: string }[];
}

const LOG_SHAPE = `(() => {
  const log = document.getElementById('log');
  const part = (row, name) => row.querySelector('.' + name).textContent;
  return {
    scrollWidth: log.scrollWidth,
    clientWidth: log.clientWidth,
    rows: [...log.querySelectorAll('.entry')].map((row) => ({
      time: part(row, 'time'), level: part(row, 'level'), module: part(row, 'module'), message: part(row, 'message'),
    })),
  };
})()`;

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
    expect(await page.textContent('#hashrate')).toMatch(/^\d+(\.\d+)? (kH|MH)\/s$/);
    expect(await page.locator('#chips tbody tr').count()).toBe(1);
    expect(await page.inputValue('#frequency')).toBe('525');
    await expectReadableFigures(page);

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
