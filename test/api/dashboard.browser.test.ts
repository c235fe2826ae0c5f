/**
 * Drives the dashboard in headless Chromium (playwright-core, system /usr/bin/chromium): the page
 * loads, the hashrate chart draws pixels other than its background from the served statistics,
 * and a settings change made through the form reaches the rig's applySettings. Skipped, loudly,
 * when /usr/bin/chromium is absent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness, TOKEN } from './helpers/api.js';
import { chromiumAvailable, type HeadlessChromium, launchChromium } from './helpers/chromium.js';

// Browser-side code is passed as strings: the project compiles without the DOM lib.
// Counts canvas pixels that are background (#0b0f16) and in the total-line colour (#f7931a).
const PIXEL_COUNT = `(() => {
  const canvas = document.getElementById('chart');
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let background = 0;
  let total = 0;
  for (let i = 0; i < data.length; i += 4) {
    const r = data[i], g = data[i + 1], b = data[i + 2];
    if (r === 0x0b && g === 0x0f && b === 0x16) background++;
    if (r > 200 && g > 110 && g < 180 && b < 80) total++;
  }
  return { background, total, pixels: data.length / 4 };
})()`;
const haveChromium = chromiumAvailable('dashboard.browser.test.ts');

describe.skipIf(!haveChromium)('dashboard in a real browser', () => {
  let h: Harness;
  let browser: HeadlessChromium;

  beforeAll(async () => {
    // Sample fast and vary the rig so the chart has several distinct points.
    h = await startHarness({ statsIntervalMs: 40 });
    for (let i = 0; i < 5; i++) {
      const base = h.rig.state;
      h.rig.update({
        uptimeS: base.uptimeS + 5,
        hashrate: { ...base.hashrate, h5s: base.hashrate.h5s * (1 + 0.05 * i) },
      });
      await new Promise((r) => setTimeout(r, 60));
    }
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  it('loads, draws the chart, and round-trips a settings change', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(h.base, { waitUntil: 'load' });
    expect(await page.title()).toContain('AxeOS');
    await page.waitForSelector('body[data-ready="true"]', { timeout: 15_000 });
    expect(await page.textContent('#hashrate')).toBe('4.22 TH/s');
    expect(await page.locator('#chips tbody tr').count()).toBe(4);
    // UART junk per chain (FakeRig: 7 and 107), the column after HW err; re-inits after State.
    expect(await page.locator('#chains tbody tr td:nth-child(8)').allTextContents()).toEqual(['7', '107']);
    expect(await page.locator('#chains tbody tr td:nth-child(6)').allTextContents()).toEqual(['0', '2']);
    // Chip health after the hashrate (FakeRig: chain 1 chip 1 silent).
    expect(await page.locator('#chips tbody tr td:nth-child(5)').allTextContents()).toEqual([
      'ok',
      'ok',
      'ok',
      'silent',
    ]);

    const rows = Number(await page.getAttribute('body', 'data-chart-rows'));
    expect(rows).toBeGreaterThanOrEqual(2);
    // Count canvas pixels in the series colours (the total line is #f7931a).
    const drawn = (await page.evaluate(PIXEL_COUNT)) as { background: number; total: number; pixels: number };
    expect(drawn.background).toBeGreaterThan(drawn.pixels / 2);
    expect(drawn.total).toBeGreaterThan(100);

    // Settings form: token + frequency + fan -> PATCH with bearer -> the rig's applySettings.
    h.rig.calls.length = 0;
    await page.fill('#token', TOKEN);
    await page.fill('#frequency', '490');
    await page.fill('#fanspeed', '70');
    await page.click('button[type="submit"]');
    await page.waitForFunction("document.getElementById('result').textContent === 'saved'", null, {
      timeout: 10_000,
    });
    expect(h.rig.calls).toEqual([
      {
        kind: 'applySettings',
        patch: {
          frequencyMhz: 490,
          fan: { auto: true, speedPercent: 70 },
          pools: [
            { url: h.rig.state.pools[0]?.url, user: 'bc1qworker.rig0', insecure: false },
            { url: h.rig.state.pools[1]?.url, user: 'bc1qworker.rig1', insecure: false },
          ],
        },
      },
    ]);
    expect(await page.evaluate("localStorage.getItem('sv2miner.token')")).toBe(TOKEN);

    // A wrong token shows the 401 and changes nothing.
    h.rig.calls.length = 0;
    await page.fill('#token', 'wrong-token-0000000000');
    await page.click('button[type="submit"]');
    await page.waitForFunction("document.getElementById('result').textContent.startsWith('401')");
    expect(h.rig.calls).toEqual([]);

    // The live stream shows new log lines.
    h.rig.emitLog('browser-visible log line');
    await page.waitForFunction(
      "document.getElementById('log').textContent.includes('browser-visible log line')",
    );
    expect(errors).toEqual([]);
  }, 60_000);
});
