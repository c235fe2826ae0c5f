import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BOARDS } from '../../boards/registry.js';
import { exampleConfig } from '../../src/config/example-config.js';
import { checkConfig } from '../../src/config/load.js';

const root = mkdtempSync(join(tmpdir(), 'sv2miner-examples-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('per-board example configs', () => {
  for (const board of BOARDS.values()) {
    it(`${board.id}: comments explain the wiring and node-config reads it as a valid config`, async () => {
      const text = exampleConfig(board);
      expect(text).toMatch(new RegExp(`^// sv2miner example for board "${board.id}"`));
      expect(text).toContain('reset (NRST): ');
      const dir = mkdtempSync(join(root, `${board.id}-`));
      copyFileSync(
        join(import.meta.dirname, '..', '..', 'config', 'default.json'),
        join(dir, 'default.json'),
      );
      writeFileSync(join(dir, 'local.json5'), text);
      const result = await checkConfig({ configDir: dir });
      expect(result.ok ? [] : result.errors.map((e) => e.message)).toEqual([]);
      expect(result.ok && result.config.board).toBe(board.id);
      expect(result.ok && result.config.pools.length).toBe(1);
    });
  }

  it('names the Raspberry Pi wiring from the board table', () => {
    const rpi = BOARDS.get('rpi-uart-bm1370');
    if (rpi === undefined) throw new Error('rpi-uart-bm1370 missing from the board table');
    const text = exampleConfig(rpi);
    expect(text).toContain('//   chain 0: 1 x BM1370 on /dev/serial0');
    expect(text).toContain('//   reset (NRST): gpiochip0 line 17 (BCM GPIO 17), active low');
    expect(text).toContain('//   power enable: gpiochip0 line 27 (BCM GPIO 27), active low');
    expect(text).toContain('//   sensor asic: EMC2101 at 0x4c on /dev/i2c-1');
  });
});
