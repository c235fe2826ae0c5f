/**
 * Live views: Server-Sent Events at /api/events (event "log": one log line, event "status": the
 * snapshot JSON) and the AxeOS WebSockets /api/ws (plain text log lines) and /api/ws/live (info
 * JSON on every status change), monitoring.md §3b. New clients first get the recent log lines and
 * the current status. Every outgoing log line passes `scrub`, so a secret that slipped into a log
 * line is still not served.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { RigControl, RigSnapshot } from './snapshot.js';
import { acceptWebSocket, type WsConnection } from './websocket.js';

interface LiveHubOptions {
  readonly control: RigControl;
  /** The AxeOS info JSON for /api/ws/live. */
  readonly infoOf: (snapshot: RigSnapshot) => unknown;
  readonly scrub: (line: string) => string;
  readonly heartbeatMs?: number;
  /** Called with the socket of each new stream (SSE or WebSocket), e.g. to give it stream deadlines. */
  readonly onStream?: (socket: Duplex) => void;
}

/**
 * Bytes a stream client may leave unread before it is dropped: a client that never reads would
 * otherwise make every log line and status push pile up in memory.
 */
const MAX_UNREAD_BYTES = 1024 * 1024;

export class LiveHub {
  readonly #options: LiveHubOptions;
  readonly #sse = new Set<ServerResponse>();
  readonly #logSockets = new Set<WsConnection>();
  readonly #liveSockets = new Set<WsConnection>();
  readonly #unsubscribe: (() => void)[] = [];
  readonly #heartbeat: NodeJS.Timeout;

  constructor(options: LiveHubOptions) {
    this.#options = options;
    this.#unsubscribe.push(options.control.onLog((line) => this.#publishLog(line)));
    this.#unsubscribe.push(options.control.onStatus((snapshot) => this.#publishStatus(snapshot)));
    // SSE comment lines keep proxies from timing the stream out; unref: never holds the process.
    this.#heartbeat = setInterval(() => {
      for (const res of this.#sse) this.#writeSse(res, ': ping\n\n');
    }, options.heartbeatMs ?? 15_000);
    this.#heartbeat.unref();
  }

  get clientCount(): number {
    return this.#sse.size + this.#logSockets.size + this.#liveSockets.size;
  }

  handleSse(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.write('retry: 3000\n\n');
    for (const line of this.#options.control.recentLogs())
      res.write(sseEvent('log', this.#options.scrub(line)));
    res.write(sseEvent('status', JSON.stringify(this.#options.control.snapshot())));
    this.#sse.add(res);
    const drop = () => this.#sse.delete(res);
    req.on('close', drop);
    res.on('error', drop);
    this.#options.onStream?.(req.socket);
  }

  /** Writes to one SSE client, or drops it once it has left MAX_UNREAD_BYTES unread. */
  #writeSse(res: ServerResponse, text: string): void {
    if (res.writableLength > MAX_UNREAD_BYTES) {
      this.#sse.delete(res);
      res.destroy();
      return;
    }
    res.write(text);
  }

  /** Handles an HTTP upgrade for /api/ws or /api/ws/live; false when the path is not ours. */
  handleUpgrade(req: IncomingMessage, socket: Duplex): boolean {
    const path = (req.url ?? '').split('?')[0];
    const set = path === '/api/ws' ? this.#logSockets : path === '/api/ws/live' ? this.#liveSockets : null;
    if (set === null) return false;
    const conn: WsConnection | null = acceptWebSocket(
      req,
      socket,
      () => {
        if (conn !== null) set.delete(conn);
      },
      { maxUnreadBytes: MAX_UNREAD_BYTES },
    );
    if (conn === null) return true;
    set.add(conn);
    this.#options.onStream?.(socket);
    if (set === this.#logSockets)
      for (const line of this.#options.control.recentLogs()) conn.sendText(this.#options.scrub(line));
    else conn.sendText(JSON.stringify(this.#options.infoOf(this.#options.control.snapshot())));
    return true;
  }

  close(): void {
    clearInterval(this.#heartbeat);
    for (const off of this.#unsubscribe) off();
    for (const res of this.#sse) res.end();
    for (const conn of [...this.#logSockets, ...this.#liveSockets]) conn.close(1001);
    this.#sse.clear();
    this.#logSockets.clear();
    this.#liveSockets.clear();
  }

  #publishLog(raw: string): void {
    const line = this.#options.scrub(raw);
    for (const res of this.#sse) this.#writeSse(res, sseEvent('log', line));
    for (const conn of this.#logSockets) conn.sendText(line);
  }

  #publishStatus(snapshot: RigSnapshot): void {
    if (this.#sse.size > 0) {
      const data = JSON.stringify(snapshot);
      for (const res of this.#sse) this.#writeSse(res, sseEvent('status', data));
    }
    if (this.#liveSockets.size > 0) {
      const info = JSON.stringify(this.#options.infoOf(snapshot));
      for (const conn of this.#liveSockets) conn.sendText(info);
    }
  }
}

/** One SSE event; a payload with line breaks becomes several `data:` lines (SSE spec). */
function sseEvent(event: string, data: string): string {
  return `event: ${event}\n${data
    .split(/\r\n|\r|\n/)
    .map((l) => `data: ${l}`)
    .join('\n')}\n\n`;
}
