/**
 * `npm run bench`: runs every benchmark module (or those named on the command line) and prints
 * `name: value unit` lines. Figures go into the README with the machine they were measured on.
 */
import { type BenchModule, formatLine } from './lib.js';

const MODULES: Record<string, () => Promise<BenchModule>> = {
  'sv2-codec': () => import('./sv2-codec.js'),
  noise: () => import('./noise.js'),
  work: () => import('./work.js'),
  drivers: () => import('./drivers.js'),
  sim: () => import('./sim.js'),
  'pool-server': () => import('./pool-server.js'),
  'share-path': () => import('./share-path.js'),
  api: () => import('./api.js'),
  daemon: () => import('./daemon.js'),
};

const wanted = process.argv.slice(2);
for (const [name, load] of Object.entries(MODULES)) {
  if (wanted.length > 0 && !wanted.includes(name)) continue;
  const mod = await load();
  for (const line of await mod.run()) process.stdout.write(`${formatLine(line)}\n`);
}
