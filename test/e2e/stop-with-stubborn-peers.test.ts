/**
 * Issue 12: peers that never close their side of TCP must not keep the daemon alive after
 * "stopped cleanly". `sv2miner run --for 3` runs in-process with the APIs and the embedded pool;
 * half-open peers sit on the HTTP port (keep-alive, SSE, WebSocket), the cgminer port and the
 * local pool port. The run must return, and afterwards no server-side socket may be left: only
 * the peers' own client sockets remain among the process's TCP handles.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { SimBinding } from '../../drivers/sim/sim-binding.js';
import { runMiner } from '../../src/roles/miner/main.js';
import { openRawWs } from '../api/helpers/ws-client.js';
import { stubbornPeer } from '../helpers/hostile-peer.js';
import { simConfigInput } from '../helpers/sim-rig.js';

const dir = mkdtempSync(join(tmpdir(), 'sv2miner-stubborn-'));
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
  SimBinding.reset();
});

const tcpHandles = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;

it('run --for returns after "stopped cleanly" with half-open peers on every listener, leaving no server socket', async () => {
  writeFileSync(
    join(dir, 'default.json'),
    JSON.stringify({
      ...simConfigInput({ board: 'sim-bm1370-1', stateDir: join(dir, 'state') }),
      logLevel: 'info',
    }),
  );
  const before = tcpHandles();
  const peers: Socket[] = [];
  const logs: string[] = [];
  let poolPort: number | undefined;
  let connecting: Promise<void> | undefined;
  const code = await runMiner(
    ['--config-dir', dir, '--for', '3', '--api-port', '0', '--cgminer-port', '0'],
    { out: () => {}, err: () => {} },
    {
      logSink: (line) => {
        const parsed = JSON.parse(line) as { msg?: string; http?: number; cgminer?: number; url?: string };
        logs.push(parsed.msg ?? '');
        if (parsed.msg === 'local SV2 pool listening' && parsed.url !== undefined)
          poolPort = Number(/:(\d+)\//.exec(parsed.url)?.[1]);
        if (parsed.msg === 'monitoring APIs listening' && parsed.http !== undefined) {
          const http = parsed.http;
          const cgminer = parsed.cgminer ?? 0;
          connecting = (async () => {
            peers.push(await stubbornPeer(http, 'GET /api/system/info HTTP/1.1\r\nHost: x\r\n\r\n'));
            peers.push(await stubbornPeer(http, 'GET /api/events HTTP/1.1\r\nHost: x\r\n\r\n'));
            const ws = await openRawWs(http, '/api/ws');
            ws.socket.allowHalfOpen = true;
            peers.push(ws.socket);
            peers.push(await stubbornPeer(cgminer, '{"command":"sum'));
            if (poolPort !== undefined) peers.push(await stubbornPeer(poolPort, 'x'));
          })();
        }
      },
    },
  );
  await connecting;
  expect(code).toBe(0);
  expect(logs).toContain('stopped cleanly');
  expect(peers).toHaveLength(5);
  // Only the five client sockets of the peers are left; every server-side socket is gone.
  expect(tcpHandles()).toBe(before + peers.length);
  for (const p of peers) p.destroy();
}, 30_000);
