/**
 * Write-endpoint authentication: a bearer token from config api.token, or one generated at first
 * start and kept in the state directory (mode 0600). Comparison is constant-time over SHA-256
 * digests so neither content nor length leaks through timing. Read-only GETs stay open (pyasic).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const TOKEN_FILE = 'api-token';

/** Shortest token we accept from the state file; the config schema enforces the same minimum. */
const MIN_TOKEN_LENGTH = 16;

interface ApiToken {
  readonly token: string;
  /** True when this call generated and stored the token: the caller prints it once. */
  readonly created: boolean;
}

export async function ensureApiToken(stateDir: string, configured?: string): Promise<ApiToken> {
  if (configured !== undefined && configured !== '') return { token: configured, created: false };
  const path = join(stateDir, TOKEN_FILE);
  try {
    const stored = (await readFile(path, 'utf8')).trim();
    if (stored.length >= MIN_TOKEN_LENGTH) return { token: stored, created: false };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  // 24 random bytes -> 32 base64url characters: header-safe and easy to paste.
  const token = randomBytes(24).toString('base64url');
  await mkdir(stateDir, { recursive: true });
  await writeFile(path, `${token}\n`, { mode: 0o600 });
  return { token, created: true };
}

/** True when `authorization` is exactly `Bearer <token>`. */
export function bearerMatches(authorization: string | undefined, token: string): boolean {
  if (authorization === undefined) return false;
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(authorization);
  const offered = match?.[1];
  if (offered === undefined) return false;
  const a = createHash('sha256').update(offered).digest();
  const b = createHash('sha256').update(token).digest();
  return timingSafeEqual(a, b);
}
