/**
 * The 6-byte SV2 frame header (sv2.md §2.1): extension_type U16 LE with the channel_msg flag in
 * bit 15 (mask 0x8000, as SRI), msg_type U8, msg_length U24 LE counting the payload only.
 * Also a streaming splitter that turns arbitrary chunks of a plaintext stream into whole frames.
 * Encryption is not here (see src/noise/secure-channel.ts).
 */
import { DecodeError } from '../errors.js';

export const FRAME_HEADER_SIZE = 6;
const CHANNEL_MSG_FLAG = 0x8000;
export const MAX_PAYLOAD = 0xff_ffff;

export interface FrameHeader {
  /** The extension type without the channel_msg flag. */
  readonly extensionType: number;
  readonly channelMsg: boolean;
  readonly msgType: number;
  readonly msgLength: number;
}

export interface Frame {
  readonly header: FrameHeader;
  readonly payload: Uint8Array;
}

export function encodeFrameHeader(h: FrameHeader, out = new Uint8Array(FRAME_HEADER_SIZE)): Uint8Array {
  if (h.extensionType < 0 || h.extensionType > 0x7fff)
    throw new RangeError(`extension_type ${h.extensionType} out of range`);
  if (h.msgType < 0 || h.msgType > 0xff) throw new RangeError(`msg_type ${h.msgType} out of range`);
  if (h.msgLength < 0 || h.msgLength > MAX_PAYLOAD)
    throw new RangeError(`msg_length ${h.msgLength} exceeds U24`);
  const ext = h.extensionType | (h.channelMsg ? CHANNEL_MSG_FLAG : 0);
  out[0] = ext & 0xff;
  out[1] = ext >>> 8;
  out[2] = h.msgType;
  out[3] = h.msgLength & 0xff;
  out[4] = (h.msgLength >>> 8) & 0xff;
  out[5] = h.msgLength >>> 16;
  return out;
}

export function decodeFrameHeader(bytes: Uint8Array, offset = 0): FrameHeader {
  if (bytes.length - offset < FRAME_HEADER_SIZE) {
    throw new DecodeError(
      'Frame',
      'header',
      offset,
      `need ${FRAME_HEADER_SIZE} bytes, have ${bytes.length - offset}`,
    );
  }
  const b = (i: number): number => bytes[offset + i] ?? 0;
  const ext = b(0) | (b(1) << 8);
  return {
    extensionType: ext & ~CHANNEL_MSG_FLAG & 0xffff,
    channelMsg: (ext & CHANNEL_MSG_FLAG) !== 0,
    msgType: b(2),
    msgLength: b(3) | (b(4) << 8) | (b(5) << 16),
  };
}

export function encodeFrame(header: Omit<FrameHeader, 'msgLength'>, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(FRAME_HEADER_SIZE + payload.length);
  encodeFrameHeader({ ...header, msgLength: payload.length }, out);
  out.set(payload, FRAME_HEADER_SIZE);
  return out;
}

/**
 * Streaming splitter for plaintext frames: push arbitrary chunks, get whole frames back.
 * `maxPayload` bounds what one frame may claim, so a peer announcing 16 MiB cannot make us buffer it.
 */
export class FrameSplitter {
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private readonly maxPayload: number;

  constructor(maxPayload = MAX_PAYLOAD) {
    this.maxPayload = maxPayload;
  }

  /** Bytes received but not yet part of a whole frame. */
  get buffered(): number {
    return this.pendingBytes;
  }

  push(chunk: Uint8Array): Frame[] {
    if (chunk.length > 0) {
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
    }
    const frames: Frame[] = [];
    for (;;) {
      if (this.pendingBytes < FRAME_HEADER_SIZE) break;
      const head = this.peek(FRAME_HEADER_SIZE);
      const header = decodeFrameHeader(head);
      if (header.msgLength > this.maxPayload) {
        throw new DecodeError(
          'Frame',
          'msg_length',
          3,
          `payload length ${header.msgLength} exceeds limit ${this.maxPayload}`,
        );
      }
      const total = FRAME_HEADER_SIZE + header.msgLength;
      if (this.pendingBytes < total) break;
      const whole = this.consume(total);
      frames.push({ header, payload: whole.subarray(FRAME_HEADER_SIZE) });
    }
    return frames;
  }

  private peek(n: number): Uint8Array {
    const first = this.pending[0];
    if (first !== undefined && first.length >= n) return first.subarray(0, n);
    return this.flatten().subarray(0, n);
  }

  private consume(n: number): Uint8Array {
    const all = this.flatten();
    const taken = all.slice(0, n);
    const rest = all.subarray(n);
    this.pending = rest.length > 0 ? [rest] : [];
    this.pendingBytes = rest.length;
    return taken;
  }

  private flatten(): Uint8Array {
    if (this.pending.length === 1) return this.pending[0] as Uint8Array;
    const all = new Uint8Array(this.pendingBytes);
    let at = 0;
    for (const part of this.pending) {
      all.set(part, at);
      at += part.length;
    }
    this.pending = [all];
    return all;
  }
}
