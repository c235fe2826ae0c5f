/**
 * Post-handshake SV2 transport (sv2.md §2.2): each frame is an encrypted 6-byte header (22 bytes on
 * the wire) followed by the payload cut into chunks of at most 65 519 plaintext bytes, each sealed
 * on its own; every AEAD op takes the next nonce, AD is empty. The header carries the plaintext
 * length. Also a stream reader: arbitrary TCP chunks in, whole authenticated frames out.
 */
import { NoiseError } from '../errors.js';
import {
  decodeFrameHeader,
  FRAME_HEADER_SIZE,
  type Frame,
  type FrameHeader,
  MAX_PAYLOAD,
} from '../sv2/frame.js';
import { type CipherState, MAC_SIZE } from './cipher-state.js';

const MAX_CHUNK_CIPHERTEXT = 65_535;
export const MAX_CHUNK_PLAINTEXT = MAX_CHUNK_CIPHERTEXT - MAC_SIZE;
export const ENCRYPTED_HEADER_SIZE = FRAME_HEADER_SIZE + MAC_SIZE;

const EMPTY = new Uint8Array(0);

/** Ciphertext bytes that follow the encrypted header for an L-byte payload; 0 for an empty payload. */
export function encryptedPayloadLength(plainLength: number): number {
  return plainLength + MAC_SIZE * Math.ceil(plainLength / MAX_CHUNK_PLAINTEXT);
}

/** Either some whole frames, or the frames that preceded a fatal failure plus that failure. */
interface PushResult {
  readonly frames: Frame[];
  readonly error: NoiseError | undefined;
}

/** FIFO of received bytes; reads copy only when a read spans chunks. */
class ByteQueue {
  private chunks: Uint8Array[] = [];
  private head = 0;
  length = 0;

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  read(n: number): Uint8Array {
    const first = this.chunks[0];
    if (first !== undefined && first.length - this.head >= n) {
      const out = first.subarray(this.head, this.head + n);
      this.advance(n);
      return out;
    }
    const out = new Uint8Array(n);
    let at = 0;
    while (at < n) {
      const c = this.chunks[0];
      if (c === undefined) throw new RangeError('ByteQueue underflow');
      const take = Math.min(n - at, c.length - this.head);
      out.set(c.subarray(this.head, this.head + take), at);
      at += take;
      this.advance(take);
    }
    return out;
  }

  clear(): void {
    this.chunks = [];
    this.head = 0;
    this.length = 0;
  }

  private advance(n: number): void {
    this.length -= n;
    this.head += n;
    const c = this.chunks[0];
    if (c !== undefined && this.head === c.length) {
      this.chunks.shift();
      this.head = 0;
    }
  }
}

interface SecureChannelOptions {
  /** Largest payload a peer may announce; bounds what we buffer. Defaults to the U24 maximum. */
  readonly maxPayload?: number;
}

export class SecureChannel {
  private readonly sendState: CipherState;
  private readonly recvState: CipherState;
  private readonly maxPayload: number;
  private readonly queue = new ByteQueue();
  private header: FrameHeader | undefined;
  private failure: NoiseError | undefined;

  constructor(send: CipherState, recv: CipherState, options: SecureChannelOptions = {}) {
    this.sendState = send;
    this.recvState = recv;
    this.maxPayload = options.maxPayload ?? MAX_PAYLOAD;
  }

  /** Received bytes not yet part of a delivered frame. */
  get buffered(): number {
    return this.queue.length;
  }

  /** True between frames: a clean close here loses nothing. */
  get atFrameBoundary(): boolean {
    return this.header === undefined && this.queue.length === 0;
  }

  get failed(): NoiseError | undefined {
    return this.failure;
  }

  /** Encrypts one plain SV2 frame (6-byte header + payload, as encodeFrame makes it). */
  encryptFrame(frame: Uint8Array): Uint8Array {
    if (this.failure !== undefined)
      throw new NoiseError('send', 'channel is closed after an earlier failure');
    const header = decodeFrameHeader(frame);
    const payloadLength = frame.length - FRAME_HEADER_SIZE;
    if (header.msgLength !== payloadLength)
      throw new NoiseError(
        'send',
        `frame header says ${header.msgLength} payload bytes, frame has ${payloadLength}`,
      );
    const out = new Uint8Array(ENCRYPTED_HEADER_SIZE + encryptedPayloadLength(payloadLength));
    this.sendState.encryptWithAd(
      EMPTY,
      frame.subarray(0, FRAME_HEADER_SIZE),
      out.subarray(0, ENCRYPTED_HEADER_SIZE),
    );
    let at = ENCRYPTED_HEADER_SIZE;
    for (let p = FRAME_HEADER_SIZE; p < frame.length; p += MAX_CHUNK_PLAINTEXT) {
      const chunk = frame.subarray(p, Math.min(frame.length, p + MAX_CHUNK_PLAINTEXT));
      this.sendState.encryptWithAd(EMPTY, chunk, out.subarray(at, at + chunk.length + MAC_SIZE));
      at += chunk.length + MAC_SIZE;
    }
    return out;
  }

  /**
   * Feeds received bytes. Returns every frame completed by them; a MAC failure or an oversized
   * frame ends the channel: the error is returned (and returned again on later pushes), and no
   * byte of the failing frame is delivered.
   */
  push(chunk: Uint8Array): PushResult {
    const frames: Frame[] = [];
    if (this.failure !== undefined) return { frames, error: this.failure };
    this.queue.push(chunk);
    for (;;) {
      if (this.header === undefined) {
        if (this.queue.length < ENCRYPTED_HEADER_SIZE) break;
        const plain = this.recvState.decryptWithAd(EMPTY, this.queue.read(ENCRYPTED_HEADER_SIZE));
        if (plain === undefined)
          return this.fail(frames, 'frame-header', 'MAC check failed on an encrypted frame header');
        const header = decodeFrameHeader(plain);
        if (header.msgLength > this.maxPayload)
          return this.fail(
            frames,
            'frame-header',
            `payload length ${header.msgLength} exceeds limit ${this.maxPayload}`,
          );
        this.header = header;
      }
      const header = this.header;
      const ctLength = encryptedPayloadLength(header.msgLength);
      if (this.queue.length < ctLength) break;
      const payload = new Uint8Array(header.msgLength);
      const sealed = this.queue.read(ctLength);
      let out = 0;
      for (let at = 0; at < ctLength; at += MAX_CHUNK_CIPHERTEXT) {
        const part = sealed.subarray(at, Math.min(ctLength, at + MAX_CHUNK_CIPHERTEXT));
        const plainPart = payload.subarray(out, out + part.length - MAC_SIZE);
        if (this.recvState.decryptWithAd(EMPTY, part, plainPart) === undefined) {
          // Decryption writes into `payload` before the tag check fails; wipe it.
          payload.fill(0);
          return this.fail(frames, 'frame-payload', 'MAC check failed on an encrypted frame payload');
        }
        out += plainPart.length;
      }
      this.header = undefined;
      frames.push({ header, payload });
    }
    return { frames, error: undefined };
  }

  /** Wipes both keys; the channel cannot be used afterwards. */
  destroy(reason = 'channel destroyed'): void {
    this.failure ??= new NoiseError('closed', reason);
    this.queue.clear();
    this.sendState.destroy();
    this.recvState.destroy();
  }

  private fail(frames: Frame[], step: string, problem: string): PushResult {
    const error = new NoiseError(step, problem);
    this.failure = error;
    this.queue.clear();
    this.header = undefined;
    this.sendState.destroy();
    this.recvState.destroy();
    return { frames, error };
  }
}
