/**
 * A small Stratum V1 miner for the translator suite: JSON-RPC lines over loopback TCP
 * (mining.subscribe, mining.authorize, mining.submit), and a CPU search that really hashes the
 * header an SV1 pool describes (coinb1 ‖ extranonce1 ‖ extranonce2 ‖ coinb2, merkle branches,
 * word-swapped prev hash) until it meets the difficulty the translator set.
 */
import { once } from 'node:events';
import { createConnection, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { concatBytes } from '@noble/hashes/utils.js';
import { HeaderHasher } from '../../../src/bitcoin/header.js';
import { merkleRootFromPath } from '../../../src/bitcoin/merkle.js';
import { sha256d } from '../../../src/bitcoin/sha256d.js';
import { DIFF1_TARGET, leBytesToBigInt } from '../../../src/bitcoin/target.js';
import { bytesToHex, hexToBytes } from '../../../src/bytes/hex.js';

interface Sv1Job {
  readonly jobId: string;
  /** Internal byte order (SV1 sends it with each 4-byte word reversed). */
  readonly prevHash: Uint8Array;
  readonly coinb1: Uint8Array;
  readonly coinb2: Uint8Array;
  readonly branches: Uint8Array[];
  readonly version: number;
  readonly nbits: number;
  readonly ntime: number;
}

interface Sv1Share {
  readonly jobId: string;
  readonly extranonce2: Uint8Array;
  readonly ntime: number;
  readonly nonce: number;
  readonly version: number;
}

interface Rpc {
  readonly id?: number | null;
  readonly method?: string;
  readonly params?: unknown[];
  readonly result?: unknown;
  readonly error?: unknown;
}

export class Sv1Miner {
  readonly received: Rpc[] = [];
  extranonce1: Uint8Array = new Uint8Array(0);
  extranonce2Size = 0;
  difficulty: number | undefined;
  job: Sv1Job | undefined;
  private readonly socket: Socket;
  private nextId = 1;
  private waiters: { pred: () => boolean; resolve: () => void }[] = [];

  private constructor(socket: Socket) {
    this.socket = socket;
    createInterface({ input: socket }).on('line', (line) => this.onLine(line));
    socket.on('error', () => {});
    socket.on('close', () => this.wake());
  }

  static async connect(port: number): Promise<Sv1Miner> {
    const socket = createConnection({ host: '127.0.0.1', port });
    await once(socket, 'connect');
    return new Sv1Miner(socket);
  }

  close(): void {
    this.socket.destroy();
  }

  private onLine(line: string): void {
    const msg = JSON.parse(line) as Rpc;
    this.received.push(msg);
    if (msg.method === 'mining.set_difficulty') this.difficulty = Number(msg.params?.[0]);
    if (msg.method === 'mining.notify') this.job = parseNotify(msg.params ?? []);
    this.wake();
  }

  private wake(): void {
    const still = [];
    for (const w of this.waiters) {
      if (w.pred()) w.resolve();
      else still.push(w);
    }
    this.waiters = still;
  }

  /** Resolves when `pred` holds (checked on every message); rejects after timeoutMs. */
  until(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (pred()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`SV1: no ${what} within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({
        pred: () => pred() || this.socket.destroyed,
        resolve: () => {
          clearTimeout(timer);
          if (this.socket.destroyed && !pred()) reject(new Error(`SV1: connection closed before ${what}`));
          else resolve();
        },
      });
    });
  }

  async call(method: string, params: unknown[], timeoutMs = 30_000): Promise<Rpc> {
    const id = this.nextId++;
    this.socket.write(`${JSON.stringify({ id, method, params })}\n`);
    await this.until(() => this.received.some((m) => m.id === id), timeoutMs, `reply to ${method}`);
    const reply = this.received.find((m) => m.id === id);
    if (reply === undefined) throw new Error(`SV1: no reply to ${method}`);
    return reply;
  }

  async subscribe(): Promise<void> {
    const reply = await this.call('mining.subscribe', ['sv2miner-interop/0.1']);
    const result = reply.result as [unknown, string, number];
    this.extranonce1 = hexToBytes(result[1]);
    this.extranonce2Size = result[2];
  }

  submit(worker: string, share: Sv1Share): Promise<Rpc> {
    return this.call('mining.submit', [
      worker,
      share.jobId,
      bytesToHex(share.extranonce2),
      hex32(share.ntime),
      hex32(share.nonce),
    ]);
  }

  /** Searches extranonce2 = `tag`, nonces from `start`, until the hash meets (or, with `miss`, misses) the difficulty. */
  search(tag: number, options: { start?: number; miss?: boolean } = {}): Sv1Share & { hashes: number } {
    const job = this.job;
    const difficulty = this.difficulty;
    if (job === undefined || difficulty === undefined) throw new Error('SV1: no job or difficulty yet');
    const extranonce2 = new Uint8Array(this.extranonce2Size);
    new DataView(extranonce2.buffer).setUint32(0, tag >>> 0, false);
    const coinbase = concatBytes(job.coinb1, this.extranonce1, extranonce2, job.coinb2);
    const merkleRoot = merkleRootFromPath(sha256d(coinbase), job.branches);
    const template = { prevHash: job.prevHash, merkleRoot, ntime: job.ntime, nbits: job.nbits };
    const target = difficultyTarget(difficulty);
    const hasher = new HeaderHasher();
    const start = options.start ?? 0;
    for (let nonce = start; nonce < 2 ** 32; nonce++) {
      const meets = leBytesToBigInt(hasher.hash(template, job.version, nonce)) <= target;
      if (meets !== (options.miss === true))
        return {
          jobId: job.jobId,
          extranonce2,
          ntime: job.ntime,
          nonce,
          version: job.version,
          hashes: nonce - start + 1,
        };
    }
    throw new Error('nonce space exhausted');
  }
}

/** SV1 difficulty (may be fractional) as a target: diff-1 / difficulty, with 2^-32 precision. */
function difficultyTarget(difficulty: number): bigint {
  const scale = 2 ** 32;
  return (DIFF1_TARGET * BigInt(scale)) / BigInt(Math.max(1, Math.round(difficulty * scale)));
}

function parseNotify(p: unknown[]): Sv1Job {
  const [jobId, prevHex, coinb1, coinb2, branches, version, nbits, ntime] = p as [
    string,
    string,
    string,
    string,
    string[],
    string,
    string,
    string,
  ];
  // SV1 prints the prev hash as eight 4-byte words, each byte-reversed against internal order.
  const sv1Prev = hexToBytes(prevHex);
  const prevHash = new Uint8Array(32);
  for (let w = 0; w < 8; w++) for (let b = 0; b < 4; b++) prevHash[w * 4 + b] = sv1Prev[w * 4 + 3 - b] ?? 0;
  return {
    jobId,
    prevHash,
    coinb1: hexToBytes(coinb1),
    coinb2: hexToBytes(coinb2),
    branches: branches.map(hexToBytes),
    version: Number.parseInt(version, 16),
    nbits: Number.parseInt(nbits, 16),
    ntime: Number.parseInt(ntime, 16),
  };
}

function hex32(v: number): string {
  return (v >>> 0).toString(16).padStart(8, '0');
}
