/**
 * Issue 12, hostile LAN: no client on the LAN can make the API listeners hold memory, connections
 * or the process. Every case streams 50 MB (or holds sockets open) into a real listener on
 * 127.0.0.1 and checks the answer, that the server cut the stream short, that the bytes were not
 * retained, and that other clients are still served.
 */
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_REQUEST_BYTES } from '../../src/api/cgminer.js';
import { MAX_BODY_BYTES, MAX_HEADER_BYTES } from '../../src/api/rest.js';
import { retainedBytes, streamInto, stubbornPeer } from '../helpers/hostile-peer.js';
import { waitFor } from '../helpers/wait.js';
import { cgminer, type Harness, startHarness, TOKEN } from './helpers/api.js';
import { openRawWs } from './helpers/ws-client.js';

const MB = 1024 * 1024;
const STREAM = 50 * MB;
/** Retained growth allowed per 50 MB stream: a kept request buffer would be 50 MB or more. */
const MAX_GROWTH = 8 * MB;

let h: Harness;
let cgPort: number;

beforeAll(async () => {
  // Short grace, so a peer that ignores our close is cut off within the test.
  h = await startHarness({ limits: { http: { closeGraceMs: 200 }, cgminer: { closeGraceMs: 200 } } });
  cgPort = h.api.cgminerPort ?? 0;
});
afterAll(() => h.close());

const statusLine = (reply: Buffer) => reply.toString('latin1').split('\r\n')[0];

async function stillServes(): Promise<void> {
  expect((await h.http('/api/system/info')).status).toBe(200);
  const reply = await cgminer(cgPort, '{"command":"summary"}');
  expect((reply['STATUS'] as { STATUS: string }[])[0]?.STATUS).toBe('S');
}

/** Runs `attack` and returns how much memory it left behind. */
async function growthOf(attack: () => Promise<void>): Promise<number> {
  const before = retainedBytes();
  await attack();
  return retainedBytes() - before;
}

describe('a client streaming without end into a listener', () => {
  it('HTTP: endless header lines get 431 and the connection is closed', async () => {
    let result: Awaited<ReturnType<typeof streamInto>> | undefined;
    const growth = await growthOf(async () => {
      result = await streamInto(h.api.httpPort, {
        prefix: 'GET /api/system/info HTTP/1.1\r\nHost: x\r\nX-Junk: ',
        total: STREAM,
      });
    });
    expect(statusLine(result?.reply ?? Buffer.alloc(0))).toBe('HTTP/1.1 431 Request Header Fields Too Large');
    expect(result?.closedByServer).toBe(true);
    expect(growth).toBeLessThan(MAX_GROWTH);
    await stillServes();
  });

  it('HTTP: headers under the bound are served (a 12 KiB cookie)', async () => {
    const r = await streamInto(h.api.httpPort, {
      prefix: `GET /api/system/info HTTP/1.1\r\nHost: x\r\nConnection: close\r\nCookie: c=${'x'.repeat(12 * 1024)}\r\n\r\n`,
      total: 0,
    });
    expect(statusLine(r.reply)).toBe('HTTP/1.1 200 OK');
    expect(MAX_HEADER_BYTES).toBe(16 * 1024);
  });

  it('HTTP: an endless chunked PATCH body gets 413 once past the body limit, and is not read on', async () => {
    let result: Awaited<ReturnType<typeof streamInto>> | undefined;
    const growth = await growthOf(async () => {
      result = await streamInto(h.api.httpPort, {
        prefix:
          `PATCH /api/system HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\n` +
          'Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n',
        // One 64 KiB chunk after another, never the last chunk.
        chunk: () =>
          Buffer.concat([Buffer.from('10000\r\n'), Buffer.alloc(0x10000, 0x20), Buffer.from('\r\n')]),
        total: STREAM,
      });
    });
    const text = result?.reply.toString('utf8') ?? '';
    expect(statusLine(result?.reply ?? Buffer.alloc(0))).toBe('HTTP/1.1 413 Payload Too Large');
    expect(text).toContain('Connection: close');
    expect(text).toContain(`body over ${MAX_BODY_BYTES} bytes`);
    expect(result?.closedByServer).toBe(true);
    expect(growth).toBeLessThan(MAX_GROWTH);
    expect(h.rig.calls.filter((c) => c.kind === 'applySettings')).toEqual([]);
    await stillServes();
  });

  it('HTTP: a body announced over the limit is refused before it is read', async () => {
    const result = await streamInto(h.api.httpPort, {
      prefix:
        `PATCH /api/system HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\n` +
        `Content-Length: ${STREAM}\r\n\r\n`,
      total: STREAM,
    });
    expect(statusLine(result.reply)).toBe('HTTP/1.1 413 Payload Too Large');
    expect(result.closedByServer).toBe(true);
  });

  it('HTTP and SSE: a body sent to a route that takes none is refused (413) and the connection closed', async () => {
    for (const path of ['/api/system/info', '/api/events']) {
      let result: Awaited<ReturnType<typeof streamInto>> | undefined;
      const growth = await growthOf(async () => {
        result = await streamInto(h.api.httpPort, {
          prefix: `GET ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: ${STREAM}\r\n\r\n`,
          total: STREAM,
        });
      });
      expect(statusLine(result?.reply ?? Buffer.alloc(0)), path).toBe('HTTP/1.1 413 Payload Too Large');
      expect(result?.reply.toString('utf8')).toContain(`no request body expected for GET ${path}`);
      expect(result?.closedByServer, path).toBe(true);
      expect(growth, path).toBeLessThan(MAX_GROWTH);
    }
    await stillServes();
  });

  it('WebSocket: a frame over 64 KiB closes with 1009 (RFC 6455 §7.4.1, message too big)', async () => {
    const ws = await openRawWs(h.api.httpPort, '/api/ws');
    const raw: Buffer[] = [];
    ws.socket.on('data', (c: Buffer) => raw.push(c));
    // Masked text frame announcing 2^40 bytes (64-bit length).
    ws.socket.write(Buffer.from([0x81, 0xff, 0, 0, 0, 0x01, 0, 0, 0, 0, 1, 2, 3, 4]));
    await ws.waitFor(() => ws.opcodes.includes(0x8));
    // The close frame: FIN + opcode 8, 2-byte payload 1009 = 0x03f1.
    expect(Buffer.concat(raw).includes(Buffer.from([0x88, 0x02, 0x03, 0xf1]))).toBe(true);
    ws.socket.destroy();
  });

  it('WebSocket: nothing a client streams after an oversized frame is kept', async () => {
    const upgrade =
      'GET /api/ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n';
    const header = Buffer.from([0x81, 0xff, 0, 0, 0, 0x01, 0, 0, 0, 0, 1, 2, 3, 4]);
    let result: Awaited<ReturnType<typeof streamInto>> | undefined;
    const growth = await growthOf(async () => {
      result = await streamInto(h.api.httpPort, {
        prefix: Buffer.concat([Buffer.from(upgrade), header]),
        total: STREAM,
      });
    });
    expect(statusLine(result?.reply ?? Buffer.alloc(0))).toBe('HTTP/1.1 101 Switching Protocols');
    expect(result?.closedByServer).toBe(true);
    expect(growth).toBeLessThan(MAX_GROWTH);
    await stillServes();
  });

  it('cgminer: keeps at most MAX_REQUEST_BYTES, answers once, and reads nothing after its reply', async () => {
    let result: Awaited<ReturnType<typeof streamInto>> | undefined;
    const growth = await growthOf(async () => {
      result = await streamInto(cgPort, { prefix: '{"command":"', total: STREAM });
    });
    const reply = result?.reply ?? Buffer.alloc(0);
    expect(reply.indexOf(0)).toBe(reply.length - 1);
    expect(JSON.parse(reply.subarray(0, -1).toString('utf8'))).toMatchObject({
      STATUS: [{ STATUS: 'E', Code: 23, Msg: 'Invalid JSON' }],
    });
    expect(result?.closedByServer).toBe(true);
    expect(growth).toBeLessThan(MAX_GROWTH);
    expect(MAX_REQUEST_BYTES).toBe(8192);
    await stillServes();
  });
});

describe('connection limits', () => {
  it('HTTP: over the per-address limit gets 503 and is closed; a freed slot is usable again', async () => {
    const api = await startHarness({ limits: { http: { maxConnectionsPerAddress: 2, closeGraceMs: 200 } } });
    const held: Socket[] = [];
    try {
      for (let i = 0; i < 2; i++) held.push(await stubbornPeer(api.api.httpPort));
      const refused = await streamInto(api.api.httpPort, {
        prefix: 'GET /api/system/info HTTP/1.1\r\nHost: x\r\n\r\n',
        total: 0,
      });
      expect(statusLine(refused.reply)).toBe('HTTP/1.1 503 Service Unavailable');
      expect(refused.reply.toString('utf8')).toContain('too many API connections');
      // Another address (127.0.0.2 is loopback too) has its own allowance.
      const other = await streamInto(api.api.httpPort, {
        prefix: 'GET /api/system/info HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
        total: 0,
        localAddress: '127.0.0.2',
      });
      expect(statusLine(other.reply)).toBe('HTTP/1.1 200 OK');
      expect(api.api.connections().http).toMatchObject({ open: 2, refused: 1 });
      const first = held.shift() as Socket;
      first.destroy();
      await waitFor(() => api.api.connections().http.open === 1);
      expect((await api.http('/api/system/info')).status).toBe(200);
    } finally {
      for (const s of held) s.destroy();
      await api.close();
    }
  });

  it('HTTP: over the total limit gets 503 whatever the address', async () => {
    const api = await startHarness({ limits: { http: { maxConnections: 2, closeGraceMs: 200 } } });
    const held: Socket[] = [];
    try {
      for (const addr of ['127.0.0.3', '127.0.0.4'])
        held.push(
          await new Promise<Socket>((r) => {
            const s: Socket = connect({ port: api.api.httpPort, host: '127.0.0.1', localAddress: addr }, () =>
              r(s),
            );
          }),
        );
      const refused = await streamInto(api.api.httpPort, {
        prefix: 'GET /api/system/info HTTP/1.1\r\nHost: x\r\n\r\n',
        total: 0,
        localAddress: '127.0.0.5',
      });
      expect(statusLine(refused.reply)).toBe('HTTP/1.1 503 Service Unavailable');
    } finally {
      for (const s of held) s.destroy();
      await api.close();
    }
  });

  it('cgminer: over the per-address limit gets cgminer error JSON and is closed', async () => {
    const api = await startHarness({
      limits: { cgminer: { maxConnectionsPerAddress: 1, closeGraceMs: 200 } },
    });
    const port = api.api.cgminerPort ?? 0;
    const held = await stubbornPeer(port);
    try {
      const refused = await streamInto(port, { prefix: 'summary', total: 0 });
      expect(refused.reply.at(-1)).toBe(0);
      expect(JSON.parse(refused.reply.subarray(0, -1).toString('utf8'))).toMatchObject({
        STATUS: [{ STATUS: 'E', Code: 45, Msg: 'Access denied: too many API connections' }],
      });
    } finally {
      held.destroy();
      await api.close();
    }
  });

  it('HTTP: an idle connection is closed once its idle time is up', async () => {
    const api = await startHarness({ limits: { http: { idleMs: 100, closeGraceMs: 100 } } });
    try {
      const peer = await stubbornPeer(api.api.httpPort);
      await peer.serverEnded;
      // The peer never closes: the server's socket is destroyed after the grace all the same.
      await waitFor(() => api.api.connections().http.open === 0);
      peer.destroy();
    } finally {
      await api.close();
    }
  });
});

describe('close() never waits on a peer that keeps its side of TCP open', () => {
  it('with a keep-alive HTTP client, a WebSocket, an SSE stream and a cgminer client open', async () => {
    const api = await startHarness({
      limits: { http: { closeGraceMs: 100 }, cgminer: { closeGraceMs: 100 } },
    });
    const http = await stubbornPeer(api.api.httpPort, 'GET /api/system/info HTTP/1.1\r\nHost: x\r\n\r\n');
    const sse = await stubbornPeer(api.api.httpPort, 'GET /api/events HTTP/1.1\r\nHost: x\r\n\r\n');
    const ws = await openRawWs(api.api.httpPort, '/api/ws');
    ws.socket.allowHalfOpen = true;
    ws.socket.removeAllListeners('end');
    const cg = await stubbornPeer(api.api.cgminerPort ?? 0, '{"command":"summ');
    await waitFor(() => api.api.connections().http.open === 3);
    expect(api.api.connections()).toEqual({
      http: { open: 3, refused: 0 },
      cgminer: { open: 1, refused: 0 },
    });
    // Resolves although no peer ever closes its side: each socket is destroyed after the grace.
    await api.close();
    expect(api.api.connections()).toEqual({
      http: { open: 0, refused: 0 },
      cgminer: { open: 0, refused: 0 },
    });
    await Promise.all([http.serverEnded, sse.serverEnded, cg.serverEnded]);
    for (const s of [http, sse, ws.socket, cg]) s.destroy();
  });
});

describe('stream clients that never read', () => {
  it('an SSE client and a WebSocket client that leave over 1 MiB unread are dropped; others keep streaming', async () => {
    const api = await startHarness();
    try {
      const sse = await stubbornPeer(api.api.httpPort, 'GET /api/events HTTP/1.1\r\nHost: x\r\n\r\n');
      const ws = await openRawWs(api.api.httpPort, '/api/ws');
      const reader = await openRawWs(api.api.httpPort, '/api/ws');
      // The two slow clients stop reading; the kernel buffers fill, then the server's.
      sse.pause();
      ws.socket.pause();
      await waitFor(() => api.api.connections().http.open === 3);
      const line = 'x'.repeat(16 * 1024);
      for (let i = 0; i < 2_000 && api.api.connections().http.open > 1; i++) {
        api.rig.emitLog(line);
        if (i % 16 === 15) await new Promise((r) => setImmediate(r));
      }
      await waitFor(() => api.api.connections().http.open === 1);
      // The client that reads keeps getting the lines.
      await reader.waitFor((m) => m.filter((l) => l === line).length > 64);
      reader.socket.destroy();
      sse.destroy();
      ws.socket.destroy();
    } finally {
      await api.close();
    }
  });
});
