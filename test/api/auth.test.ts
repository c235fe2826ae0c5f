import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bearerMatches, ensureApiToken, TOKEN_FILE } from '../../src/api/auth.js';

describe('ensureApiToken', () => {
  it('uses the configured token and writes nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'state-'));
    expect(await ensureApiToken(dir, 'configured-token-1234567')).toEqual({
      token: 'configured-token-1234567',
      created: false,
    });
    expect(() => statSync(join(dir, TOKEN_FILE))).toThrow();
  });

  it('generates, stores (0600) and then reuses a token', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'state-')), 'nested');
    const first = await ensureApiToken(dir);
    expect(first.created).toBe(true);
    expect(first.token).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const path = join(dir, TOKEN_FILE);
    expect(readFileSync(path, 'utf8').trim()).toBe(first.token);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(await ensureApiToken(dir)).toEqual({ token: first.token, created: false });
    const other = await ensureApiToken(mkdtempSync(join(tmpdir(), 'state-')));
    expect(other.token).not.toBe(first.token);
  });

  it('replaces a stored token that is too short to be safe', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'state-'));
    writeFileSync(join(dir, TOKEN_FILE), 'short\n');
    const r = await ensureApiToken(dir);
    expect(r.created).toBe(true);
    expect(r.token).not.toBe('short');
  });
});

describe('bearerMatches', () => {
  const token = 'tok-0123456789abcdef';
  it('accepts exactly Bearer <token>', () => {
    expect(bearerMatches(`Bearer ${token}`, token)).toBe(true);
    expect(bearerMatches(`bearer ${token}`, token)).toBe(true);
  });
  it('refuses everything else', () => {
    for (const h of [
      undefined,
      '',
      token,
      `Bearer ${token}x`,
      `Bearer ${token.slice(0, -1)}`,
      `Basic ${token}`,
      'Bearer ',
      `Bearer ${token} extra`,
    ])
      expect(bearerMatches(h, token)).toBe(false);
  });
});
