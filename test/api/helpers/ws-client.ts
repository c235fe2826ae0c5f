/**
 * A raw WebSocket test client (Node 20 has no global WebSocket): sends the RFC 6455 opening
 * handshake with a fixed key, checks the 101 reply, masks its frames, and decodes server text
 * frames by hand (independently of src/api/websocket.ts) into a message list.
 */
import { connect, type Socket } from 'node:net';

interface RawWs {
  readonly messages: string[];
  readonly opcodes: number[];
  readonly handshake: string;
  readonly socket: Socket;
  send(opcode: number, payload: Buffer): void;
  waitFor(predicate: (messages: string[]) => boolean, ms?: number): Promise<void>;
}

export function openRawWs(port: number, path: string, key = 'dGhlIHNhbXBsZSBub25jZQ=='): Promise<RawWs> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' });
    const messages: string[] = [];
    const opcodes: number[] = [];
    let buf = Buffer.alloc(0);
    let handshake: string | null = null;
    socket.on('error', reject);
    socket.on('connect', () =>
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      ),
    );
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (handshake === null) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        handshake = buf.subarray(0, end).toString('latin1');
        buf = buf.subarray(end + 4);
        resolve(client);
      }
      // Server frames: unmasked, FIN set; 7-bit or 16-bit lengths are enough for these tests.
      while (buf.length >= 2) {
        const len7 = (buf[1] ?? 0) & 0x7f;
        const [len, off] = len7 === 126 ? [buf.length >= 4 ? buf.readUInt16BE(2) : Infinity, 4] : [len7, 2];
        if (buf.length < off + len) break;
        opcodes.push((buf[0] ?? 0) & 0x0f);
        messages.push(buf.subarray(off, off + len).toString('utf8'));
        buf = buf.subarray(off + len);
      }
    });
    const client: RawWs = {
      messages,
      opcodes,
      get handshake() {
        return handshake ?? '';
      },
      socket,
      send(opcode, payload) {
        const mask = Buffer.from([0x37, 0xfa, 0x21, 0x3d]);
        const masked = Buffer.from(payload.map((b, i) => b ^ (mask[i % 4] ?? 0)));
        socket.write(Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | payload.length]), mask, masked]));
      },
      async waitFor(predicate, ms = 3000) {
        const start = Date.now();
        while (!predicate(messages)) {
          if (Date.now() - start > ms) throw new Error(`timed out; got ${JSON.stringify(messages)}`);
          await new Promise((r) => setTimeout(r, 10));
        }
      },
    };
  });
}
