/**
 * Streaming reader of chip replies (bm13xx.md §2.1, §2.4): finds AA 55, cuts the model's fixed length
 * (9, or 11 once 0xA4 is written), checks CRC5, decodes; on junk, a lost byte or a bad CRC it moves one
 * byte on and searches again (mujina's rule). It replaces @serialport/parser-byte-length, which cuts
 * blindly every N bytes, so one lost byte would misalign every later frame. Never throws: faults are counters.
 */
import type { ChipModel } from './chips.js';
import { decodeReply, type Reply, type ReplyLength, replyCrcOk } from './replies.js';

interface ReplyParserCounters {
  /** Frames that passed CRC5 and were delivered. */
  frames: number;
  /** AA 55 starts whose frame failed CRC5 (then resynced one byte on). */
  crcErrors: number;
  /** Bytes dropped while searching for AA 55 (bad-CRC starts included). */
  junkBytes: number;
}

type ReplyListener = (reply: Reply, frame: Uint8Array) => void;

export class ReplyParser {
  readonly model: ChipModel;
  readonly counters: ReplyParserCounters = { frames: 0, crcErrors: 0, junkBytes: 0 };
  private length: ReplyLength;
  private buf = new Uint8Array(256);
  private start = 0;
  private end = 0;
  private readonly listener: ReplyListener;

  constructor(model: ChipModel, length: ReplyLength, listener: ReplyListener) {
    this.model = model;
    this.length = length;
    this.listener = listener;
  }

  get replyLength(): ReplyLength {
    return this.length;
  }

  /** Switch the frame length (after 0xA4 is written the BM1366+ answers in 11 bytes). */
  setReplyLength(length: ReplyLength): void {
    this.length = length;
  }

  /** Drop buffered bytes (after a baud change or reset the line carries garbage). */
  clear(): void {
    this.junkBytes(this.end - this.start);
    this.start = 0;
    this.end = 0;
  }

  push(chunk: Uint8Array): void {
    this.append(chunk);
    const n = this.length;
    while (this.end - this.start >= 2) {
      const b0 = this.buf[this.start];
      const b1 = this.buf[this.start + 1];
      if (b0 !== 0xaa || b1 !== 0x55) {
        this.junkBytes(1);
        this.start++;
        continue;
      }
      if (this.end - this.start < n) break;
      const frame = this.buf.slice(this.start, this.start + n);
      if (!replyCrcOk(frame)) {
        this.counters.crcErrors++;
        this.junkBytes(1);
        this.start++;
        continue;
      }
      this.start += n;
      this.counters.frames++;
      this.deliver(frame);
    }
    // Everything consumed: rewind so the buffer does not creep forward.
    if (this.start === this.end) {
      this.start = 0;
      this.end = 0;
    }
  }

  private deliver(frame: Uint8Array): void {
    // CRC already checked and the length is 9 or 11, so decodeReply cannot throw here.
    const reply = decodeReply(frame, this.model);
    try {
      this.listener(reply, frame);
    } catch {
      // A listener bug must not kill the byte stream; the chain logs its own failures.
    }
  }

  private junkBytes(n: number): void {
    this.counters.junkBytes += n;
  }

  private append(chunk: Uint8Array): void {
    const live = this.end - this.start;
    if (this.end + chunk.length > this.buf.length) {
      const size = Math.max(this.buf.length, (live + chunk.length) * 2);
      // Same-buffer set() is defined for overlap, so compaction in place is safe.
      const next = size > this.buf.length ? new Uint8Array(size) : this.buf;
      next.set(this.buf.subarray(this.start, this.end), 0);
      this.buf = next;
      this.start = 0;
      this.end = live;
    }
    this.buf.set(chunk, this.end);
    this.end += chunk.length;
  }
}
