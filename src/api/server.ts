/**
 * Starts every monitoring surface for one RigControl: the AxeOS HTTP API with dashboard, SSE and
 * WebSockets (rest.ts, live.ts), the cgminer API on its own TCP port (cgminer.ts), and the history
 * sampler behind /api/system/statistics. The one entry point the daemon calls; close() stops all.
 */
import { createServer, type Server } from 'node:http';
import { type Logger, silentLog } from '../log.js';
import { systemInfo } from './axeos.js';
import { startCgminerServer } from './cgminer.js';
import { DEFAULT_CGMINER_ALLOW, parseAllowList } from './cidr.js';
import { HashrateHistory } from './history.js';
import { readHostFacts } from './host-info.js';
import { LiveHub } from './live.js';
import { createRestHandler } from './rest.js';
import type { RigControl } from './snapshot.js';
import { loadWebAssets } from './static.js';

export interface ApiOptions {
  readonly control: RigControl;
  /** Bind address for both listeners (config api.host). */
  readonly host: string;
  /** HTTP port; 0 = any free port. pyasic expects 80 (monitoring.md §3a). */
  readonly port: number;
  /** cgminer API port (4028 by convention); 0 = any free port; null = do not start it. */
  readonly cgminerPort: number | null;
  /** CIDRs allowed to use cgminer write commands; default loopback only. */
  readonly cgminerAllow?: readonly string[];
  /** Bearer token for write endpoints (see ensureApiToken). */
  readonly token: string;
  readonly log?: Logger;
  /** How often the statistics history samples a snapshot; default 5 s. */
  readonly statsIntervalMs?: number;
  /** For tests: where to read interface MAC addresses. */
  readonly sysNetDir?: string;
  /** For tests: the dashboard file folder. */
  readonly webDir?: string;
}

export interface RunningApi {
  readonly httpPort: number;
  readonly cgminerPort: number | null;
  close(): Promise<void>;
}

export async function startApi(options: ApiOptions): Promise<RunningApi> {
  const log = options.log ?? silentLog;
  const { control, token } = options;
  const allow = parseAllowList(options.cgminerAllow ?? DEFAULT_CGMINER_ALLOW);
  const host = readHostFacts(options.sysNetDir);
  const history = new HashrateHistory();
  const sample = () => {
    try {
      history.record(control.snapshot());
    } catch (error) {
      log.warn({ err: error }, 'statistics sample failed');
    }
  };
  sample();
  const sampler = setInterval(sample, options.statsIntervalMs ?? 5000);
  sampler.unref();

  // A secret that reached a log line is still never served.
  const scrub = (line: string) => (token.length > 0 ? line.split(token).join('[redacted]') : line);
  const live = new LiveHub({ control, infoOf: (s) => systemInfo(s, host), scrub });
  const web = loadWebAssets(options.webDir);
  const server: Server = createServer(createRestHandler({ control, token, history, host, live, web, log }));
  server.on('upgrade', (req, socket) => {
    if (!live.handleUpgrade(req, socket)) socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
  });
  server.on('clientError', (_error, socket) => socket.end('HTTP/1.1 400 Bad Request\r\n\r\n'));

  const cleanup = async () => {
    clearInterval(sampler);
    live.close();
  };
  try {
    await listen(server, options.port, options.host);
  } catch (error) {
    await cleanup();
    throw error;
  }
  let cgminer: Awaited<ReturnType<typeof startCgminerServer>> | null = null;
  if (options.cgminerPort !== null) {
    try {
      cgminer = await startCgminerServer({
        control,
        allow,
        log,
        host: options.host,
        port: options.cgminerPort,
      });
    } catch (error) {
      await cleanup();
      await closeHttp(server);
      throw error;
    }
  }
  const address = server.address();
  const httpPort = typeof address === 'object' && address !== null ? address.port : options.port;
  log.info({ host: options.host, httpPort, cgminerPort: cgminer?.port ?? null }, 'monitoring API listening');
  return {
    httpPort,
    cgminerPort: cgminer?.port ?? null,
    close: async () => {
      await cleanup();
      await Promise.all([closeHttp(server), cgminer?.close()]);
    },
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function closeHttp(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
