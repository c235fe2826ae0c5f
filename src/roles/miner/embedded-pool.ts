/**
 * The default demo's pool: when config.pools is [], the daemon starts the local SV2 pool
 * (src/pool-server/local-pool.ts) in-process and mines on it over real TCP with real Noise and
 * certificate verification. The pool sets each channel's first target from the nominal hashrate
 * the client announces (the board's expected rate) and config.localPool.sharesPerMinute, then
 * its vardiff follows the measured rate, so a simulated board gets shares accepted within seconds.
 */
import type { Config, PoolConfig } from '../../config/schema.js';
import type { Logger } from '../../log.js';
import { type LocalPool, type LocalPoolOptions, startLocalPool } from '../../pool-server/local-pool.js';

interface EmbeddedPool {
  readonly pool: LocalPool;
  /** The pool entry the client is pointed at (authority key in the URL). */
  readonly poolConfig: PoolConfig;
}

export async function startEmbeddedPool(
  config: Readonly<Config>,
  log: Logger,
  extra: Partial<LocalPoolOptions> = {},
): Promise<EmbeddedPool> {
  const options: LocalPoolOptions = {
    host: config.localPool.host,
    port: config.localPool.port,
    targetSharesPerMinute: config.localPool.sharesPerMinute,
    // A demo should settle on its share rate within a minute, not after several.
    vardiffIntervalMs: 15_000,
    logger: log,
    ...extra,
  };
  let pool: LocalPool;
  try {
    pool = await startLocalPool(options);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || options.port === 0) throw error;
    // Another process (often a second demo) holds the port: any free port serves the demo as well.
    log.warn({ port: options.port }, 'local pool port busy; using an ephemeral port');
    pool = await startLocalPool({ ...options, port: 0 });
  }
  return { pool, poolConfig: { url: pool.url, user: 'sv2miner.local' } };
}
