/**
 * The campaign's fuzz phase: mutation fuzzing (seeded, so a failure replays with --seed) of every
 * decoder that reads bytes from a network or a UART. Each target starts from valid encodings made
 * by our own encoders, mutates them (bit flips, byte writes, inserts, deletes, duplicated and
 * spliced ranges, truncation) and checks a property of the decoder, not just "did not crash":
 * errors are the decoder's own error class, and what a decoder accepts is well-formed.
 * Runs after the rig has stopped, so it cannot distort the rig's event-loop figure.
 */
import { encodeNonceReply, encodeRegisterReply, replyCrcOk } from '../../drivers/bm13xx/replies.js';
import { ReplyParser } from '../../drivers/bm13xx/reply-parser.js';
import { parseRequest } from '../../src/api/cgminer.js';
import { DecodeError, NoiseError } from '../../src/errors.js';
import { CipherState } from '../../src/noise/cipher-state.js';
import { SecureChannel } from '../../src/noise/secure-channel.js';
import { decodeMessage, encodeMessage } from '../../src/sv2/codec.js';
import { encodeFrame } from '../../src/sv2/frame.js';
import { handshakeTarget } from './fuzz-handshake.js';
import { httpTarget } from './fuzz-http.js';

export interface FuzzTarget {
  readonly name: string;
  readonly seeds: readonly Uint8Array[];
  /** Runs one input; returns a violation text, or undefined when the property held. */
  run(input: Uint8Array): string | undefined | Promise<string | undefined>;
  /** True when run() returns a promise (such targets are driven in concurrent batches). */
  readonly async?: boolean;
}

export interface FuzzResult {
  readonly name: string;
  readonly inputs: number;
  readonly seconds: number;
  readonly violations: number;
  readonly firstViolation: string | undefined;
}

export const FUZZ_INPUTS = 1_000_000;

/** Runs every target until `inputs` inputs or `maxSeconds`, whichever comes first. */
export const FUZZ_TARGETS = ['sv2', 'noise', 'bm13xx', 'cgminer', 'http', 'handshake'] as const;
export type FuzzTargetName = (typeof FUZZ_TARGETS)[number];

export async function runFuzz(
  random: () => number,
  options: {
    inputs: number;
    maxSeconds: number;
    handshakeSeconds: number;
    targets: ReadonlySet<FuzzTargetName>;
    /** Called as each target finishes (a long phase should not be silent). */
    onResult?: (result: FuzzResult) => void;
  },
): Promise<FuzzResult[]> {
  const make: Record<FuzzTargetName, () => FuzzTarget | Promise<FuzzTarget>> = {
    sv2: sv2FrameTarget,
    noise: noiseFrameTarget,
    bm13xx: bm13xxReplyTarget,
    cgminer: cgminerTarget,
    http: httpTarget,
    handshake: handshakeTarget,
  };
  const results: FuzzResult[] = [];
  // Decoders throw their errors by the hundred thousand here; stack traces would be most of the cost.
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    for (const name of FUZZ_TARGETS) {
      if (!options.targets.has(name)) continue;
      // The handshake costs an ECDH per input: a time budget, not the byte decoders' 10^6.
      const seconds = name === 'handshake' ? options.handshakeSeconds : options.maxSeconds;
      const result = await fuzzOne(await make[name](), random, options.inputs, seconds);
      options.onResult?.(result);
      results.push(result);
    }
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
  return results;
}

async function fuzzOne(
  t: FuzzTarget,
  random: () => number,
  inputs: number,
  maxSeconds: number,
): Promise<FuzzResult> {
  const start = performance.now();
  const deadline = start + maxSeconds * 1000;
  let done = 0;
  let violations = 0;
  let firstViolation: string | undefined;
  let lastInput: Uint8Array = new Uint8Array(0);
  const note = (v: string | undefined, input: Uint8Array): void => {
    if (v === undefined) return;
    violations++;
    firstViolation ??= `${v} (input ${Buffer.from(input.subarray(0, 64)).toString('hex')})`;
  };
  // An exception thrown from a decoder's callback or event handler escapes to the process: in the
  // daemon that is a crash, so here it is a violation (attributed to the batch being run).
  const escaped = (error: unknown): void => {
    note(`uncaught ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`, lastInput);
  };
  process.on('uncaughtException', escaped);
  while (done < inputs && performance.now() < deadline) {
    const batch = Math.min(t.async === true ? 64 : 2048, inputs - done);
    if (t.async === true) {
      const items = Array.from({ length: batch }, () => mutate(pick(t.seeds, random), t.seeds, random));
      lastInput = items[0] ?? lastInput;
      const verdicts = await Promise.all(items.map((input) => Promise.resolve(t.run(input))));
      for (const [i, v] of verdicts.entries()) note(v, items[i] ?? new Uint8Array(0));
    } else {
      // The deadline is checked per input: slow targets (an ECDH each) must not overrun it by a batch.
      let ran = 0;
      for (; ran < batch && performance.now() < deadline; ran++) {
        const input = mutate(pick(t.seeds, random), t.seeds, random);
        let v: string | undefined;
        try {
          v = t.run(input) as string | undefined;
        } catch (error) {
          v = `threw ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`;
        }
        note(v, input);
      }
      done += ran;
      await new Promise((resolve) => setImmediate(resolve));
      continue;
    }
    done += batch;
    // Let timers and I/O of the async targets run between batches.
    await new Promise((resolve) => setImmediate(resolve));
  }
  await new Promise((resolve) => setImmediate(resolve));
  process.off('uncaughtException', escaped);
  return {
    name: t.name,
    inputs: done,
    seconds: (performance.now() - start) / 1000,
    violations,
    firstViolation,
  };
}

function pick<T>(items: readonly T[], random: () => number): T {
  const item = items[Math.floor(random() * items.length)];
  if (item === undefined) throw new Error('empty seed corpus');
  return item;
}

const INTERESTING = [0x00, 0x01, 0x7f, 0x80, 0xff, 0xfe, 0x55, 0xaa];

/** One to four random edits of a seed; sometimes spliced with another seed. */
function mutate(seed: Uint8Array, seeds: readonly Uint8Array[], random: () => number): Uint8Array {
  let out: Uint8Array = Uint8Array.from(seed);
  const edits = 1 + Math.floor(random() * 4);
  const at = (n: number): number => Math.floor(random() * Math.max(1, n));
  for (let e = 0; e < edits; e++) {
    switch (Math.floor(random() * 8)) {
      case 0:
        if (out.length > 0) {
          const i = at(out.length);
          out[i] = (out[i] ?? 0) ^ (1 << at(8));
        }
        break;
      case 1:
        if (out.length > 0) out[at(out.length)] = at(256);
        break;
      case 2:
        if (out.length > 0) out[at(out.length)] = INTERESTING[at(INTERESTING.length)] ?? 0;
        break;
      case 3: {
        const i = at(out.length + 1);
        const extra = Uint8Array.from({ length: 1 + at(8) }, () => at(256));
        out = concat(out.subarray(0, i), extra, out.subarray(i));
        break;
      }
      case 4: {
        const i = at(out.length);
        const n = 1 + at(8);
        out = concat(out.subarray(0, i), out.subarray(Math.min(out.length, i + n)));
        break;
      }
      case 5:
        out = out.subarray(0, at(out.length + 1));
        break;
      case 6: {
        const i = at(out.length);
        const n = 1 + at(16);
        out = concat(out.subarray(0, i), out.subarray(i, i + n), out.subarray(i));
        break;
      }
      default: {
        const other = pick(seeds, random);
        out = concat(out.subarray(0, at(out.length + 1)), other.subarray(at(other.length)));
      }
    }
  }
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** SV2 frames (sv2.md §2.1): decode returns a message or an unknown value, or throws DecodeError. */
function sv2FrameTarget(): FuzzTarget {
  const u256 = new Uint8Array(32).fill(0x11);
  const seeds = [
    encodeMessage('SetupConnection', {
      protocol: 0,
      min_version: 2,
      max_version: 2,
      flags: 1,
      endpoint_host: '127.0.0.1',
      endpoint_port: 34254,
      vendor: 'sv2miner',
      hardware_version: 'sim',
      firmware: '0.1.0',
      device_id: 'rig',
    }),
    encodeMessage('SetupConnection.Success', { used_version: 2, flags: 0 }),
    encodeMessage('OpenStandardMiningChannel', {
      request_id: 1,
      user_identity: 'worker1',
      nominal_hash_rate: 1e12,
      max_target: u256,
    }),
    encodeMessage('OpenStandardMiningChannel.Success', {
      request_id: 1,
      channel_id: 2,
      target: u256,
      extranonce_prefix: new Uint8Array(8),
      group_channel_id: 1,
    }),
    encodeMessage('NewMiningJob', {
      channel_id: 2,
      job_id: 3,
      min_ntime: null,
      version: 0x20000000,
      merkle_root: u256,
    }),
    encodeMessage('NewMiningJob', {
      channel_id: 2,
      job_id: 4,
      min_ntime: 1_700_000_000,
      version: 0x20000000,
      merkle_root: u256,
    }),
    encodeMessage('SetNewPrevHash', {
      channel_id: 2,
      job_id: 3,
      prev_hash: u256,
      min_ntime: 1_700_000_000,
      nbits: 0x1d00ffff,
    }),
    encodeMessage('SetTarget', { channel_id: 2, maximum_target: u256 }),
    encodeMessage('SubmitSharesStandard', {
      channel_id: 2,
      sequence_number: 7,
      job_id: 3,
      nonce: 1,
      ntime: 2,
      version: 3,
    }),
    encodeMessage('SubmitShares.Success', {
      channel_id: 2,
      last_sequence_number: 7,
      new_submits_accepted_count: 1,
      new_shares_sum: 5n,
    }),
    encodeMessage('SubmitShares.Error', { channel_id: 2, sequence_number: 8, error_code: 'stale-share' }),
    encodeMessage('Reconnect', { new_host: 'pool.example.com', new_port: 3333 }),
  ];
  return {
    name: 'sv2 frame decoder',
    seeds,
    run(input) {
      try {
        decodeMessage(input);
        return undefined;
      } catch (error) {
        return error instanceof DecodeError ? undefined : `threw ${String(error)}`;
      }
    },
  };
}

/**
 * Noise transport frames (sv2.md §2.3): a fresh receiving channel per input, keys fixed. push()
 * never throws, and anything it delivers is exactly the frame that was encrypted: a changed byte
 * inside a frame is a MAC failure, never a different plaintext.
 */
function noiseFrameTarget(): FuzzTarget {
  const key = new Uint8Array(32).fill(7);
  const plain = [
    encodeMessage('SetNewPrevHash', {
      channel_id: 2,
      job_id: 3,
      prev_hash: new Uint8Array(32),
      min_ntime: 1,
      nbits: 2,
    }),
    encodeMessage('SubmitShares.Error', { channel_id: 2, sequence_number: 8, error_code: 'stale-share' }),
    encodeMessage('SetupConnection.Success', { used_version: 2, flags: 0 }),
  ];
  const originals = new Set(plain.map((p) => Buffer.from(p).toString('hex')));
  const seeds = plain.map((p) => new SecureChannel(new CipherState(key), new CipherState()).encryptFrame(p));
  return {
    name: 'noise transport frames',
    seeds,
    run(input) {
      const channel = new SecureChannel(new CipherState(), new CipherState(key));
      const { frames, error } = channel.push(input);
      if (error !== undefined && !(error instanceof NoiseError))
        return `error is not a NoiseError: ${String(error)}`;
      for (const f of frames) {
        const bytes = encodeFrame(f.header, f.payload);
        if (!originals.has(Buffer.from(bytes).toString('hex'))) return 'delivered a frame nobody encrypted';
      }
      return undefined;
    },
  };
}

/**
 * BM13xx replies (bm13xx.md §2): a stream of nonce and register replies, mutated. The parser never
 * throws, delivers only frames of the configured length whose CRC5 holds, and never delivers
 * more bytes than it was given.
 */
function bm13xxReplyTarget(): FuzzTarget {
  const stream = (length: 9 | 11): Uint8Array =>
    concat(
      encodeNonceReply(
        { nonce: 0x12345678, midstateNum: 0, resultHeader: 0x98, versionField: 0x1234 },
        length,
      ),
      encodeRegisterReply({ value: 0x13701000, chipAddress: 0, reg: 0 }, length),
      encodeNonceReply(
        { nonce: 0xdeadbeef, midstateNum: 1, resultHeader: 0x10, versionField: 0x0042 },
        length,
      ),
    );
  const seeds = [stream(11), stream(9)];
  return {
    name: 'bm13xx reply parser',
    seeds,
    run(input) {
      for (const length of [9, 11] as const) {
        let bad: string | undefined;
        let delivered = 0;
        const parser = new ReplyParser('BM1370', length, (_reply, frame) => {
          delivered += frame.length;
          if (frame.length !== length || !replyCrcOk(frame))
            bad = 'delivered a frame with a bad length or CRC';
        });
        // Split in two chunks at a random-looking but deterministic point: the cut must not matter.
        const cut = input.length >> 1;
        parser.push(input.subarray(0, cut));
        parser.push(input.subarray(cut));
        if (bad !== undefined) return bad;
        if (delivered > input.length) return 'delivered more bytes than it was given';
      }
      return undefined;
    },
  };
}

/** cgminer requests (monitoring.md §3c): JSON or `command|parameter`, never a throw. */
function cgminerTarget(): FuzzTarget {
  const text = [
    '{"command":"summary","parameter":""}',
    '{"command":"summary+pools"}',
    '{"command":"switchpool","parameter":1}',
    'devs',
    'addpool|stratum2+tcp://h:1/k,user,pass',
    '{"command":["x"]}',
  ];
  const decoder = new TextDecoder();
  return {
    name: 'cgminer request parser',
    seeds: text.map((t) => new TextEncoder().encode(t)),
    run(input) {
      const r = parseRequest(decoder.decode(input));
      if ('error' in r) return undefined;
      return typeof r.command === 'string' && typeof r.parameter === 'string'
        ? undefined
        : 'non-string field';
    },
  };
}
