/**
 * The AxeOS-compatible HTTP API (monitoring.md §3a/§3b, ESP-Miner openapi.yaml) plus our own
 * extras: GET /api/system/info|asic|statistics[/dashboard]|scoreboard|metrics, PATCH /api/system,
 * POST /api/system/{restart,pause,resume,identify}, GET /metrics, /api/sv2miner/snapshot, the SSE
 * stream /api/events and the dashboard at /. Writes need `Authorization: Bearer <token>` (401
 * otherwise); reads stay open so pyasic works. Responses never carry a password, token or key.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ConfigError } from '../errors.js';
import type { Logger } from '../log.js';
import { bearerMatches } from './auth.js';
import { asicInfo, systemInfo } from './axeos.js';
import { DASHBOARD_COLUMNS, type HashrateHistory } from './history.js';
import type { HostFacts } from './host-info.js';
import type { LiveHub } from './live.js';
import { METRICS_CONTENT_TYPE, renderMetrics } from './metrics.js';
import { settingsFromBody } from './settings.js';
import type { RigControl } from './snapshot.js';
import type { WebAssets } from './static.js';

interface RestContext {
  readonly control: RigControl;
  readonly token: string;
  readonly history: HashrateHistory;
  readonly host: HostFacts;
  readonly live: LiveHub;
  readonly web: WebAssets;
  readonly log: Logger;
}

/** The largest PATCH body we read (a settings object is a few hundred bytes); over it: 413. */
export const MAX_BODY_BYTES = 64 * 1024;
/**
 * Request line plus headers; over it Node's parser fails and the client gets 431. Node's own
 * default, stated here: browsers send the cookies of every port of the rig's address.
 */
export const MAX_HEADER_BYTES = 16 * 1024;

type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> | void;

export function createRestHandler(ctx: RestContext): (req: IncomingMessage, res: ServerResponse) => void {
  const json = (res: ServerResponse, status: number, body: unknown) =>
    send(res, status, 'application/json', JSON.stringify(body));
  const snapshotJson = (res: ServerResponse, pick: (s: ReturnType<RigControl['snapshot']>) => unknown) =>
    json(res, 200, pick(ctx.control.snapshot()));
  const action =
    (name: string, run: () => Promise<void>): Handler =>
    async (_req, res) => {
      await run();
      json(res, 200, { message: `${name} accepted` });
    };

  const reads: Record<string, Handler> = {
    '/api/system/info': (_q, res) => snapshotJson(res, (s) => systemInfo(s, ctx.host)),
    '/api/system/asic': (_q, res) => snapshotJson(res, asicInfo),
    '/api/system/statistics': (_q, res, url) => {
      const cols = url.searchParams.get('columns');
      const columns =
        cols === null || cols.trim() === ''
          ? null
          : cols
              .split(',')
              .map((c) => c.trim())
              .filter(Boolean);
      json(res, 200, ctx.history.statistics(columns, uptimeMs(ctx)));
    },
    '/api/system/statistics/dashboard': (_q, res) =>
      json(res, 200, ctx.history.statistics(DASHBOARD_COLUMNS, uptimeMs(ctx))),
    // We keep no per-share log yet; an empty top list is a valid scoreboard.
    '/api/system/scoreboard': (_q, res) => json(res, 200, []),
    '/api/system/metrics': (_q, res) =>
      send(res, 200, METRICS_CONTENT_TYPE, renderMetrics(ctx.control.snapshot())),
    '/metrics': (_q, res) => send(res, 200, METRICS_CONTENT_TYPE, renderMetrics(ctx.control.snapshot())),
    '/api/sv2miner/snapshot': (_q, res) => snapshotJson(res, (s) => s),
    '/api/events': (req, res) => ctx.live.handleSse(req, res),
  };
  const writes: Record<string, Handler> = {
    'PATCH /api/system': async (req, res) => {
      const body = await readJsonBody(req);
      await ctx.control.applySettings(settingsFromBody(body, ctx.control.snapshot()));
      json(res, 200, { message: 'settings applied' });
    },
    'POST /api/system/restart': action('restart', () => ctx.control.restart()),
    'POST /api/system/pause': action('pause', () => ctx.control.pause()),
    'POST /api/system/resume': action('resume', () => ctx.control.resume()),
    // No LED or screen to blink on a Linux host: accepted and ignored.
    'POST /api/system/identify': action('identify', async () => {}),
  };

  return (req, res) => {
    const url = requestUrl(req.url);
    if (url === undefined) {
      json(res, 400, { error: 'bad request target: expected a path starting with /' });
      req.resume();
      return;
    }
    const method = req.method ?? 'GET';
    const run = async () => {
      const write = writes[`${method} ${url.pathname}`];
      if (write !== undefined) {
        if (!bearerMatches(req.headers.authorization, ctx.token)) {
          res.setHeader('WWW-Authenticate', 'Bearer realm="sv2miner"');
          json(res, 401, { error: 'unauthorized: send Authorization: Bearer <api token>' });
          req.resume();
          return;
        }
        await write(req, res, url);
        return;
      }
      // Only PATCH reads a body: one sent anywhere else is refused before it is streamed in.
      if (bodyPending(req))
        throw new BodyError(413, `no request body expected for ${method} ${url.pathname}`);
      if (method === 'GET' || method === 'HEAD') {
        const read = reads[url.pathname];
        if (read !== undefined) return read(req, res, url);
        const asset = ctx.web.get(url.pathname);
        if (asset !== undefined) return send(res, 200, asset.type, asset.body);
      }
      const known = url.pathname in reads || Object.keys(writes).some((k) => k.endsWith(` ${url.pathname}`));
      json(res, known ? 405 : 404, {
        error: known ? `method ${method} not allowed` : `no route ${url.pathname}`,
      });
    };
    run().catch((error: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (error instanceof BodyError) json(res, error.status, { error: error.message });
      else if (error instanceof ConfigError) json(res, 400, { error: error.message });
      else {
        ctx.log.error({ err: error, path: url.pathname }, 'API request failed');
        json(res, 500, { error: 'internal error' });
      }
    });
  };
}

class BodyError extends Error {
  readonly status: 400 | 413;
  constructor(status: 400 | 413, message: string) {
    super(message);
    this.status = status;
  }
}

/**
 * The whole body, refused (413) as soon as it is announced or grows over MAX_BODY_BYTES. What a
 * refused client sends after that is never kept: the reply closes the connection (see send).
 */
function readBody(req: IncomingMessage): Promise<Buffer> {
  const tooLarge = () => new BodyError(413, `body over ${MAX_BODY_BYTES} bytes`);
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.off('data', onData);
        req.off('end', onEnd);
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => resolve(Buffer.concat(chunks, size));
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', reject);
    // A client gone mid-body settles the read instead of leaving it pending for ever.
    req.once('close', () => {
      if (!req.complete) reject(new BodyError(400, 'body: connection closed before its end'));
    });
  });
}

async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const text = (await readBody(req)).toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    // Never echo the body: it may hold a pool password.
    throw new BodyError(400, 'body: expected JSON, got unparsable text');
  }
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  // A request body we did not read to its end (refused, or sent to a route without one) would
  // otherwise be read and dropped for as long as the client streams it: close after the reply.
  if (bodyPending(res.req)) res.shouldKeepAlive = false;
  res.writeHead(status, {
    'Content-Type': type,
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

/** True while a request announced a body that has not been read to its end. */
function bodyPending(req: IncomingMessage): boolean {
  const announced =
    req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
  return announced && !req.complete;
}

function uptimeMs(ctx: RestContext): number {
  return Math.round(ctx.control.snapshot().uptimeS * 1000);
}

/**
 * The request target as a URL. Only origin-form targets (`/path?query`) are served; a target the
 * URL parser refuses (`//`, `*`, a bare authority) is a 400 answer, never an exception thrown out
 * of the handler.
 */
function requestUrl(target: string | undefined): URL | undefined {
  const path = target ?? '/';
  if (!path.startsWith('/')) return undefined;
  try {
    return new URL(`http://localhost${path}`);
  } catch {
    return undefined;
  }
}
