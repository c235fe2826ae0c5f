/**
 * Starts every monitoring surface for one RigControl: the AxeOS HTTP API with dashboard, SSE and
 * WebSockets (rest.ts, live.ts), the cgminer API on its own TCP port (cgminer.ts), and the history
 * sampler behind /api/system/statistics. The one entry point the daemon calls; close() stops all.
 */
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { type Logger, silentLog } from '../log.js';
import { DEFAULT_CGMINER_ALLOW, parseAllowList } from '../net/cidr.js';
import { ConnectionGuard, type ListenerLimits } from '../net/connection-guard.js';
import { systemInfo } from './axeos.js';
import { CGMINER_LIMITS, startCgminerServer } from './cgminer.js';
import { HashrateHistory } from './history.js';
import { readHostFacts } from './host-info.js';
import { LiveHub } from './live.js';
import { createRestHandler, MAX_HEADER_BYTES } from './rest.js';
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
  /** For tests: tighter connection bounds than HTTP_LIMITS / CGMINER_LIMITS. */
  readonly limits?: {
    readonly http?: Partial<ListenerLimits>;
    readonly cgminer?: Partial<ListenerLimits>;
  };
}

/**
 * The HTTP listener's bounds. Requests are short; a keep-alive connection is recycled after its
 * lifetime. An SSE or WebSocket stream gets STREAM_DEADLINES instead once it is set up.
 */
const HTTP_LIMITS: ListenerLimits = {
  maxConnections: 64,
  maxConnectionsPerAddress: 16,
  idleMs: 30_000,
  lifetimeMs: 300_000,
  closeGraceMs: 2_000,
};
/** A stream only pushes, so it may be silent; EventSource and AxeOS clients reconnect after an hour. */
const STREAM_DEADLINES = { idleMs: 0, lifetimeMs: 3_600_000 } as const;

const BUSY_BODY = '{"error":"too many API connections"}';
const BUSY_REPLY =
  'HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Type: application/json\r\n' +
  `Retry-After: 5\r\nContent-Length: ${BUSY_BODY.length}\r\n\r\n${BUSY_BODY}`;

export interface RunningApi {
  readonly httpPort: number;
  readonly cgminerPort: number | null;
  /** Connections open now and refused over a limit since start, per listener (tests, soak). */
  connections(): {
    readonly http: { readonly open: number; readonly refused: number };
    readonly cgminer: { readonly open: number; readonly refused: number } | null;
  };
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
  const guard = new ConnectionGuard({
    limits: { ...HTTP_LIMITS, ...options.limits?.http },
    refuse: (socket) => socket.write(BUSY_REPLY),
  });
  const live = new LiveHub({
    control,
    infoOf: (s) => systemInfo(s, host),
    scrub,
    onStream: (socket) => guard.relimit(socket as Socket, STREAM_DEADLINES),
  });
  const web = loadWebAssets(options.webDir);
  const rest = createRestHandler({ control, token, history, host, live, web, log });
  const server: Server = createServer({ maxHeaderSize: MAX_HEADER_BYTES }, (req, res) => {
    // A refused connection already has its 503; whatever it sent is not served.
    if (guard.has(req.socket)) rest(req, res);
    else req.socket.destroy();
  });
  // Node's own deadlines for a request still arriving; the guard bounds the connection as a whole.
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.on('connection', (socket: Socket) => guard.admit(socket));
  server.on('upgrade', (req, socket: Socket) => {
    if (!guard.has(socket)) socket.destroy();
    else if (!live.handleUpgrade(req, socket))
      guard.end(socket, 'done', 'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
  });
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    const status = CLIENT_ERROR_STATUS[error.code ?? ''] ?? '400 Bad Request';
    if (guard.has(socket) && socket.writable)
      guard.end(socket, 'done', `HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    else socket.destroy();
  });

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
        token,
        limits: { ...CGMINER_LIMITS, ...options.limits?.cgminer },
      });
    } catch (error) {
      await cleanup();
      await closeHttp(server, guard);
      throw error;
    }
  }
  const address = server.address();
  const httpPort = typeof address === 'object' && address !== null ? address.port : options.port;
  log.info({ host: options.host, httpPort, cgminerPort: cgminer?.port ?? null }, 'monitoring API listening');
  return {
    httpPort,
    cgminerPort: cgminer?.port ?? null,
    connections: () => ({
      http: { open: guard.size, refused: guard.refused },
      cgminer: cgminer === null ? null : cgminer.connections(),
    }),
    close: async () => {
      await cleanup();
      await Promise.all([closeHttp(server, guard), cgminer?.close()]);
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

/** Resolves once every connection is gone: a peer that keeps its side open is destroyed after the grace. */
async function closeHttp(server: Server, guard: ConnectionGuard): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  await guard.close();
  await closed;
}

/** Node's parser error codes with an HTTP answer more precise than 400 (RFC 6585 §5, RFC 9110). */
const CLIENT_ERROR_STATUS: Readonly<Record<string, string>> = {
  HPE_HEADER_OVERFLOW: '431 Request Header Fields Too Large',
  ERR_HTTP_REQUEST_TIMEOUT: '408 Request Timeout',
  HPE_CHUNK_EXTENSIONS_OVERFLOW: '413 Content Too Large',
};
