/**
 * Dialling a peer over TCP, behind a factory so tests can wrap the socket or hand out sockets to
 * scripted peers. Used by every role that connects upstream and by pool-check.
 */
import { createConnection, type Socket } from 'node:net';

export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

/** Opens a connected TCP socket (tests wrap write() or return sockets to scripted peers). */
export type SocketFactory = (endpoint: Endpoint, timeoutMs: number) => Promise<Socket>;

export const tcpSocketFactory: SocketFactory = (endpoint, timeoutMs) =>
  new Promise((resolve, reject) => {
    const socket = createConnection({ host: endpoint.host, port: endpoint.port });
    socket.setNoDelay(true);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`TCP connect to ${endpoint.host}:${endpoint.port} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.off('error', onError);
      resolve(socket);
    });
    const onError = (err: Error): void => {
      clearTimeout(timer);
      reject(err);
    };
    socket.once('error', onError);
  });
