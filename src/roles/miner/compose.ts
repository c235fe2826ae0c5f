/**
 * The miner role's composition root: the one place that picks what the daemon runs on. From the
 * validated config and board it builds the chain opener (simulated or real links, lines, power
 * sequencer and the BM13xx driver: compose-board.ts), the temperature readers, the embedded local
 * pool used when no pool is configured, and hands them to the Miner as MinerParts. `sv2miner run`
 * (main.ts), the tests and the benchmarks all get their miner here; a bench that must see the
 * link (job-switch latency) passes `wrapLink`, a test that needs faster chain pacing `timing`.
 */
import type { ChainTiming } from '../../../drivers/bm13xx/chain-options.js';
import type { ThermalReader } from '../../../drivers/peripherals/thermal.js';
import type { ByteLink } from '../../../drivers/transport/uart-link.js';
import type { Config } from '../../config/schema.js';
import { type Logger, silentLog } from '../../log.js';
import { type LocalPool, type LocalPoolOptions, startLocalPool } from '../../pool-server/local-pool.js';
import { systemClock } from '../../time/clock.js';
import { boardChainOpener, closeBridgePorts, thermalReaders } from './compose-board.js';
import { Miner } from './miner.js';
import type { MinerOptions } from './miner-options.js';
import type { EmbeddedPool, MinerParts } from './parts.js';

export interface ComposeOptions extends MinerOptions {
  /** Extra options for the embedded local pool (tests: forced blocks, intervals). */
  readonly localPool?: Partial<LocalPoolOptions>;
  /** Chain pacing instead of the driver's (or, on simulated boards, SIM_TIMING). */
  readonly timing?: Partial<ChainTiming>;
  /** The chip temperature sensors instead of the board's (tests script temperatures). */
  readonly thermalReaders?: readonly ThermalReader[];
  /** Sees each chain's link before the driver does. */
  readonly wrapLink?: (link: ByteLink, chain: number) => ByteLink;
}

export function composeMiner(options: ComposeOptions): Miner {
  return new Miner(options, minerParts(options));
}

/** The implementations for a miner of this config and board (a test subclassing Miner uses it too). */
export function minerParts(options: ComposeOptions): MinerParts {
  const { config, board } = options;
  const log = options.log ?? silentLog;
  return {
    openChain: boardChainOpener({
      board,
      clock: options.clock ?? systemClock,
      timing: options.timing,
      wrapLink: options.wrapLink,
    }),
    thermalReaders: options.thermalReaders ?? thermalReaders(board, log.child({ component: 'thermal' })),
    startEmbeddedPool: () =>
      startEmbeddedPool(config, log.child({ component: 'local-pool' }), options.localPool),
    release: closeBridgePorts,
  };
}

/**
 * The default demo's pool: when config.pools is [], the daemon starts the local SV2 pool
 * (src/pool-server/local-pool.ts) in-process and mines on it over real TCP with real Noise and
 * certificate verification. The pool sets each channel's first target from the nominal hashrate
 * the client announces (the board's expected rate) and config.localPool.sharesPerMinute, then
 * its vardiff follows the measured rate, so a simulated board gets shares accepted within seconds.
 */
async function startEmbeddedPool(
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
