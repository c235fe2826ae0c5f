/**
 * ConnectionGuard on real loopback sockets with a hand-driven clock: the closing deadline, the
 * idle and lifetime deadlines and relimit fire exactly when the clock says, never before.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectionGuard, type ListenerLimits } from '../../src/net/connection-guard.js';
import { stubbornPeer } from '../helpers/hostile-peer.js';
import { ManualClock } from '../work/helpers/fakes.js';

const LIMITS: ListenerLimits = {
  maxConnections: 10,
  maxConnectionsPerAddress: 10,
  idleMs: 0,
  lifetimeMs: 0,
  closeGraceMs: 1_000,
};

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((r) => (server === undefined ? r() : server.close(() => r())));
  server = undefined;
});

/** A server whose accepted sockets go through `guard`; resolves with its port and accepted sockets. */
async function serve(guard: ConnectionGuard): Promise<{ port: number; accepted: Socket[] }> {
  const accepted: Socket[] = [];
  server = createServer((s) => {
    if (guard.admit(s)) accepted.push(s);
  });
  await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
  const address = server.address();
  return { port: typeof address === 'object' && address !== null ? address.port : 0, accepted };
}

async function acceptedOne(accepted: Socket[]): Promise<Socket> {
  while (accepted.length === 0) await new Promise((r) => setImmediate(r));
  return accepted[0] as Socket;
}

describe('ConnectionGuard', () => {
  it('close() destroys a socket whose peer never closes once closeGraceMs have passed, not before', async () => {
    const clock = new ManualClock();
    const guard = new ConnectionGuard({ limits: LIMITS, clock });
    const { port, accepted } = await serve(guard);
    const peer = await stubbornPeer(port);
    const socket = await acceptedOne(accepted);
    let done = false;
    const closing = guard.close().then(() => {
      done = true;
    });
    await peer.serverEnded;
    clock.advance(999);
    await new Promise((r) => setImmediate(r));
    expect(done).toBe(false);
    expect(socket.destroyed).toBe(false);
    clock.advance(1);
    await closing;
    expect(socket.destroyed).toBe(true);
    expect(guard.size).toBe(0);
    peer.destroy();
  });

  it('ends an idle connection after idleMs without received bytes; each byte re-arms it', async () => {
    const clock = new ManualClock();
    const guard = new ConnectionGuard({ limits: { ...LIMITS, idleMs: 500 }, clock });
    const { port, accepted } = await serve(guard);
    const peer = await stubbornPeer(port);
    const socket = await acceptedOne(accepted);
    clock.advance(400);
    const got = new Promise((r) => socket.once('data', r));
    peer.write('x');
    await got;
    clock.advance(400);
    expect(socket.writableEnded).toBe(false);
    clock.advance(100);
    expect(socket.writableEnded).toBe(true);
    expect(guard.ended).toEqual({ idle: 1, lifetime: 0, closing: 0, done: 0 });
    await peer.serverEnded;
    const socketClosed = new Promise((r) => socket.once('close', r));
    clock.advance(LIMITS.closeGraceMs);
    await socketClosed;
    expect(guard.size).toBe(0);
    peer.destroy();
  });

  it('ends a connection at its lifetime; relimit gives it new deadlines counted from then', async () => {
    const clock = new ManualClock();
    const guard = new ConnectionGuard({ limits: { ...LIMITS, lifetimeMs: 1_000, idleMs: 100 }, clock });
    const { port, accepted } = await serve(guard);
    const peer = await stubbornPeer(port);
    const socket = await acceptedOne(accepted);
    clock.advance(50);
    guard.relimit(socket, { idleMs: 0, lifetimeMs: 5_000 });
    clock.advance(4_999);
    expect(socket.writableEnded).toBe(false);
    clock.advance(1);
    expect(socket.writableEnded).toBe(true);
    expect(guard.ended.lifetime).toBe(1);
    peer.destroy();
  });

  it('refuses over the per-address limit through `refuse`, then ends and destroys the socket', async () => {
    const clock = new ManualClock();
    const reasons: string[] = [];
    const guard = new ConnectionGuard({
      limits: { ...LIMITS, maxConnectionsPerAddress: 1 },
      clock,
      refuse: (s, reason) => {
        reasons.push(reason);
        s.write('busy\n');
      },
    });
    const { port } = await serve(guard);
    const first = await stubbornPeer(port);
    const second = await stubbornPeer(port);
    const answer = await new Promise<string>((r) => second.once('data', (d: Buffer) => r(d.toString())));
    expect(answer).toBe('busy\n');
    await second.serverEnded;
    expect(reasons).toEqual(['too many connections from this address']);
    expect(guard.refused).toBe(1);
    expect(guard.size).toBe(1);
    first.destroy();
    second.destroy();
  });
});

describe('ConnectionGuard under a connection flood', () => {
  it('answers at most maxConnections refused sockets at a time; beyond that they are closed unanswered', async () => {
    const clock = new ManualClock();
    const guard = new ConnectionGuard({
      limits: { ...LIMITS, maxConnections: 1 },
      clock,
      refuse: (s) => s.write('busy\n'),
    });
    const { port } = await serve(guard);
    const held = await stubbornPeer(port);
    const answered = await stubbornPeer(port);
    const firstAnswer = await new Promise<string>((r) =>
      answered.once('data', (d: Buffer) => r(d.toString())),
    );
    expect(firstAnswer).toBe('busy\n');
    // The answered one still waits out its grace (the clock has not moved): the next is cut off.
    const flood = await stubbornPeer(port);
    const got: Buffer[] = [];
    flood.on('data', (d: Buffer) => got.push(d));
    await flood.serverEnded;
    expect(Buffer.concat(got).toString()).toBe('');
    expect(guard.refused).toBe(2);
    // Once the answered one is gone, refusals are answered again.
    const gone = new Promise((r) => answered.once('close', r));
    answered.destroy();
    await gone;
    await new Promise((r) => setImmediate(r));
    clock.advance(LIMITS.closeGraceMs);
    const again = await stubbornPeer(port);
    const secondAnswer = await new Promise<string>((r) => again.once('data', (d: Buffer) => r(d.toString())));
    expect(secondAnswer).toBe('busy\n');
    for (const s of [held, flood, again]) s.destroy();
  });
});
