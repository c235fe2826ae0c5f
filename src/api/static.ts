/**
 * The dashboard's files (src/api/web: index.html, app.js, style.css), read once at start and
 * served from memory. tsc does not copy them to dist/, so the lookup also tries the source tree
 * next to dist (dist/src/api -> src/api/web); no build step, no bundler.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface WebAsset {
  readonly type: string;
  readonly body: Buffer;
}

export interface WebAssets {
  get(path: string): WebAsset | undefined;
}

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

function defaultWebDir(): string | undefined {
  const here = fileURLToPath(new URL('.', import.meta.url));
  return [join(here, 'web'), join(here, '..', '..', '..', 'src', 'api', 'web')].find((d) =>
    existsSync(join(d, 'index.html')),
  );
}

export function loadWebAssets(dir = defaultWebDir()): WebAssets {
  const files = new Map<string, WebAsset>();
  if (dir !== undefined) {
    for (const name of readdirSync(dir)) {
      const type = TYPES[extname(name)];
      if (type !== undefined) files.set(`/${name}`, { type, body: readFileSync(join(dir, name)) });
    }
  }
  // pyasic identifies the device by "AxeOS" in the web root (monitoring.md §3a), assets or not.
  const index = files.get('/index.html') ?? {
    type: TYPES['.html'] ?? 'text/html',
    body: Buffer.from(
      '<!doctype html><title>sv2miner — AxeOS-compatible</title><p>Dashboard files missing.</p>',
    ),
  };
  files.set('/', index);
  return { get: (path) => files.get(path) };
}
