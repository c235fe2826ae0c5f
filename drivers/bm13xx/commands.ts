/**
 * Host -> chip frames, bm13xx.md §1.2 (layout, HDR bits, LEN rule), §3 (addressing) and §7.1/§7.2
 * (job packets): pure encoders returning complete frames with CRC, and parseCommand, the decoder a
 * simulated chip uses on the host's byte stream. Hashes go in header byte order and are
 * word-reversed on the wire here, in one place. No I/O, no chip state.
 */

import type { JobFormat } from './chips.js';
import { crc5, crc16 } from './crc.js';
import { bytesToU32, u32ToBytes } from './registers.js';

const COMMAND_PREAMBLE = [0x55, 0xaa] as const; // host -> chip, §1.2

const TYPE_COMMAND = 0x40; // HDR bits 6..5 = 2, §1.2
const TYPE_JOB = 0x20; // HDR bits 6..5 = 1
const ALL = 0x10; // broadcast flag
const CMD_SET_ADDRESS = 0;
const CMD_WRITE = 1;
const CMD_READ = 2;
const CMD_INACTIVE = 3;

export const FULL_JOB_LENGTH = 88; // 55 AA 21 56 + 82 data + CRC16, §7.1
export const MIDSTATE_JOB_LENGTH = 152; // 55 AA 21 96 + 146 data + CRC16, §7.2

/** A chip address, or 'all' for a broadcast (HDR ALL bit, address byte 00). */
export type Target = number | 'all';

export interface FullJob {
  /** Job byte 0 exactly as sent (the wire id from chips.ts). */
  readonly jobId: number;
  readonly startingNonce: number;
  readonly nbits: number;
  readonly ntime: number;
  /** 32 bytes, header order. */
  readonly merkleRoot: Uint8Array;
  /** 32 bytes, header order. */
  readonly prevHash: Uint8Array;
  readonly version: number;
}

export interface MidstateJob {
  readonly jobId: number;
  /** Byte 1; defaults to midstates.length. */
  readonly numMidstates: number;
  readonly startingNonce: number;
  readonly nbits: number;
  readonly ntime: number;
  /** Header bytes 64..67 (the last 4 bytes of the header-order merkle root). */
  readonly merkle4: Uint8Array;
  /** Up to 4 SHA-256 states, each 32 bytes as the big-endian words H0..H7 (the usual serialization). */
  readonly midstates: readonly Uint8Array[];
}

export type Command =
  | { readonly type: 'setAddress'; readonly address: number }
  | { readonly type: 'writeRegister'; readonly target: Target; readonly reg: number; readonly value: number }
  | { readonly type: 'readRegister'; readonly target: Target; readonly reg: number }
  | { readonly type: 'chainInactive' }
  | { readonly type: 'jobFull'; readonly job: FullJob }
  | { readonly type: 'jobMidstate'; readonly job: MidstateJob };

type ParseCommandResult =
  | { readonly kind: 'ok'; readonly command: Command; readonly length: number }
  | { readonly kind: 'incomplete' }
  /** Not a valid frame at offset 0: drop `skip` bytes and look again. */
  | { readonly kind: 'invalid'; readonly reason: string; readonly skip: number };

export function readRegister(target: Target, reg: number): Uint8Array {
  return commandFrame(CMD_READ, target, [reg & 0xff]);
}

/** `value` is the 32-bit register value (sent MSB-first) or its 4 wire bytes (e.g. from REGISTERS). */
export function writeRegister(target: Target, reg: number, value: number | Uint8Array): Uint8Array {
  const bytes = typeof value === 'number' ? u32ToBytes(value) : value;
  if (bytes.length !== 4) throw new RangeError(`register value must be 4 bytes, got ${bytes.length}`);
  return commandFrame(CMD_WRITE, target, [reg & 0xff, ...bytes]);
}

export function setChipAddress(address: number): Uint8Array {
  return commandFrame(CMD_SET_ADDRESS, address, [0x00]);
}

export function chainInactive(): Uint8Array {
  return commandFrame(CMD_INACTIVE, 'all', [0x00]);
}

/** `55 AA HDR LEN addr ... CRC5`, LEN = payload + 3 (§1.2); broadcasts carry address 00. */
function commandFrame(cmd: number, target: Target, rest: readonly number[]): Uint8Array {
  const hdr = TYPE_COMMAND | (target === 'all' ? ALL : 0) | cmd;
  const address = target === 'all' ? 0 : target & 0xff;
  const frame = new Uint8Array(2 + 3 + 1 + rest.length);
  frame.set(COMMAND_PREAMBLE, 0);
  frame[2] = hdr;
  frame[3] = frame.length - 2;
  frame[4] = address;
  frame.set(rest, 5);
  frame[frame.length - 1] = crc5(frame.subarray(2, frame.length - 1));
  return frame;
}

/** BM1366/68/70/62 job, 88 bytes with LEN 0x56 (§7.1). */
export function jobFull(job: Omit<FullJob, 'startingNonce'> & { startingNonce?: number }): Uint8Array {
  checkLength('merkleRoot', job.merkleRoot, 32);
  checkLength('prevHash', job.prevHash, 32);
  const frame = new Uint8Array(FULL_JOB_LENGTH);
  const view = new DataView(frame.buffer);
  frame.set([0x55, 0xaa, TYPE_JOB | 1, FULL_JOB_LENGTH - 2, job.jobId & 0xff, 0x01], 0);
  view.setUint32(6, job.startingNonce ?? 0, true);
  view.setUint32(10, job.nbits, true);
  view.setUint32(14, job.ntime, true);
  frame.set(wordReverse(job.merkleRoot), 18);
  frame.set(wordReverse(job.prevHash), 50);
  view.setUint32(82, job.version >>> 0, true);
  view.setUint16(86, crc16(frame.subarray(2, 86)), false);
  return frame;
}

/** BM1397 job, 152 bytes with LEN 0x96; unused midstate slots are zero (§7.2). */
export function jobMidstate(
  job: Omit<MidstateJob, 'startingNonce' | 'numMidstates'> & {
    startingNonce?: number;
    numMidstates?: number;
  },
): Uint8Array {
  if (job.midstates.length < 1 || job.midstates.length > 4) {
    throw new RangeError(`BM1397 job needs 1..4 midstates, got ${job.midstates.length}`);
  }
  checkLength('merkle4', job.merkle4, 4);
  const frame = new Uint8Array(MIDSTATE_JOB_LENGTH);
  const view = new DataView(frame.buffer);
  frame.set([0x55, 0xaa, TYPE_JOB | 1, MIDSTATE_JOB_LENGTH - 2, job.jobId & 0xff], 0);
  frame[5] = job.numMidstates ?? job.midstates.length;
  view.setUint32(6, job.startingNonce ?? 0, true);
  view.setUint32(10, job.nbits, true);
  view.setUint32(14, job.ntime, true);
  frame.set(job.merkle4, 18);
  job.midstates.forEach((state, k) => {
    checkLength(`midstates[${k}]`, state, 32);
    frame.set(wordReverse(state), 22 + 32 * k);
  });
  view.setUint16(150, crc16(frame.subarray(2, 150)), false);
  return frame;
}

/** Reverse the order of the eight 4-byte words, bytes inside each word unchanged (§7.1); self-inverse. */
export function wordReverse(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(32);
  for (let w = 0; w < 8; w++) out.set(bytes.subarray(w * 4, w * 4 + 4), (7 - w) * 4);
  return out;
}

function checkLength(field: string, bytes: Uint8Array, n: number): void {
  if (bytes.length !== n) throw new RangeError(`${field} must be ${n} bytes, got ${bytes.length}`);
}

/**
 * Decode the host frame at the start of `bytes`. Commands are sized by LEN; jobs by `jobFormat`
 * when given (factory firmware writes LEN 0x36 whatever the size, §1.2), else by LEN 0x56/0x96.
 */
export function parseCommand(bytes: Uint8Array, options: { jobFormat?: JobFormat } = {}): ParseCommandResult {
  if (bytes.length < 4) {
    if (bytes.length >= 1 && bytes[0] !== 0x55) return { kind: 'invalid', reason: 'preamble', skip: 1 };
    if (bytes.length >= 2 && bytes[1] !== 0xaa) return { kind: 'invalid', reason: 'preamble', skip: 1 };
    return { kind: 'incomplete' };
  }
  if (bytes[0] !== 0x55 || bytes[1] !== 0xaa) return { kind: 'invalid', reason: 'preamble', skip: 1 };
  const hdr = bytes[2] ?? 0;
  const len = bytes[3] ?? 0;
  const type = hdr & 0x60;
  if (type === TYPE_JOB && (hdr & 0x0f) === 1) return parseJob(bytes, len, options.jobFormat);
  if (type !== TYPE_COMMAND || (hdr & 0x80) !== 0) return { kind: 'invalid', reason: 'header', skip: 1 };
  const cmd = hdr & 0x0f;
  const expectedLen = cmd === CMD_WRITE ? 9 : 5;
  if (cmd > CMD_INACTIVE || len !== expectedLen) return { kind: 'invalid', reason: 'length', skip: 1 };
  const total = len + 2;
  if (bytes.length < total) return { kind: 'incomplete' };
  const frame = bytes.subarray(0, total);
  if (crc5(frame.subarray(2, total - 1)) !== ((frame[total - 1] ?? 0) & 0x1f)) {
    return { kind: 'invalid', reason: 'crc', skip: 1 };
  }
  const address = frame[4] ?? 0;
  const target: Target = hdr & ALL ? 'all' : address;
  const reg = frame[5] ?? 0;
  const command: Command =
    cmd === CMD_SET_ADDRESS
      ? { type: 'setAddress', address }
      : cmd === CMD_WRITE
        ? { type: 'writeRegister', target, reg, value: bytesToU32(frame, 6) }
        : cmd === CMD_READ
          ? { type: 'readRegister', target, reg }
          : { type: 'chainInactive' };
  return { kind: 'ok', command, length: total };
}

function parseJob(bytes: Uint8Array, len: number, format: JobFormat | undefined): ParseCommandResult {
  const kind =
    format ??
    (len === FULL_JOB_LENGTH - 2 ? 'full' : len === MIDSTATE_JOB_LENGTH - 2 ? 'midstate' : undefined);
  if (kind === undefined) return { kind: 'invalid', reason: 'job length', skip: 1 };
  const total = kind === 'full' ? FULL_JOB_LENGTH : MIDSTATE_JOB_LENGTH;
  if (bytes.length < total) return { kind: 'incomplete' };
  const frame = bytes.subarray(0, total);
  const view = new DataView(frame.buffer, frame.byteOffset, total);
  if (crc16(frame.subarray(2, total - 2)) !== view.getUint16(total - 2, false)) {
    return { kind: 'invalid', reason: 'crc', skip: 1 };
  }
  const common = {
    jobId: frame[4] ?? 0,
    startingNonce: view.getUint32(6, true),
    nbits: view.getUint32(10, true),
    ntime: view.getUint32(14, true),
  };
  if (kind === 'full') {
    const job: FullJob = {
      ...common,
      merkleRoot: wordReverse(frame.subarray(18, 50)),
      prevHash: wordReverse(frame.subarray(50, 82)),
      version: view.getUint32(82, true),
    };
    return { kind: 'ok', command: { type: 'jobFull', job }, length: total };
  }
  const numMidstates = frame[5] ?? 0;
  const midstates: Uint8Array[] = [];
  for (let k = 0; k < Math.min(4, Math.max(1, numMidstates)); k++) {
    midstates.push(wordReverse(frame.subarray(22 + 32 * k, 54 + 32 * k)));
  }
  const job: MidstateJob = { ...common, numMidstates, merkle4: frame.slice(18, 22), midstates };
  return { kind: 'ok', command: { type: 'jobMidstate', job }, length: total };
}
