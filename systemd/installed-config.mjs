#!/usr/bin/env node
// Writes an installed tree's config folder: the checkout's config/default.json with
// systemd/debian/installed-defaults.json merged over it (state under /var/lib/sv2miner, no
// embedded demo pool), and an empty production.json so node-config does not warn about the
// unit's NODE_ENV=production. Used by the .deb builder and install.sh.
// Usage: installed-config.mjs <checkout> <destination config folder>
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [checkout, dest] = process.argv.slice(2);
if (checkout === undefined || dest === undefined) {
  console.error('usage: installed-config.mjs <checkout> <destination config folder>');
  process.exit(2);
}
const read = (path) => JSON.parse(readFileSync(path, 'utf8'));
const isObject = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);
const merge = (base, over) => {
  const out = { ...base };
  for (const [key, value] of Object.entries(over))
    out[key] = isObject(value) && isObject(base[key]) ? merge(base[key], value) : value;
  return out;
};
const defaults = merge(
  read(join(checkout, 'config', 'default.json')),
  read(join(checkout, 'systemd', 'debian', 'installed-defaults.json')),
);
mkdirSync(dest, { recursive: true });
writeFileSync(join(dest, 'default.json'), `${JSON.stringify(defaults, null, 2)}\n`);
writeFileSync(join(dest, 'production.json'), '{}\n');
