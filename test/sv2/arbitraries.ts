/**
 * fast-check arbitraries generated from the SV2 codec facts (src/sv2/types.ts) and field tables, so
 * the round-trip tests cover every message without a hand-written generator per message. Lengths are
 * biased towards the boundaries (0 and the type maximum), where length-prefix bugs live.
 */
import fc from 'fast-check';
import type { MessageSchema } from '../../src/sv2/schema.js';
import type { Codec } from '../../src/sv2/types.js';

/** Caps B0_64K/B0_16M/SEQ0_64K lengths at `bigLength` (default 300) to keep runs fast; types.test.ts covers their true maxima. */
interface ArbitraryOptions {
  readonly bigLength?: number;
}

const DEFAULT_BIG_LENGTH = 300;

function biasedLength(max: number): fc.Arbitrary<number> {
  return fc.oneof(
    { arbitrary: fc.constant(0), weight: 1 },
    { arbitrary: fc.constant(max), weight: 1 },
    { arbitrary: fc.integer({ min: 0, max }), weight: 4 },
  );
}

function bytesOf(length: fc.Arbitrary<number>): fc.Arbitrary<Uint8Array> {
  return length.chain((n) => fc.uint8Array({ minLength: n, maxLength: n }));
}

export function arbitraryFor(codec: Codec<unknown>, options: ArbitraryOptions = {}): fc.Arbitrary<unknown> {
  const big = options.bigLength ?? DEFAULT_BIG_LENGTH;
  switch (codec.kind) {
    case 'U8':
      return fc.integer({ min: 0, max: 0xff });
    case 'U16':
      return fc.integer({ min: 0, max: 0xffff });
    case 'U24':
      return fc.integer({ min: 0, max: 0xff_ffff });
    case 'U32':
      return fc.oneof(fc.constantFrom(0, 0xffff_ffff), fc.integer({ min: 0, max: 0xffff_ffff }));
    case 'U64':
      return fc.oneof(fc.constantFrom(0n, 2n ** 64n - 1n), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }));
    case 'F32':
      return fc.float();
    case 'BOOL':
      return fc.boolean();
    case 'STR0_255':
      return fc.oneof(
        // Exactly 0 and 255 bytes of ASCII, and multi-byte UTF-8 (4 bytes per code point at most).
        biasedLength(255).chain((n) => fc.string({ unit: 'grapheme-ascii', minLength: n, maxLength: n })),
        // Any code point but a lone surrogate, as fast-check's 'binary' unit gives, built from
        // integers: that unit's first use costs seconds per test file.
        fc
          .array(fc.oneof(fc.integer({ min: 0, max: 0xd7ff }), fc.integer({ min: 0xe000, max: 0x10ffff })), {
            maxLength: 63,
          })
          .map((codePoints) => String.fromCodePoint(...codePoints)),
      );
    case 'U256':
    case 'PUBKEY':
    case 'SIGNATURE':
      return bytesOf(fc.constant(codec.fixedSize ?? 0));
    case 'B0_32':
    case 'B0_255':
      return bytesOf(biasedLength(codec.maxLength ?? 0));
    case 'B0_64K':
    case 'B0_16M':
      return bytesOf(biasedLength(Math.min(big, codec.maxLength ?? 0)));
    case 'SEQ0_255':
    case 'SEQ0_64K': {
      const item = arbitraryFor(elementOf(codec), options);
      const max = codec.kind === 'SEQ0_255' ? 255 : Math.min(big, 0xffff);
      return biasedLength(max).chain((n) => fc.array(item, { minLength: n, maxLength: n }));
    }
    case 'OPTION':
      return fc.option(arbitraryFor(elementOf(codec), options), { nil: null });
  }
}

/** A full field object for a message schema. */
export function arbitraryFields(
  schema: MessageSchema,
  options: ArbitraryOptions = {},
): fc.Arbitrary<Record<string, unknown>> {
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [name, codec] of schema.fields) model[name] = arbitraryFor(codec, options);
  return fc.record(model);
}

function elementOf(codec: Codec<unknown>): Codec<unknown> {
  if (codec.item === undefined) throw new Error(`${codec.name} has no element codec`);
  return codec.item;
}
