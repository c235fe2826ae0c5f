/**
 * Fuzz target for the HTTP API's request handling: node:http's parser and our REST handler
 * (routing, query strings, bearer check, JSON bodies, settings validation), wired as
 * src/api/server.ts wires them, fed each mutated request over an in-memory socket. Property:
 * whatever comes back is an HTTP/1.1 response, and the connection always ends.
 */
import { createServer } from 'node:http';
import { Duplex } from 'node:stream';
import { systemInfo } from '../../src/api/axeos.js';
import { HashrateHistory } from '../../src/api/history.js';
import { LiveHub } from '../../src/api/live.js';
import { createRestHandler } from '../../src/api/rest.js';
import type { RigControl } from '../../src/api/snapshot.js';
import { loadWebAssets } from '../../src/api/static.js';
import { silentLog } from '../../src/log.js';
import { benchSnapshot } from '../api.js';
import type { FuzzTarget } from './fuzz.js';

const TOKEN = 'fuzz-token-0123456789';
/** A request the server neither answers nor closes within this long counts as hung. */
const HANG_MS = 2_000;

export async function httpTarget(): Promise<FuzzTarget> {
  const snap = benchSnapshot();
  const resolved = async (): Promise<void> => {};
  const control: RigControl = {
    snapshot: () => snap,
    pause: resolved,
    resume: resolved,
    restart: resolved,
    applySettings: resolved,
    switchPool: resolved,
    setPoolEnabled: resolved,
    addPool: resolved,
    removePool: resolved,
    recentLogs: () => [],
    onLog: () => () => {},
    onStatus: () => () => {},
  };
  const host = { macAddr: '00:11:22:33:44:55', ipv4: '127.0.0.1' };
  const live = new LiveHub({ control, infoOf: (s) => systemInfo(s, host), scrub: (l) => l });
  const handler = createRestHandler({
    control,
    token: TOKEN,
    history: new HashrateHistory(),
    host,
    live,
    web: loadWebAssets(),
    log: silentLog,
  });
  const server = createServer(handler);
  server.on('clientError', (_error, socket) => socket.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
  const requests = [
    'GET /api/system/info HTTP/1.1\r\nHost: rig\r\n\r\n',
    'GET /metrics HTTP/1.1\r\nHost: rig\r\nConnection: close\r\n\r\n',
    'GET /api/system/statistics?columns=hashrate,asicTemp HTTP/1.1\r\nHost: rig\r\n\r\n',
    'HEAD / HTTP/1.1\r\nHost: rig\r\n\r\n',
    'GET /nope/../api/system/asic HTTP/1.1\r\nHost: rig\r\n\r\n',
    `PATCH /api/system HTTP/1.1\r\nHost: rig\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 39\r\n\r\n{"frequency":525,"stratumUser":"w.rig"}`,
    'PATCH /api/system HTTP/1.1\r\nHost: rig\r\nContent-Length: 17\r\n\r\n{"frequency":500}',
    `POST /api/system/identify HTTP/1.1\r\nHost: rig\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Length: 0\r\n\r\n`,
    'GET /api/system/info HTTP/1.1\r\nHost: rig\r\n\r\nGET /api/system/asic HTTP/1.1\r\nHost: rig\r\n\r\n',
  ];
  return {
    name: 'http request handling',
    seeds: requests.map((r) => new TextEncoder().encode(r)),
    async: true,
    run(input) {
      return new Promise((resolve) => {
        const out: Buffer[] = [];
        const socket = new Duplex({
          read() {},
          write(chunk: Buffer, _encoding, callback) {
            out.push(chunk);
            callback();
          },
        });
        const timer = setTimeout(() => {
          socket.destroy();
          resolve('connection neither answered nor closed');
        }, HANG_MS);
        socket.once('close', () => {
          clearTimeout(timer);
          const reply = Buffer.concat(out);
          resolve(
            reply.length === 0 || reply.subarray(0, 9).toString() === 'HTTP/1.1 '
              ? undefined
              : 'not an HTTP reply',
          );
        });
        socket.on('error', () => {});
        server.emit('connection', socket);
        socket.push(input);
        socket.push(null);
      });
    },
  };
}
