/**
 * The control-port packets of USB-bridged boards (bitaxe-raw on a Bitaxe Gamma's ESP32-S3, and the
 * EmberOne00's RP2040 firmware; bm13xx.md §10.2). A request is
 * `length(u16 LE, whole packet) | id | bus=0 | page | command | data`; a response is
 * `length(u16 LE, data only) | id | data`, where data `FF code [message]` is an error. The id
 * pairs a response with its request.
 */
import { concatBytes } from '@noble/hashes/utils.js';

export const PAGE = { i2c: 0x05, gpio: 0x06, adc: 0x07 } as const;
export type Page = (typeof PAGE)[keyof typeof PAGE];

/** I2C page commands; on the GPIO page the command byte is the pin number itself. */
export const I2C_COMMAND = { setFrequency: 0x10, write: 0x20, read: 0x30, writeRead: 0x40 } as const;

// Codes 0x10, 0x11, 0x12 and 0xFF (the linter writes number keys in decimal).
const ERROR_NAMES: Readonly<Record<number, string>> = {
  16: 'timeout',
  17: 'invalid command',
  18: 'buffer overflow',
  255: 'firmware error',
};

const ERROR_MARKER = 0xff;
const REQUEST_HEADER = 6;
/** Responses carry at most 256 data bytes (bitaxe-raw); anything longer is a broken stream. */
export const MAX_RESPONSE_DATA = 256;

interface ControlRequest {
  readonly id: number;
  readonly page: Page;
  readonly command: number;
  readonly data: Uint8Array;
}

export type ControlResponse =
  | { readonly id: number; readonly kind: 'ok'; readonly data: Uint8Array }
  | { readonly id: number; readonly kind: 'error'; readonly code: number; readonly message: string };

export function encodeRequest(r: ControlRequest): Uint8Array {
  const out = new Uint8Array(REQUEST_HEADER + r.data.length);
  new DataView(out.buffer).setUint16(0, out.length, true);
  out[2] = r.id & 0xff;
  out[3] = 0x00;
  out[4] = r.page;
  out[5] = r.command & 0xff;
  out.set(r.data, REQUEST_HEADER);
  return out;
}

/** The response a firmware sends for `id` with `data` (the simulated bridge uses it). */
export function encodeResponse(id: number, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(3 + data.length);
  new DataView(out.buffer).setUint16(0, data.length, true);
  out[2] = id & 0xff;
  out.set(data, 3);
  return out;
}

/** A request parsed back from its bytes, or undefined while incomplete (the simulated firmware). */
export function decodeRequest(bytes: Uint8Array): { request: ControlRequest; size: number } | undefined {
  if (bytes.length < 2) return undefined;
  const size = (bytes[0] ?? 0) | ((bytes[1] ?? 0) << 8);
  if (size < REQUEST_HEADER)
    throw new RangeError(`control request length ${size} below the ${REQUEST_HEADER}-byte header`);
  if (bytes.length < size) return undefined;
  const page = bytes[4] ?? 0;
  return {
    request: {
      id: bytes[2] ?? 0,
      page: page as Page,
      command: bytes[5] ?? 0,
      data: bytes.slice(REQUEST_HEADER, size),
    },
    size,
  };
}

/**
 * Splits the control port's byte stream into responses. A length beyond MAX_RESPONSE_DATA means the
 * stream lost its framing; `push` then drops what it holds and counts it, and the port's request
 * timeout recovers the caller.
 */
export class ResponseReader {
  private buffer = new Uint8Array(0);
  droppedBytes = 0;

  push(chunk: Uint8Array): ControlResponse[] {
    const joined = concatBytes(this.buffer, chunk);
    const out: ControlResponse[] = [];
    let at = 0;
    while (joined.length - at >= 3) {
      const length = (joined[at] ?? 0) | ((joined[at + 1] ?? 0) << 8);
      if (length > MAX_RESPONSE_DATA) {
        this.droppedBytes += joined.length - at;
        at = joined.length;
        break;
      }
      if (joined.length - at < 3 + length) break;
      const id = joined[at + 2] ?? 0;
      const data = joined.slice(at + 3, at + 3 + length);
      out.push(parseResponse(id, data));
      at += 3 + length;
    }
    this.buffer = joined.slice(at);
    return out;
  }

  clear(): void {
    this.buffer = new Uint8Array(0);
  }
}

/**
 * An error is data `FF code [message]`. A successful read whose first two bytes happen to be FF and
 * a known code cannot be told apart on the wire; reads here are one-byte registers or short
 * temperature words, where that pattern (FF 10..12) is not a plausible value.
 */
function parseResponse(id: number, data: Uint8Array): ControlResponse {
  const code = data[1];
  if (data.length >= 2 && data[0] === ERROR_MARKER && code !== undefined && ERROR_NAMES[code] !== undefined) {
    const text = code === 0xff && data.length > 2 ? new TextDecoder().decode(data.subarray(2)) : '';
    const name = ERROR_NAMES[code] ?? `error 0x${code.toString(16)}`;
    return { id, kind: 'error', code, message: text === '' ? name : `${name}: ${text}` };
  }
  return { id, kind: 'ok', data };
}
