/**
 * SetupConnection device fields (sv2.md §4: vendor MUST, hardware_version SHOULD be set): the
 * daemon sends vendor "sv2miner", `<board id> (<chip> x<count>)`, the package version and the
 * hostname, each cut to a STR0_255; a scripted pool sees exactly these strings from a running Miner.
 */
import { readFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { boardById } from '../../../boards/registry.js';
import { SimBinding } from '../../../drivers/sim/sim-binding.js';
import { composeMiner } from '../../../src/roles/miner/compose.js';
import { cutUtf8, deviceIdentity } from '../../../src/roles/miner/device-identity.js';
import { simConfig } from '../../helpers/sim-rig.js';
import { startScriptedPool } from '../../upstream/helpers/scripted-pool.js';

const packageVersion = (
  JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;

describe('device identity', () => {
  it('names the board, its chip model and total chip count across chains', () => {
    const hex = boardById('sim-bm1366-chain');
    const twoChains = { ...hex, id: 'two-hex', chains: [...hex.chains, ...hex.chains] };
    expect(deviceIdentity(twoChains, 'rig-7', '9.9.9')).toEqual({
      vendor: 'sv2miner',
      hardwareVersion: 'two-hex (BM1366 x12)',
      firmware: '9.9.9',
      deviceId: 'rig-7',
    });
  });

  it('cuts every field to 255 bytes of UTF-8 without splitting a character', () => {
    // 'é' is 2 bytes: 200 of them are 400 bytes; the cut keeps 127 whole characters (254 bytes).
    const long = 'é'.repeat(200);
    const id = deviceIdentity(boardById('sim-bm1370-1'), long, 'v'.repeat(300));
    expect(id.deviceId).toBe('é'.repeat(127));
    expect(id.firmware).toBe('v'.repeat(255));
    expect(cutUtf8('ab€', 4)).toBe('ab'); // '€' is 3 bytes: 'ab€' = 5 bytes
    expect(cutUtf8('ab€', 5)).toBe('ab€');
  });
});

describe('the daemon in SetupConnection', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
    SimBinding.reset();
  });

  it('sends vendor, hardware_version, firmware and device_id to the pool', async () => {
    const pool = await startScriptedPool();
    cleanups.push(() => pool.close());
    const config = simConfig({
      board: 'sim-bm1370-chain',
      pools: [{ url: pool.url, user: 'acct.rig' }],
      stateDir: join(tmpdir(), 'sv2miner-test-state-device'),
    });
    const miner = composeMiner({ config, board: boardById('sim-bm1370-chain') });
    cleanups.push(() => miner.stop());
    const started = miner.start();
    const peer = await pool.next();
    const setup = await peer.expect('SetupConnection');
    expect(setup).toMatchObject({
      vendor: 'sv2miner',
      hardware_version: 'sim-bm1370-chain (BM1370 x4)',
      firmware: packageVersion,
      device_id: hostname(),
    });
    await started;
  }, 20_000);
});
