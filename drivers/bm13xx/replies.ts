/**
 * Chip -> host frames, bm13xx.md §2: `AA 55 | 4 bytes | byte6 | byte7 | [2 bytes] | TYPE:3+CRC5:5`,
 * 9 or 11 bytes by model and state. decodeReply turns one whole frame into a typed
 * RegisterReply | NonceReply with the per-model field rules of chips.ts; the encoders are what a
 * simulated chip answers with. Framing a byte stream (sync, resync) is reply-parser.ts's job.
 */
import { DecodeError } from '../../src/errors.js';
import { CHIPS, type ChipModel, nonceFields } from './chips.js';
import { crc5 } from './crc.js';
import { bytesToU32, u32ToBytes } from './registers.js';

const REPLY_PREAMBLE = [0xaa, 0x55] as const; // chip -> host, §2.1
const TYPE_REGISTER = 0; // last byte bits 7..5, §2.1
const TYPE_NONCE = 4;

export type ReplyLength = 9 | 11;

export interface RegisterReply {
  readonly kind: 'register';
  readonly value: number;
  readonly chipAddress: number;
  readonly reg: number;
}

export interface NonceReply {
  readonly kind: 'nonce';
  /** Header nonce: wire bytes 2..5 read little-endian (they are header bytes 76..79, §2.3). */
  readonly nonce: number;
  /** The same bytes read MSB-first; the chip packs core id and address here. */
  readonly nonceBe: number;
  /** Byte 6: midstate_num (BM1397) / excess difficulty in half bits (BM1362+). */
  readonly midstateNum: number;
  /** Byte 7 as received. */
  readonly resultHeader: number;
  /** The job id byte the host sent (chips.ts jobId.fromReply). */
  readonly jobId: number;
  /** Sub-core (BM1366+) or midstate index (BM1397). */
  readonly subcore: number;
  readonly coreId: number;
  /** Nonce bits 24..17; an address only on models that stamp it. */
  readonly addressField: number;
  /** 16-bit rolled-version field (11-byte frames), undefined in 9-byte frames. */
  readonly versionField: number | undefined;
  /** versionField << 13: the header-version bits the chip rolled (§2.3). */
  readonly rolledBits: number;
}

export type Reply = RegisterReply | NonceReply;

/** True when CRC5 over every byte after AA 55, the last byte included, is 0 (§2.1). */
export function replyCrcOk(frame: Uint8Array): boolean {
  return frame.length > 3 && crc5(frame.subarray(2)) === 0;
}

/** Decode a whole 9- or 11-byte frame; throws DecodeError on bad length, preamble or CRC. */
export function decodeReply(frame: Uint8Array, model: ChipModel): Reply {
  const fail = (field: string, offset: number, problem: string): never => {
    throw new DecodeError(`${model} reply`, field, offset, problem);
  };
  if (frame.length !== 9 && frame.length !== 11) fail('frame', 0, `need 9 or 11 bytes, have ${frame.length}`);
  if (frame[0] !== 0xaa || frame[1] !== 0x55) fail('preamble', 0, 'expected AA 55');
  if (!replyCrcOk(frame)) fail('crc5', frame.length - 1, 'CRC5 mismatch');
  const last = frame[frame.length - 1] ?? 0;
  const byte6 = frame[6] ?? 0;
  const byte7 = frame[7] ?? 0;
  // ESP-Miner tests only bit 7 of the type; TYPE 4 is the only nonce type seen.
  if (last >> 5 !== TYPE_NONCE) {
    return { kind: 'register', value: bytesToU32(frame, 2), chipAddress: byte6, reg: byte7 };
  }
  const spec = CHIPS[model];
  const nonceBe = bytesToU32(frame, 2);
  const nonce =
    ((frame[2] ?? 0) | ((frame[3] ?? 0) << 8) | ((frame[4] ?? 0) << 16) | ((frame[5] ?? 0) << 24)) >>> 0;
  const versionField = frame.length === 11 ? ((frame[8] ?? 0) << 8) | (frame[9] ?? 0) : undefined;
  const { coreId, addressField } = nonceFields(nonceBe);
  return {
    kind: 'nonce',
    nonce,
    nonceBe,
    midstateNum: byte6,
    resultHeader: byte7,
    jobId: spec.jobId.fromReply(byte7),
    subcore: spec.jobId.subcore(byte7),
    coreId,
    addressField,
    versionField,
    rolledBits: versionField === undefined ? 0 : (versionField << 13) >>> 0,
  };
}

/** A register answer (TYPE 0); 11-byte frames carry two zero bytes before the last (§2.2). */
export function encodeRegisterReply(
  reply: { value: number; chipAddress: number; reg: number },
  length: ReplyLength,
): Uint8Array {
  const frame = new Uint8Array(length);
  frame.set(REPLY_PREAMBLE, 0);
  frame.set(u32ToBytes(reply.value), 2);
  frame[6] = reply.chipAddress & 0xff;
  frame[7] = reply.reg & 0xff;
  return sealReply(frame, TYPE_REGISTER);
}

/**
 * A nonce answer (TYPE 4). `nonce` is the header nonce (LE u32); `resultHeader` comes from
 * chips.ts jobId.toReply. `versionField` is required in 11-byte frames and ignored in 9-byte ones.
 */
export function encodeNonceReply(
  reply: { nonce: number; midstateNum: number; resultHeader: number; versionField?: number },
  length: ReplyLength,
): Uint8Array {
  const frame = new Uint8Array(length);
  frame.set(REPLY_PREAMBLE, 0);
  const n = reply.nonce >>> 0;
  frame.set([n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24], 2);
  frame[6] = reply.midstateNum & 0xff;
  frame[7] = reply.resultHeader & 0xff;
  if (length === 11) {
    const v = reply.versionField ?? 0;
    frame[8] = (v >> 8) & 0xff;
    frame[9] = v & 0xff;
  }
  return sealReply(frame, TYPE_NONCE);
}

/** Last byte = TYPE << 5 | CRC5 over the payload and the 3 TYPE bits (§2.1). */
function sealReply(frame: Uint8Array, type: number): Uint8Array {
  const last = frame.length - 1;
  frame[last] = type << 5;
  frame[last] = (type << 5) | crc5(frame.subarray(2), (last - 2) * 8 + 3);
  return frame;
}
