/**
 * A scripted SV2 miner for the local-pool tests: real loopback TCP, the project's Noise initiator and
 * codec, a message queue with timeouts, and a CPU nonce search against the pool's real job bytes.
 */
import { once } from 'node:events';
import { createConnection } from 'node:net';
import { HeaderHasher } from '../../src/bitcoin/header.js';
import { leBytesToBigInt } from '../../src/bitcoin/target.js';
import { connectNoise, type NoiseSocket } from '../../src/noise/noise-socket.js';
import { parsePoolUrl } from '../../src/noise/pool-url.js';
import { decodeFrame, encodeMessage } from '../../src/sv2/codec.js';
import type { AnyMessage, MessageFields, MessageName } from '../../src/sv2/messages/registry.js';
import { EVENT_BOUND_MS } from '../helpers/wait.js';

export type Fields<N extends MessageName> = MessageFields<N>;

export class TestMiner {
  readonly noise: NoiseSocket;
  private readonly queue: AnyMessage[] = [];
  private waiter: (() => void) | undefined;
  ended = false;

  private constructor(noise: NoiseSocket) {
    this.noise = noise;
    void this.pump();
  }

  static async connect(url: string): Promise<TestMiner> {
    const u = parsePoolUrl(url);
    const socket = createConnection({ host: u.host, port: u.port });
    await once(socket, 'connect');
    const noise = await connectNoise(socket, { authorityKey: u.authorityKey, insecure: false });
    return new TestMiner(noise);
  }

  private async pump(): Promise<void> {
    try {
      for await (const frame of this.noise) {
        const d = decodeFrame(frame);
        if (d.kind === 'message') this.queue.push(d.message);
        this.wake();
      }
    } catch {
      // closed with an error: `ended` tells the tests
    }
    this.ended = true;
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  send<N extends MessageName>(name: N, fields: MessageFields<N>): void {
    this.noise.send(encodeMessage(name, fields));
  }

  async next(timeoutMs = EVENT_BOUND_MS): Promise<AnyMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = this.queue.shift();
      if (m !== undefined) return m;
      if (this.ended) throw new Error('connection ended while waiting for a message');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no message within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  }

  /** The next message, which must be `name`. */
  async expect<N extends MessageName>(name: N, timeoutMs = EVENT_BOUND_MS): Promise<MessageFields<N>> {
    const m = await this.next(timeoutMs);
    if (m.name !== name) throw new Error(`expected ${name}, got ${m.name} ${JSON.stringify(m.fields, big)}`);
    return m.fields as MessageFields<N>;
  }

  /** Resolves once the server has closed the connection. */
  async closedByServer(timeoutMs = 3000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    return this.ended;
  }

  pending(): number {
    return this.queue.length;
  }

  setupFields(overrides: Partial<Fields<'SetupConnection'>> = {}): Fields<'SetupConnection'> {
    return {
      protocol: 0,
      min_version: 2,
      max_version: 2,
      flags: 0x5,
      endpoint_host: '127.0.0.1',
      endpoint_port: 34254,
      vendor: 'sv2miner-test',
      hardware_version: 'cpu',
      firmware: '0',
      device_id: '',
      ...overrides,
    };
  }

  async setup(): Promise<Fields<'SetupConnection.Success'>> {
    this.send('SetupConnection', this.setupFields());
    return this.expect('SetupConnection.Success');
  }

  /** Opens a channel and collects Success, the future job and the SetNewPrevHash. */
  async open(
    requestId = 1,
    hashRate = 1e9,
    maxTarget: Uint8Array = new Uint8Array(32).fill(0xff),
  ): Promise<OpenedChannel> {
    this.send('OpenStandardMiningChannel', {
      request_id: requestId,
      user_identity: 'tester.worker',
      nominal_hash_rate: hashRate,
      max_target: maxTarget,
    });
    const success = await this.expect('OpenStandardMiningChannel.Success');
    const job = await this.expect('NewMiningJob');
    const prev = await this.expect('SetNewPrevHash');
    return { success, job, prev, target: leBytesToBigInt(success.target) };
  }
}

interface OpenedChannel {
  readonly success: Fields<'OpenStandardMiningChannel.Success'>;
  readonly job: Fields<'NewMiningJob'>;
  readonly prev: Fields<'SetNewPrevHash'>;
  readonly target: bigint;
}

const hasher = new HeaderHasher();

/**
 * Searches nonces from `start` until the header hash meets (or, with `fail`, misses) `target`.
 * Returns the nonce and the hash.
 */
export function findNonce(
  job: Fields<'NewMiningJob'>,
  prev: Fields<'SetNewPrevHash'>,
  target: bigint,
  options: { start?: number; ntime?: number; version?: number; fail?: boolean } = {},
): { nonce: number; hash: Uint8Array } {
  const template = {
    prevHash: prev.prev_hash,
    merkleRoot: job.merkle_root,
    ntime: options.ntime ?? job.min_ntime ?? prev.min_ntime,
    nbits: prev.nbits,
  };
  const version = options.version ?? job.version;
  for (let nonce = options.start ?? 0; nonce < 2 ** 32; nonce++) {
    const hash = hasher.hash(template, version, nonce);
    const meets = leBytesToBigInt(hash) <= target;
    if (meets !== (options.fail === true)) return { nonce, hash };
  }
  throw new Error('nonce space exhausted');
}

function big(_k: string, v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
  return v;
}
