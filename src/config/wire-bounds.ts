/**
 * Config and API values that end up in SV2 messages, checked against the wire type that carries
 * them, with the codec itself as the judge (types.ts): a value is valid exactly when the field's
 * codec can write it. A pool user goes out as OpenStandardMiningChannel.user_identity and a pool
 * host as SetupConnection.endpoint_host, both STR0_255: at most 255 bytes of UTF-8, not characters.
 */
import { ByteWriter } from '../bytes/writer.js';
import { type Codec, STR0_255 } from '../sv2/types.js';

/** Why `codec` cannot carry `value`, or undefined when it can. */
function wireProblem<T>(codec: Codec<T>, value: T): string | undefined {
  try {
    codec.write(new ByteWriter(), value);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** What a STR0_255 value must be, for `path: expected X, got Y` messages. */
export const STR0_255_EXPECTED = `at most ${STR0_255.maxLength} bytes of UTF-8 (SV2 STR0_255)`;

/** Describes a string that does not fit a STR0_255 without echoing it (it may be long or secret). */
export function str0_255Got(value: string): string {
  const bytes = Buffer.byteLength(value, 'utf8');
  return bytes > (STR0_255.maxLength ?? 255) ? `${bytes} bytes` : 'a string with a lone UTF-16 surrogate';
}

export function fitsStr0_255(value: string): boolean {
  return wireProblem(STR0_255, value) === undefined;
}
