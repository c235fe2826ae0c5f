/**
 * Property tests for the request decoders a LAN peer reaches: the cgminer request handler and the
 * WebSocket frame reader. Whatever the bytes, they answer or refuse and never throw; no cgminer
 * write runs without the token; the frame reader's verdict does not depend on how TCP split the
 * bytes.
 */
import type { IncomingMessage } from 'node:http';
import { Duplex } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { handleRequest } from '../../src/api/cgminer.js';
import { acceptWebSocket, parseFrame } from '../../src/api/websocket.js';
import { silentLog } from '../../src/log.js';
import { parseAllowList } from '../../src/net/cidr.js';
import { TOKEN } from './helpers/api.js';
import { FakeRig } from './helpers/fake-rig.js';

const WRITES = ['switchpool', 'enablepool', 'disablepool', 'addpool', 'removepool', 'restart', 'privileged'];

/** Requests built from the pieces a client would use, plus arbitrary text. */
const requestText = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc
    .record({
      command: fc.oneof(fc.constantFrom(...WRITES, 'summary', 'pools', 'summary+switchpool'), fc.string()),
      parameter: fc.oneof(fc.string(), fc.integer()),
      token: fc.option(fc.string({ maxLength: 40 }), { nil: undefined }),
    })
    .map((r) => JSON.stringify(r)),
  fc.tuple(fc.constantFrom(...WRITES), fc.string()).map(([c, p]) => `${c}|${p}`),
);

describe('cgminer requests (property)', () => {
  it('any request text gets a STATUS reply, and no write runs without the token', async () => {
    await fc.assert(
      fc.asyncProperty(requestText, async (text) => {
        const rig = new FakeRig();
        const ctx = { control: rig, allow: parseAllowList(['127.0.0.1/32']), token: TOKEN, log: silentLog };
        const reply = (await handleRequest(text, '127.0.0.1', ctx)) as Record<string, unknown>;
        expect(reply['id']).toBe(1);
        expect(reply['STATUS'] !== undefined || Object.keys(reply).length > 1).toBe(true);
        await new Promise((r) => setImmediate(r));
        expect(rig.calls).toEqual([]);
      }),
      { numRuns: 3000 },
    );
  });
});

/** Client frames: masked, any opcode, payloads up to 300 bytes (7- and 16-bit lengths). */
const clientFrame = fc
  .record({
    opcode: fc.constantFrom(0x1, 0x2, 0x9, 0xa),
    payload: fc.uint8Array({ maxLength: 300 }),
    mask: fc.uint8Array({ minLength: 4, maxLength: 4 }),
  })
  .map(({ opcode, payload, mask }) => {
    const head =
      payload.length < 126
        ? Buffer.from([0x80 | opcode, 0x80 | payload.length])
        : Buffer.from([0x80 | opcode, 0x80 | 126, payload.length >> 8, payload.length & 0xff]);
    const masked = Buffer.from(payload.map((b, i) => b ^ (mask[i % 4] ?? 0)));
    return { opcode, payload: Buffer.from(payload), bytes: Buffer.concat([head, Buffer.from(mask), masked]) };
  });

describe('WebSocket frame reader (property)', () => {
  it('parseFrame on any bytes gives a frame, a need beyond what is there, or an error; never throws', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        const r = parseFrame(Buffer.from(bytes));
        if (r.kind === 'more') expect(r.need).toBeGreaterThan(bytes.length);
        else if (r.kind === 'error') expect([1002, 1009]).toContain(r.code);
        else expect(r.rest.length).toBeLessThan(bytes.length);
      }),
      { numRuns: 5000 },
    );
  });

  it('any split of a frame sequence into reads answers every ping with its pong, in order', () => {
    fc.assert(
      fc.property(
        fc.array(clientFrame, { maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 64 })),
        (frames, cuts) => {
          const written: Buffer[] = [];
          const socket = new Duplex({
            read() {},
            write(chunk: Buffer, _encoding, done) {
              written.push(chunk);
              done();
            },
          });
          const req = {
            headers: {
              'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
              'sec-websocket-version': '13',
              upgrade: 'websocket',
            },
          } as unknown as IncomingMessage;
          acceptWebSocket(req, socket, () => {});
          const all = Buffer.concat(frames.map((f) => f.bytes));
          let at = 0;
          for (let i = 0; at < all.length; i++) {
            const n = cuts.length === 0 ? all.length : (cuts[i % cuts.length] ?? 1);
            socket.emit('data', all.subarray(at, at + n));
            at += n;
          }
          // Everything after the 101 handshake: one pong per ping, payload echoed.
          const pongs = written.slice(1).map((w) => w.subarray(w[1] === 126 ? 4 : 2));
          expect(pongs).toEqual(frames.filter((f) => f.opcode === 0x9).map((f) => f.payload));
        },
      ),
      { numRuns: 2000 },
    );
  });
});
