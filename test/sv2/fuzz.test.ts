/**
 * Fuzz: random frames and mutations of valid encodings (bit flips, truncations, length-field edits,
 * inserted bytes) must only ever decode, yield `unknown`, or throw DecodeError — never another
 * exception, never a hang. 50 000 inputs in the normal suite; SV2MINER_SLOW=1 runs 1 000 000 and
 * also holds the decoder to 10 000 inputs a second, a throughput bound that only means something
 * on an idle machine (a loaded one failed it).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../../src/errors.js';
import { decodeMessage, encodeMessage } from '../../src/sv2/codec.js';
import { MESSAGES } from '../../src/sv2/messages/registry.js';
import type { MessageSchema } from '../../src/sv2/schema.js';
import { arbitraryFields } from './arbitraries.js';

const SLOW = process.env['SV2MINER_SLOW'] === '1';
const TOTAL = SLOW ? 1_000_000 : 50_000;

/** xorshift32: deterministic, so a failure prints a reproducible seed. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

function seeds(): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const schema of MESSAGES as readonly MessageSchema[]) {
    for (const fields of fc.sample(arbitraryFields(schema, { bigLength: 40 }), { numRuns: 8, seed: 42 })) {
      out.push(encodeMessage(schema, fields as never));
    }
  }
  return out;
}

function mutate(frame: Uint8Array, next: () => number): Uint8Array {
  const bytes = Uint8Array.from(frame);
  const pick = (n: number): number => (n === 0 ? 0 : next() % n);
  switch (next() % 6) {
    case 0: // flip 1-4 random bits
      for (let i = 1 + pick(4); i > 0; i--) {
        const at = pick(bytes.length);
        bytes[at] = (bytes[at] ?? 0) ^ (1 << pick(8));
      }
      return bytes;
    case 1: // truncate, then fix msg_length so the payload decoder (not the frame check) sees it
      return fixLength(bytes.subarray(0, 6 + pick(bytes.length - 5)));
    case 2: // set one payload byte (often a length prefix or count) to an extreme
      if (bytes.length > 6)
        bytes[6 + pick(bytes.length - 6)] = [0x00, 0x01, 0x02, 0x20, 0x21, 0xff][pick(6)] ?? 0;
      return bytes;
    case 3: // append junk and fix msg_length (trailing bytes)
      return fixLength(Uint8Array.from([...bytes, ...Array.from({ length: 1 + pick(8) }, () => pick(256))]));
    case 4: // raw msg_length edit, leaving the frame as is
      bytes[3 + pick(3)] = pick(256);
      return bytes;
    default: // change msg_type / extension bits
      bytes[pick(3)] = pick(256);
      return fixLength(bytes);
  }
}

function fixLength(bytes: Uint8Array): Uint8Array {
  const out = Uint8Array.from(bytes);
  const n = out.length - 6;
  out[3] = n & 0xff;
  out[4] = (n >>> 8) & 0xff;
  out[5] = n >>> 16;
  return out;
}

function randomFrame(next: () => number): Uint8Array {
  const n = next() % 80;
  const bytes = new Uint8Array(6 + n);
  for (let i = 0; i < bytes.length; i++) bytes[i] = next() & 0xff;
  bytes[0] = next() % 4 === 0 ? (bytes[0] ?? 0) : 0; // mostly extension 0, so payload decoders run
  bytes[2] = next() % 4 === 0 ? (bytes[2] ?? 0) : 0x10 + (next() % 0x16);
  return next() % 8 === 0 ? bytes : fixLength(bytes);
}

describe('fuzzing the frame decoder', () => {
  it(`${TOTAL} random and mutated frames give only a result or DecodeError`, () => {
    const valid = seeds();
    const seed = Number(process.env['SV2MINER_FUZZ_SEED'] ?? 0x5eed);
    const next = rng(seed);
    const tally = { message: 0, unknown: 0, decodeError: 0 };
    const started = performance.now();
    for (let i = 0; i < TOTAL; i++) {
      const input =
        i % 4 === 0 ? randomFrame(next) : mutate(valid[next() % valid.length] ?? new Uint8Array(6), next);
      try {
        tally[decodeMessage(input).kind === 'message' ? 'message' : 'unknown']++;
      } catch (error) {
        if (!(error instanceof DecodeError)) {
          throw new Error(
            `seed ${seed} input #${i} threw ${String(error)}: ${Buffer.from(input).toString('hex')}`,
          );
        }
        tally.decodeError++;
      }
    }
    const seconds = (performance.now() - started) / 1000;
    // Every outcome class must actually occur, or the mutator is not reaching the decoders.
    expect(tally.message).toBeGreaterThan(TOTAL / 20);
    expect(tally.unknown).toBeGreaterThan(TOTAL / 100);
    expect(tally.decodeError).toBeGreaterThan(TOTAL / 10);
    if (SLOW) expect(seconds).toBeLessThan(TOTAL / 10_000);
  });
});
