/**
 * The largest SV2 payload a miner can legitimately send to this pool, worked out from the codec's
 * own bounds (types.ts): every client-to-pool message the connection handler understands, at the
 * maximum size of every field. The Noise reader refuses a frame header announcing more, so one
 * connection can never make the pool buffer more than one such frame.
 */
import { schemaByName } from '../sv2/messages/registry.js';
import type { MessageSchema } from '../sv2/schema.js';
import type { Codec } from '../sv2/types.js';

/** What connection-handler.ts reads from a miner (anything else is ignored or refused). */
const CLIENT_MESSAGES = [
  'SetupConnection',
  'OpenStandardMiningChannel',
  'OpenExtendedMiningChannel',
  'UpdateChannel',
  'CloseChannel',
  'SubmitSharesStandard',
  'SubmitSharesExtended',
] as const;

/** The wire size of the largest value `codec` can carry. */
function maxEncodedSize(codec: Codec<unknown>): number {
  if (codec.fixedSize !== undefined) return codec.fixedSize;
  const count = codec.maxLength ?? 0;
  // Variable types: a length prefix (minSize) then up to maxLength bytes or items.
  const each = codec.item === undefined ? 1 : maxEncodedSize(codec.item);
  return codec.minSize + count * each;
}

function maxPayloadSize(schema: MessageSchema): number {
  return schema.fields.reduce((n, [, codec]) => n + maxEncodedSize(codec), 0);
}

/** The payload bound handed to the Noise reader of every pool connection. */
export const MAX_CLIENT_PAYLOAD = Math.max(
  ...CLIENT_MESSAGES.map((name) => maxPayloadSize(schemaByName(name) as MessageSchema)),
);
