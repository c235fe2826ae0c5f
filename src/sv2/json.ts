/**
 * Decoded SV2 message -> the JSON object printed by `sv2miner decode`:
 * {"extension_type","msg_type","channel_msg","message","fields"}. Representation per primitive
 * (sv2.md §1): integers and F32 as numbers, U64 as a decimal string (exceeds 2^53), U256 / PUBKEY /
 * SIGNATURE / B0_* as lowercase hex in raw wire order (no reversal), STR0_255 as a string, SEQ as an
 * array, OPTION as null or the value. Driven by the same field tables as the codec.
 */
import { bytesToHex } from '../bytes/hex.js';
import type { DecodedMessage } from './codec.js';
import { schemaByName } from './messages/registry.js';
import type { Codec } from './types.js';

type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

interface MessageJson {
  readonly extension_type: number;
  readonly msg_type: number;
  /** The bit as received in the header. */
  readonly channel_msg: boolean;
  readonly message: string;
  readonly fields: Record<string, JsonValue>;
}

export function messageToJson(decoded: DecodedMessage): MessageJson {
  const { header, message } = decoded;
  const schema = schemaByName(message.name as string);
  if (schema === undefined) throw new RangeError(`messageToJson: unknown SV2 message "${message.name}"`);
  const values = message.fields as Readonly<Record<string, unknown>>;
  const fields: Record<string, JsonValue> = {};
  for (const [name, codec] of schema.fields) fields[name] = valueToJson(codec, values[name]);
  return {
    extension_type: header.extensionType,
    msg_type: header.msgType,
    channel_msg: header.channelMsg,
    message: message.name,
    fields,
  };
}

/** One field value in its JSON form, chosen by the codec's kind. */
function valueToJson(codec: Codec<unknown>, value: unknown): JsonValue {
  switch (codec.kind) {
    case 'U8':
    case 'U16':
    case 'U24':
    case 'U32':
    case 'F32':
      if (typeof value === 'number') return value;
      break;
    case 'U64':
      if (typeof value === 'bigint') return value.toString(10);
      break;
    case 'BOOL':
      if (typeof value === 'boolean') return value;
      break;
    case 'STR0_255':
      if (typeof value === 'string') return value;
      break;
    case 'U256':
    case 'PUBKEY':
    case 'SIGNATURE':
    case 'B0_32':
    case 'B0_255':
    case 'B0_64K':
    case 'B0_16M':
      if (value instanceof Uint8Array) return bytesToHex(value);
      break;
    case 'SEQ0_255':
    case 'SEQ0_64K':
      if (Array.isArray(value)) return value.map((v: unknown) => valueToJson(itemOf(codec), v));
      break;
    case 'OPTION':
      return value === null ? null : valueToJson(itemOf(codec), value);
  }
  // Only a hand-built message can get here: our decoder always produces the codec's value type.
  throw new RangeError(`${codec.name} field holds a ${typeof value}`);
}

function itemOf(codec: Codec<unknown>): Codec<unknown> {
  if (codec.item === undefined) throw new RangeError(`${codec.name} has no element type`);
  return codec.item;
}
