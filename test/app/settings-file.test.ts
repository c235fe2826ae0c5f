import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { persistSettings } from '../../src/app/settings.js';
import { validateConfig } from '../../src/config/schema.js';
import { simConfigInput } from '../helpers/sim-rig.js';

const dir = mkdtempSync(join(tmpdir(), 'sv2miner-settings-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function config() {
  const result = validateConfig({
    ...simConfigInput({ board: 'sim-bm1370-1', stateDir: join(dir, 'state') }),
    frequencyMhz: 500,
  });
  if (!result.ok) throw new Error(result.errors.map((e) => e.message).join('; '));
  return result.config;
}

describe('persistSettings into local.json', () => {
  it('merges the keys into plain JSON and keeps the rest', async () => {
    const path = join(dir, 'plain.json');
    writeFileSync(path, JSON.stringify({ board: 'rpi-uart-bm1370', api: { port: 80 } }));
    await persistSettings(path, config(), ['frequencyMhz']);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({
      board: 'rpi-uart-bm1370',
      api: { port: 80 },
      frequencyMhz: 500,
    });
  });

  it('refuses to rewrite a commented (JSON5) local.json instead of dropping its settings', async () => {
    const path = join(dir, 'commented.json');
    const text = '// my rig\n{ "board": "rpi-uart-bm1370", pools: [] }\n';
    writeFileSync(path, text);
    await expect(persistSettings(path, config(), ['frequencyMhz'])).rejects.toThrow(
      `${path}: expected plain JSON (no comments) to save settings into, got a file JSON.parse refuses`,
    );
    expect(readFileSync(path, 'utf8')).toBe(text);
  });
});
