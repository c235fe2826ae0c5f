/**
 * Test plumbing for issue 7's "every endpoint against a running simulated rig": a real Miner
 * (src/roles/miner/miner.ts) on the sim-bm1370-1 board with the embedded local SV2 pool, wired to the
 * monitoring APIs by startApi (src/api/server.ts) exactly as `sv2miner run` does, on ephemeral
 * ports with a temp config dir (settings land in its local.json) and a temp stateDir.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { boardById } from '../../../boards/registry.js';
import { tappedLink } from '../../../drivers/transport/tapped-link.js';
import { startApi } from '../../../src/api/server.js';
import { LogTap } from '../../../src/app/log-tap.js';
import { configureRootLogger } from '../../../src/log.js';
import { composeMiner } from '../../../src/roles/miner/compose.js';
import type { Miner } from '../../../src/roles/miner/miner.js';
import { isJobFrame, simConfig, stopMiner } from '../../helpers/sim-rig.js';
import { until } from '../../helpers/wait.js';

// The API tests import the wait from here with the rig.
export { until } from '../../helpers/wait.js';

const RIG_TOKEN = 'rig-token-5f1c0a9e7d3b2468-ZXCVBN';

export interface RealRig {
  readonly miner: Miner;
  readonly httpPort: number;
  readonly cgminerPort: number;
  readonly base: string;
  readonly token: string;
  /** Holds local.json once a setting is persisted. */
  readonly configDir: string;
  /** performance.now() of every job frame (55 AA 21, bm13xx.md §7.1) written to the chain. */
  readonly jobFrames: number[];
  close(): Promise<void>;
}

interface RealRigOptions {
  /** History sampling for /api/system/statistics; default 500 ms so charts fill quickly. */
  readonly statsIntervalMs?: number;
  /** Bound on waiting for the first accepted share. */
  readonly acceptTimeoutMs?: number;
}

/** Starts the rig and its APIs and resolves once the local pool has accepted a share. */
export async function startRealRig(options: RealRigOptions = {}): Promise<RealRig> {
  const root = mkdtempSync(join(tmpdir(), 'sv2miner-real-rig-'));
  const configDir = join(root, 'config');
  const config = simConfig({
    board: 'sim-bm1370-1',
    sharesPerMinute: 120,
    logLevel: 'info',
    stateDir: join(root, 'state'),
  });
  // Log lines go to the tap only (the APIs' log views), never to the test's stdout.
  const tap = new LogTap(() => {});
  const log = configureRootLogger({ level: 'info', destination: tap });
  const jobFrames: number[] = [];
  const miner = composeMiner({
    config,
    board: boardById(config.board),
    log,
    logTap: tap,
    configDir,
    wrapLink: (link, _chain) =>
      tappedLink(link, (bytes) => {
        if (isJobFrame(bytes)) jobFrames.push(performance.now());
      }),
  });
  const cleanup = async () => {
    await stopMiner(miner);
    rmSync(root, { recursive: true, force: true });
  };
  try {
    await miner.start();
    await miner.ready;
    const api = await startApi({
      control: miner,
      host: config.api.host,
      port: 0,
      cgminerPort: 0,
      token: RIG_TOKEN,
      log: log.child({ component: 'api' }),
      statsIntervalMs: options.statsIntervalMs ?? 500,
    });
    const accepted = await until(
      () => miner.snapshot().shares.accepted >= 1,
      options.acceptTimeoutMs ?? 30_000,
    );
    if (!accepted || api.cgminerPort === null) {
      await api.close();
      throw new Error(`rig accepted no share in time: ${JSON.stringify(miner.snapshot().shares)}`);
    }
    return {
      miner,
      httpPort: api.httpPort,
      cgminerPort: api.cgminerPort,
      base: `http://127.0.0.1:${api.httpPort}`,
      token: RIG_TOKEN,
      configDir,
      jobFrames,
      close: async () => {
        await api.close();
        await cleanup();
      },
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

/** An SSE client for /api/events: collects the data of "log" events; `onChunk` sees raw bytes. */
export function openSse(base: string, onChunk?: (chunk: string) => void): { logs: string[]; close(): void } {
  const logs: string[] = [];
  let buffer = '';
  const req = request(`${base}/api/events`, (res) => {
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      onChunk?.(chunk);
      buffer += chunk;
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const lines = buffer.slice(0, end).split('\n');
        buffer = buffer.slice(end + 2);
        if (!lines.includes('event: log')) continue;
        logs.push(
          lines
            .filter((l) => l.startsWith('data: '))
            .map((l) => l.slice(6))
            .join('\n'),
        );
      }
    });
  });
  // The stream ends when the test closes it or the server stops; neither is a failure here.
  req.on('error', () => {});
  req.end();
  return { logs, close: () => req.destroy() };
}
