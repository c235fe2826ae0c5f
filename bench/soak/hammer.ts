/**
 * LAN-side load on the rig's listeners: a steady mix of HTTP reads, malformed requests and
 * cgminer commands (`api-hammer`), and clients that stream into a port without end and never
 * close (`api-stream`). Every connection has a timeout and every reconnect a bounded backoff, so
 * the campaign itself never piles up sockets.
 */
import { connect, type Socket } from 'node:net';

export interface HammerTargets {
  readonly httpPort: number;
  readonly cgminerPort: number;
}

const REQUEST_TIMEOUT_MS = 3_000;

export class ApiHammer {
  private timer: NodeJS.Timeout | undefined;
  private readonly random: () => number;
  private readonly targets: HammerTargets;
  requests = 0;
  failures = 0;

  constructor(targets: HammerTargets, random: () => number) {
    this.targets = targets;
    this.random = random;
  }

  /** One request every `periodMs`, never more than `maxOpen` at once. */
  start(periodMs = 100, maxOpen = 8): void {
    let open = 0;
    this.timer = setInterval(() => {
      if (open >= maxOpen) return;
      open++;
      this.requests++;
      void this.one().then((ok) => {
        open--;
        if (!ok) this.failures++;
      });
    }, periodMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private one(): Promise<boolean> {
    const r = this.random();
    const host = 'Host: rig\r\n';
    if (r < 0.5) {
      const paths = [
        '/api/system/info',
        '/metrics',
        '/api/system/asic',
        '/api/system/statistics?columns=hashrate,asicTemp',
        '/api/system/statistics/dashboard',
        '/',
        '/no/such/page',
        '/api/system/info?x=%zz',
      ];
      const path = paths[Math.floor(this.random() * paths.length)] ?? '/';
      return exchange(this.targets.httpPort, `GET ${path} HTTP/1.1\r\n${host}Connection: close\r\n\r\n`);
    }
    if (r < 0.65) {
      const bad = [
        'GARBAGE\r\n\r\n',
        `PATCH /api/system HTTP/1.1\r\n${host}Content-Length: 12\r\nConnection: close\r\n\r\n{"frequency"`,
        `POST /api/system/restart HTTP/1.1\r\n${host}Connection: close\r\n\r\n`,
        `GET /api/system/info HTTP/1.1\r\n${host}X-Long: ${'a'.repeat(20_000)}\r\n\r\n`,
        'GET /api/system/info HTTP/1.1\r\n',
      ];
      return exchange(this.targets.httpPort, bad[Math.floor(this.random() * bad.length)] ?? '');
    }
    const commands = [
      '{"command":"summary"}',
      '{"command":"pools"}',
      '{"command":"devs"}',
      '{"command":"summary+pools+stats"}',
      'version',
      '{"command":',
      '{"command":"nosuch"}',
      '\u0000\u0001\u0002',
    ];
    return exchange(this.targets.cgminerPort, commands[Math.floor(this.random() * commands.length)] ?? '');
  }
}

/** Writes `request`, reads until the server closes; false on error or timeout. */
function exchange(port: number, request: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' }, () => socket.write(request));
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(false);
    }, REQUEST_TIMEOUT_MS);
    socket.on('data', () => {});
    socket.once('error', () => {
      clearTimeout(timer);
      resolve(false);
    });
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/**
 * A client that opens a request (HTTP: a huge announced body; cgminer: a command that never ends)
 * and streams bytes into it forever, never closing its side. When the server cuts it off it comes
 * back after a bounded backoff. `bytesSent` shows how much the rig was made to swallow.
 */
export class EndlessStream {
  private socket: Socket | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private backoffMs = 250;
  private readonly port: number;
  private readonly preambles: readonly string[];
  bytesSent = 0;
  connections = 0;

  constructor(port: number, kind: 'http' | 'cgminer') {
    this.port = port;
    // HTTP alternates a body that never ends and bytes that keep coming after a complete request.
    this.preambles =
      kind === 'http'
        ? [
            'PATCH /api/system HTTP/1.1\r\nHost: rig\r\nContent-Type: application/json\r\nContent-Length: 99999999999\r\n\r\n{"x":"',
            'GET /api/system/info HTTP/1.1\r\nHost: rig\r\n\r\n',
          ]
        : ['{"command":"summary","parameter":"'];
  }

  start(chunkBytes = 16 * 1024, periodMs = 20): void {
    if (this.stopped) return;
    const chunk = Buffer.alloc(chunkBytes, 0x61);
    const socket = connect({ port: this.port, host: '127.0.0.1' }, () => {
      this.connections++;
      this.backoffMs = 250;
      socket.write(this.preambles[this.connections % this.preambles.length] ?? '');
      this.timer = setInterval(() => {
        // Respect back-pressure: a server that stops reading is not flooded from our side.
        if (socket.writableLength > chunkBytes * 4) return;
        socket.write(chunk);
        this.bytesSent += chunk.length;
      }, periodMs);
    });
    this.socket = socket;
    socket.on('data', () => {});
    socket.on('error', () => {});
    socket.once('close', () => {
      clearInterval(this.timer);
      if (this.stopped) return;
      setTimeout(() => this.start(chunkBytes, periodMs), this.backoffMs).unref();
      this.backoffMs = Math.min(5_000, this.backoffMs * 2);
    });
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    this.socket?.destroy();
  }
}
