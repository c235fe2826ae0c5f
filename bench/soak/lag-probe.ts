/**
 * A control for the rig's event-loop figure: a bare Node process measuring its own lag the same
 * way the rig's /metrics does, at the same time. On a shared host the difference is the rig's.
 * Prints `<p99 ms> <max ms>` on SIGTERM.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';

const RESOLUTION_MS = 10;
const h = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
h.enable();
const keepAlive = setInterval(() => {}, 1_000);
process.once('SIGTERM', () => {
  clearInterval(keepAlive);
  const lag = (ns: number) => Math.max(0, ns / 1e6 - RESOLUTION_MS);
  process.stdout.write(`${lag(h.percentile(99))} ${lag(h.max)}\n`);
});
