/**
 * Hostile LAN peers for the listener tests: a client that streams without end into a port (with
 * backpressure, so only the server can hold what it sends), a peer that keeps its half of TCP
 * open, and a memory probe that collects garbage first so growth means retained bytes.
 */
import { connect, type Socket } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

interface StreamResult {
  /** Bytes the client handed to its socket before the server closed it (or the total was sent). */
  readonly written: number;
  /** Everything the server sent back. */
  readonly reply: Buffer;
  /** True when the server ended or reset the connection before the whole stream was sent. */
  readonly closedByServer: boolean;
}

const FILLER = Buffer.alloc(64 * 1024, 0x61); // 'a'

/**
 * Connects, writes `prefix`, then `total` bytes of filler (or `chunk()` per write), and resolves
 * once the server has closed the connection or everything was written and the server then closed.
 */
export function streamInto(
  port: number,
  options: {
    prefix?: Buffer | string;
    total: number;
    chunk?: () => Buffer;
    host?: string;
    localAddress?: string;
  },
): Promise<StreamResult> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    let written = 0;
    let finished = false;
    let serverGone = false;
    const socket = connect({
      port,
      host: options.host ?? '127.0.0.1',
      ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
    });
    const done = () => {
      if (finished) return;
      finished = true;
      socket.destroy();
      resolve({ written, reply: Buffer.concat(parts), closedByServer: serverGone });
    };
    socket.on('data', (c: Buffer) => parts.push(c));
    socket.on('end', () => {
      serverGone = written < options.total;
      done();
    });
    socket.on('error', () => {
      serverGone = true;
      done();
    });
    socket.on('close', done);
    const pump = () => {
      while (!finished && written < options.total) {
        const piece = options.chunk?.() ?? FILLER;
        const slice =
          piece.length > options.total - written ? piece.subarray(0, options.total - written) : piece;
        written += slice.length;
        if (!socket.write(slice)) {
          socket.once('drain', pump);
          return;
        }
      }
      // Everything sent: half-close and wait for the server to answer and close.
      if (!finished) socket.end();
    };
    socket.on('connect', () => {
      if (options.prefix !== undefined) socket.write(options.prefix);
      pump();
    });
  });
}

/** Opens a connection that never closes its side of TCP (allowHalfOpen), after sending `hello`. */
export function stubbornPeer(port: number, hello?: string): Promise<Socket & { serverEnded: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    socket.on('data', () => {});
    socket.on('error', () => {});
    const serverEnded = new Promise<void>((r) => socket.once('end', () => r()));
    socket.once('connect', () => {
      if (hello !== undefined) socket.write(hello);
      resolve(Object.assign(socket, { serverEnded }));
    });
    socket.once('error', reject);
  });
}

let gcFn: (() => void) | undefined;
/** A full garbage collection (V8's gc exposed at run time; vitest runs without --expose-gc). */
function collectGarbage(): void {
  if (gcFn === undefined) {
    setFlagsFromString('--expose-gc');
    gcFn = runInNewContext('gc') as () => void;
  }
  gcFn();
}

/** Bytes held by JS objects and buffers after a full collection. */
export function retainedBytes(): number {
  collectGarbage();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}
