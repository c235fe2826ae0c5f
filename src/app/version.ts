/**
 * The package version for snapshots and the API (AxeOS "version"), read once from package.json,
 * which sits two levels above src/app/ and three above dist/src/app/.
 */
import { readFileSync } from 'node:fs';

/** The package version, from package.json next to src/ or dist/src/. */
export const VERSION = ((): string => {
  for (const rel of ['../../package.json', '../../../package.json']) {
    try {
      const parsed: unknown = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8'));
      const v = typeof parsed === 'object' && parsed !== null ? Reflect.get(parsed, 'version') : undefined;
      if (typeof v === 'string') return v;
    } catch {
      // Try the next layout.
    }
  }
  return '0.0.0';
})();
