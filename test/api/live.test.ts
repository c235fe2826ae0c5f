import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness, TOKEN } from './helpers/api.js';
import { openRawWs } from './helpers/ws-client.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

/** Reads the SSE stream until `predicate` holds on the raw text. */
function readSse(
  port: number,
  predicate: (text: string) => boolean,
): Promise<{ text: string; type: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/api/events' }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
        if (predicate(text)) {
          req.destroy();
          resolve({ text, type: String(res.headers['content-type']) });
        }
      });
    });
    req.on('error', (e) => (e.message === 'socket hang up' ? undefined : reject(e)));
    req.setTimeout(5000, () => reject(new Error('SSE timed out')));
    req.end();
  });
}

describe('Server-Sent Events /api/events', () => {
  it('replays recent log lines and the status, then delivers a new log line', async () => {
    const pending = readSse(h.api.httpPort, (t) => t.includes('data: chain 0: baud switched'));
    setTimeout(() => h.rig.emitLog('chain 0: baud switched'), 100);
    const { text, type } = await pending;
    expect(type).toBe('text/event-stream; charset=utf-8');
    expect(text).toContain('event: log\ndata: boot: sv2miner 0.1.0 starting\n\n');
    expect(text).toMatch(/event: status\ndata: \{"version":"0\.1\.0"/);
    expect(text).toContain('event: log\ndata: chain 0: baud switched\n\n');
  });

  it('splits multi-line log lines into several data: lines and scrubs the API token', async () => {
    const pending = readSse(h.api.httpPort, (t) => t.includes('data: line two'));
    setTimeout(() => h.rig.emitLog(`line one token=${TOKEN}\nline two`), 100);
    const { text } = await pending;
    expect(text).toContain('event: log\ndata: line one token=[redacted]\ndata: line two\n\n');
    expect(text).not.toContain(TOKEN);
  });
});

describe('WebSockets /api/ws and /api/ws/live', () => {
  it('completes the handshake with the RFC accept key and streams log lines as text frames', async () => {
    const ws = await openRawWs(h.api.httpPort, '/api/ws');
    expect(ws.handshake).toMatch(/^HTTP\/1\.1 101 Switching Protocols/);
    expect(ws.handshake).toContain('Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
    await ws.waitFor((m) => m.includes('pool 0: channel open'));
    h.rig.emitLog('share accepted diff 4096');
    await ws.waitFor((m) => m.includes('share accepted diff 4096'));
    expect(ws.opcodes.every((o) => o === 0x1)).toBe(true);
    // ping -> pong with the same payload, close -> close echo.
    ws.send(0x9, Buffer.from('hi'));
    await ws.waitFor((m) => m.length > 0 && ws.opcodes.includes(0xa));
    expect(ws.messages[ws.opcodes.indexOf(0xa)]).toBe('hi');
    ws.send(0x8, Buffer.from([0x03, 0xe8]));
    await ws.waitFor(() => ws.opcodes.includes(0x8));
    ws.socket.destroy();
  });

  it('/api/ws/live sends info JSON now and on every status change', async () => {
    const ws = await openRawWs(h.api.httpPort, '/api/ws/live');
    await ws.waitFor((m) => m.length >= 1);
    expect(JSON.parse(ws.messages[0] ?? '{}')).toMatchObject({ ASICModel: 'BM1370', miningPaused: false });
    h.rig.update({ paused: true });
    await ws.waitFor((m) => m.length >= 2);
    expect(JSON.parse(ws.messages[1] ?? '{}')).toMatchObject({ miningPaused: true });
    h.rig.update({ paused: false });
    ws.socket.destroy();
  });

  it('refuses an upgrade on another path', async () => {
    const ws = await openRawWs(h.api.httpPort, '/api/other');
    expect(ws.handshake).toMatch(/^HTTP\/1\.1 404/);
    ws.socket.destroy();
  });
});

describe('close()', () => {
  it('unsubscribes from the rig and ends live clients', async () => {
    const other = await startHarness();
    expect(other.rig.listenerCount).toBe(2);
    const ws = await openRawWs(other.api.httpPort, '/api/ws');
    await other.close();
    expect(other.rig.listenerCount).toBe(0);
    await ws.waitFor(() => ws.opcodes.includes(0x8));
  });
});
