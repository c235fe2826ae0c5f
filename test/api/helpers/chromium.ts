/**
 * Headless Chromium for the dashboard browser tests: playwright-core driving the system
 * /usr/bin/chromium (no browser download). Says whether it is installed, so a test file can skip
 * loudly without it, and launches it on a fresh temporary profile that close() removes again.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';

/** True when Chromium is installed; otherwise warns on the console that `testFile` is skipped. */
export function chromiumAvailable(testFile: string): boolean {
  if (existsSync(CHROMIUM)) return true;
  console.warn(`\n*** ${testFile} SKIPPED: ${CHROMIUM} not found (apt-get install chromium) ***\n`);
  return false;
}

export interface HeadlessChromium {
  newPage(): Promise<Page>;
  /** Closes the browser and removes its profile. */
  close(): Promise<void>;
}

export async function launchChromium(): Promise<HeadlessChromium> {
  const profile = mkdtempSync(join(tmpdir(), 'chromium-profile-'));
  const removeProfile = () => rmSync(profile, { recursive: true, force: true });
  try {
    // A fresh empty profile: playwright takes it as the persistent context's user data dir.
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    return {
      newPage: () => context.newPage(),
      close: async () => {
        await context.close();
        removeProfile();
      },
    };
  } catch (error) {
    removeProfile();
    throw error;
  }
}
