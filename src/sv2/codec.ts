/**
 * Whole-frame SV2 codec (sv2.md §2.1): message -> header + payload bytes, and frame -> AnyMessage via
 * the registry only. An unknown extension_type or msg_type is a value (`kind: 'unknown'`), never a
 * throw; malformed bytes throw DecodeError naming message, field and payload offset.
 * channel_msg policy (sv2.md §5.1): we send the bit exactly as the spec table says; on receive we
 * dispatch on (extension_type, msg_type) alone and report a differing bit as `channelMsgMismatch`
 * instead of failing, because servers from before the May 2026 table fix send 0x15/0x22–0x24 unset.
 */
import { ByteWriter } from '../bytes/writer.js';
import { DecodeError } from '../errors.js';
import {
  decodeFrameHeader,
  encodeFrameHeader,
  FRAME_HEADER_SIZE,
  type Frame,
  type FrameHeader,
} from './frame.js';
import {
  type AnyMessage,
  lookupSchema,
  type MessageFields,
  type MessageName,
  schemaByName,
} from './messages/registry.js';
import type { Infer, MessageSchema } from './schema.js';

export interface DecodedMessage {
  readonly kind: 'message';
  readonly message: AnyMessage;
  readonly header: FrameHeader;
  /** True when the header's channel_msg bit differs from the spec table (accepted anyway). */
  readonly channelMsgMismatch: boolean;
}

interface UnknownMessage {
  readonly kind: 'unknown';
  /** Which part of the header we do not know. */
  readonly reason: 'extension_type' | 'msg_type';
  readonly header: FrameHeader;
  readonly payload: Uint8Array;
}

export type DecodeResult = DecodedMessage | UnknownMessage;

/** Encodes a message (by registered name or by schema) into one plaintext frame: header + payload. */
export function encodeMessage<N extends MessageName>(name: N, fields: MessageFields<N>): Uint8Array;
export function encodeMessage<S extends MessageSchema>(schema: S, fields: Infer<S>): Uint8Array;
export function encodeMessage(target: string | MessageSchema, fields: object): Uint8Array {
  const schema = typeof target === 'string' ? schemaByName(target) : target;
  if (schema === undefined) throw new RangeError(`encodeMessage: unknown SV2 message "${String(target)}"`);
  return encodeWithSchema(schema, fields);
}

/** Encodes an AnyMessage value (e.g. one produced by decodeFrame) back into a frame. */
export function encodeAnyMessage(message: AnyMessage): Uint8Array {
  return encodeMessage(message.name, message.fields);
}

function encodeWithSchema(schema: MessageSchema, fields: object): Uint8Array {
  const w = new ByteWriter(128);
  // Reserve the header, write the payload behind it, then fill the header in: one buffer, one copy.
  w.bytes(EMPTY_HEADER);
  schema.writeFields(w, fields as Infer<MessageSchema>);
  const frame = w.finish();
  encodeFrameHeader(
    {
      extensionType: schema.ext,
      channelMsg: schema.channelMsg,
      msgType: schema.type,
      msgLength: frame.length - FRAME_HEADER_SIZE,
    },
    headerScratch,
  );
  frame.set(headerScratch, 0);
  return frame;
}

const EMPTY_HEADER = new Uint8Array(FRAME_HEADER_SIZE);
// Reused by encodeWithSchema (synchronous, so never shared between two calls in flight).
const headerScratch = new Uint8Array(FRAME_HEADER_SIZE);

/** Decodes one whole plaintext frame (6-byte header + exactly msg_length payload bytes). */
export function decodeMessage(bytes: Uint8Array): DecodeResult {
  const header = decodeFrameHeader(bytes);
  const have = bytes.length - FRAME_HEADER_SIZE;
  if (have !== header.msgLength) {
    const schema = lookupSchema(header.extensionType, header.msgType);
    const problem =
      have < header.msgLength
        ? `header says ${header.msgLength} payload bytes, frame has ${have}`
        : `${have - header.msgLength} bytes after the ${header.msgLength}-byte payload`;
    throw new DecodeError(schema?.name ?? 'Frame', 'msg_length', 3, problem);
  }
  return decodeFrame({ header, payload: bytes.subarray(FRAME_HEADER_SIZE) });
}

/** Decodes a frame already split by FrameSplitter or the secure channel. */
export function decodeFrame(frame: Frame): DecodeResult {
  const { header, payload } = frame;
  if (payload.length !== header.msgLength) {
    throw new DecodeError(
      'Frame',
      'msg_length',
      3,
      `header says ${header.msgLength} payload bytes, frame has ${payload.length}`,
    );
  }
  const schema = lookupSchema(header.extensionType, header.msgType);
  if (schema === undefined) {
    // sv2.md §2.1: a device only speaks extension 0; other extensions are dropped by the caller.
    const reason = header.extensionType === 0 ? 'msg_type' : 'extension_type';
    return { kind: 'unknown', reason, header, payload };
  }
  const fields = schema.decodePayload(payload);
  return {
    kind: 'message',
    message: { name: schema.name, fields } as AnyMessage,
    header,
    channelMsgMismatch: header.channelMsg !== schema.channelMsg,
  };
}
