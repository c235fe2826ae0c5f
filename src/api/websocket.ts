/**
 * A minimal RFC 6455 WebSocket server side: the opening handshake (§4.2.2, accept key = base64
 * SHA-1 of key + GUID), unmasked text frames out (§5.2, §5.6), masked frames in, ping -> pong and
 * close echo (§5.5). No extensions, no fragmentation on send; incoming data frames are ignored,
 * since /api/ws and /api/ws/live only push. Payloads over 64 KiB from a client close with 1009.
 * Incoming bytes are joined only once a whole header or frame is there (linear in the input),
 * nothing is read after the close, and a peer that does not answer our close is cut off.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'; // RFC 6455 §1.3
const MAX_INCOMING = 64 * 1024;

export const OPCODE = {
  continuation: 0x0,
  text: 0x1,
  binary: 0x2,
  close: 0x8,
  ping: 0x9,
  pong: 0xa,
} as const;

export function acceptKey(key: string): string {
  return createHash('sha1')
    .update(key + GUID)
    .digest('base64');
}

/** One server-to-client frame: FIN set, never masked (§5.1). */
export function encodeWsFrame(opcode: number, payload: Uint8Array): Buffer {
  const n = payload.length;
  const head = n < 126 ? Buffer.alloc(2) : n < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
  head[0] = 0x80 | opcode;
  if (n < 126) head[1] = n;
  else if (n < 65536) {
    head[1] = 126;
    head.writeUInt16BE(n, 2);
  } else {
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(n), 2);
  }
  return Buffer.concat([head, payload]);
}

interface WsFrame {
  readonly fin: boolean;
  readonly opcode: number;
  readonly payload: Buffer;
}

type ParseResult =
  | { kind: 'frame'; frame: WsFrame; rest: Buffer }
  /** `need`: how many bytes from the front of the buffer the next step needs. */
  | { kind: 'more'; need: number }
  | { kind: 'error'; code: number };

/** Parses one frame from the front of `buf`; client frames must be masked (§5.3). */
export function parseFrame(buf: Buffer, requireMask = true): ParseResult {
  if (buf.length < 2) return { kind: 'more', need: 2 };
  const b0 = buf[0] ?? 0;
  const b1 = buf[1] ?? 0;
  const masked = (b1 & 0x80) !== 0;
  if (requireMask && !masked) return { kind: 'error', code: 1002 };
  let length = b1 & 0x7f;
  let offset = 2;
  if (length === 126) {
    if (buf.length < 4) return { kind: 'more', need: 4 };
    length = buf.readUInt16BE(2);
    offset = 4;
  } else if (length === 127) {
    if (buf.length < 10) return { kind: 'more', need: 10 };
    const big = buf.readBigUInt64BE(2);
    if (big > BigInt(MAX_INCOMING)) return { kind: 'error', code: 1009 };
    length = Number(big);
    offset = 10;
  }
  if (length > MAX_INCOMING) return { kind: 'error', code: 1009 };
  const maskLength = masked ? 4 : 0;
  if (buf.length < offset + maskLength + length) return { kind: 'more', need: offset + maskLength + length };
  const mask = buf.subarray(offset, offset + maskLength);
  const payload = Buffer.from(buf.subarray(offset + maskLength, offset + maskLength + length));
  if (masked) for (let i = 0; i < payload.length; i++) payload[i] = (payload[i] ?? 0) ^ (mask[i % 4] ?? 0);
  return {
    kind: 'frame',
    frame: { fin: (b0 & 0x80) !== 0, opcode: b0 & 0x0f, payload },
    rest: buf.subarray(offset + maskLength + length),
  };
}

export interface WsConnection {
  sendText(text: string): void;
  close(code?: number): void;
  readonly closed: boolean;
}

/**
 * Completes the handshake on an 'upgrade' request, or answers 400 and returns null. `onClose`
 * runs once, however the connection ends.
 */
interface WsLimits {
  /** Bytes the peer may leave unread before the connection is dropped (a client that never reads). */
  readonly maxUnreadBytes?: number;
  /** How long the peer has to close TCP after our close frame before the socket is destroyed. */
  readonly closeGraceMs?: number;
}

export function acceptWebSocket(
  req: IncomingMessage,
  socket: Duplex,
  onClose: () => void,
  limits: WsLimits = {},
): WsConnection | null {
  const maxUnread = limits.maxUnreadBytes ?? Number.POSITIVE_INFINITY;
  const closeGraceMs = limits.closeGraceMs ?? 2_000;
  const key = req.headers['sec-websocket-key'];
  const version = req.headers['sec-websocket-version'];
  const upgrade = req.headers.upgrade ?? '';
  if (typeof key !== 'string' || upgrade.toLowerCase() !== 'websocket' || version !== '13') {
    socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    return null;
  }
  socket.write(
    'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      `Sec-WebSocket-Accept: ${acceptKey(key)}\r\n\r\n`,
  );
  let closed = false;
  // Received chunks not yet parsed; joined only when `need` bytes are there.
  let chunks: Buffer[] = [];
  let buffered = 0;
  let need = 2;
  const finish = () => {
    if (closed) return;
    closed = true;
    chunks = [];
    onClose();
  };
  const push = (frame: Buffer) => {
    if (socket.writableLength > maxUnread) {
      socket.destroy();
      finish();
      return;
    }
    socket.write(frame);
  };
  const endSocket = (last: Buffer) => {
    socket.end(last);
    setTimeout(() => socket.destroy(), closeGraceMs).unref();
  };
  const conn: WsConnection = {
    get closed() {
      return closed;
    },
    sendText(text) {
      if (!closed) push(encodeWsFrame(OPCODE.text, Buffer.from(text, 'utf8')));
    },
    close(code = 1000) {
      if (closed) return;
      const body = Buffer.alloc(2);
      body.writeUInt16BE(code, 0);
      endSocket(encodeWsFrame(OPCODE.close, body));
      finish();
    },
  };
  socket.on('data', (chunk: Buffer) => {
    if (closed) return;
    chunks.push(chunk);
    buffered += chunk.length;
    if (buffered < need) return;
    let pending = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, buffered);
    for (;;) {
      if (closed) return;
      const result = parseFrame(pending);
      if (result.kind === 'more') {
        chunks = [pending];
        buffered = pending.length;
        need = result.need;
        return;
      }
      if (result.kind === 'error') {
        conn.close(result.code);
        return;
      }
      pending = result.rest;
      const { opcode, payload } = result.frame;
      if (opcode === OPCODE.ping) push(encodeWsFrame(OPCODE.pong, payload));
      else if (opcode === OPCODE.close) {
        // Echo the status code back (§5.5.1), then close the TCP side.
        if (!closed) endSocket(encodeWsFrame(OPCODE.close, payload.subarray(0, 2)));
        finish();
        return;
      }
    }
  });
  socket.on('close', finish);
  socket.on('error', finish);
  return conn;
}
