import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { localConfigPath } from '../../../src/app/settings.js';
import { formatUptime, statusHashrate, statusLine } from '../../../src/roles/miner/status-line.js';
import { sampleSnapshot } from '../../api/helpers/fake-rig.js';

describe('status line pieces', () => {
  it('formats hashrates with the unit that keeps the figure under 1000', () => {
    expect(statusHashrate(0)).toBe('0.00 H/s');
    expect(statusHashrate(999)).toBe('999.00 H/s');
    expect(statusHashrate(2_010_000)).toBe('2.01 MH/s');
    expect(statusHashrate(520_000_000)).toBe('520.00 MH/s');
    expect(statusHashrate(1.07e12)).toBe('1.07 TH/s');
    expect(statusHashrate(Number.NaN)).toBe('0.00 H/s');
  });
  it('formats uptime as hh:mm:ss, days folded into hours', () => {
    expect(formatUptime(65)).toBe('00:01:05');
    expect(formatUptime(90_061)).toBe('25:01:01');
  });
});

describe('local config path', () => {
  it('is local.json in --config-dir, else in the last NODE_CONFIG_DIR entry, else ./config', () => {
    expect(localConfigPath('/etc/sv2miner', {})).toBe('/etc/sv2miner/local.json');
    expect(localConfigPath(undefined, { NODE_CONFIG_DIR: '/a:/b' })).toBe('/b/local.json');
    // Unset: the install's own config folder, whatever the working directory.
    expect(localConfigPath(undefined, {})).toBe(
      join(import.meta.dirname, '..', '..', '..', 'config', 'local.json'),
    );
  });
});

describe('status line', () => {
  it('names chains under flatline recovery and disabled ones', () => {
    const s = sampleSnapshot();
    const [c0, c1] = s.chains;
    if (c0 === undefined || c1 === undefined) throw new Error('two chains expected');
    const line = statusLine({
      ...s,
      chains: [
        { ...c0, state: 'recovering' },
        { ...c1, state: 'disabled' },
      ],
    });
    expect(line).toContain(' | 1 chain(s) recovering | 1 chain(s) disabled | ');
    expect(statusLine(s)).not.toMatch(/recovering|disabled/);
  });
});
