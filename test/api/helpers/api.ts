/**
 * Test plumbing: start the API on 127.0.0.1 port 0 over a FakeRig, an HTTP helper that records
 * every response body (so the secrets test can grep them all), and a raw cgminer client that
 * returns the exact bytes the server sent before closing.
 */
import { connect } from 'node:net';
import { type ApiOptions, type RunningApi, startApi } from '../../../src/api/server.js';
import { FakeRig } from './fake-rig.js';

export const TOKEN = 'tok-0123456789abcdef-QWERTY';

export interface Harness {
  readonly rig: FakeRig;
  readonly api: RunningApi;
  readonly base: string;
  readonly bodies: string[];
  http(path: string, init?: RequestInit): Promise<{ status: number; text: string; headers: Headers }>;
  json<T = Record<string, unknown>>(path: string): Promise<T>;
  close(): Promise<void>;
}

export async function startHarness(
  options: {
    cgminerAllow?: string[];
    statsIntervalMs?: number;
    sysNetDir?: string;
    limits?: ApiOptions['limits'];
  } = {},
): Promise<Harness> {
  const rig = new FakeRig();
  const api = await startApi({
    control: rig,
    host: '127.0.0.1',
    port: 0,
    cgminerPort: 0,
    token: TOKEN,
    ...(options.cgminerAllow === undefined ? {} : { cgminerAllow: options.cgminerAllow }),
    statsIntervalMs: options.statsIntervalMs ?? 60_000,
    ...(options.sysNetDir === undefined ? {} : { sysNetDir: options.sysNetDir }),
    ...(options.limits === undefined ? {} : { limits: options.limits }),
  });
  const base = `http://127.0.0.1:${api.httpPort}`;
  const bodies: string[] = [];
  const http = async (path: string, init?: RequestInit) => {
    const res = await fetch(base + path, init);
    const text = await res.text();
    bodies.push(text);
    return { status: res.status, text, headers: res.headers };
  };
  return {
    rig,
    api,
    base,
    bodies,
    http,
    json: async <T>(path: string) => {
      const r = await http(path);
      if (r.status !== 200) throw new Error(`${path}: HTTP ${r.status} ${r.text}`);
      return JSON.parse(r.text) as T;
    },
    close: () => api.close(),
  };
}

/** Sends `request` to the cgminer port and resolves with every byte received until the server closes. */
export function cgminerRaw(port: number, request: string, host = '127.0.0.1'): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect({ port, host }, () => socket.write(request));
    socket.on('data', (c) => chunks.push(c));
    socket.on('end', () => resolve(Buffer.concat(chunks)));
    socket.on('error', reject);
    socket.setTimeout(5000, () => reject(new Error('cgminer reply timed out')));
  });
}

export async function cgminer(port: number, request: string): Promise<Record<string, unknown>> {
  const raw = await cgminerRaw(port, request);
  if (raw[raw.length - 1] !== 0) throw new Error('reply not NUL terminated');
  return JSON.parse(raw.subarray(0, raw.length - 1).toString('utf8')) as Record<string, unknown>;
}
