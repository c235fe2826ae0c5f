/**
 * Every class of bad input (short, long, length prefix past the end, over-long B0_32, invalid UTF-8,
 * bad OPTION count, impossible sequence count, frame/header mismatch), unknown types as values, the
 * channel_msg policy, and encode-side refusals.
 */
import { describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes } from '../../src/bytes/hex.js';
import { DecodeError } from '../../src/errors.js';
import { decodeFrame, decodeMessage, encodeMessage } from '../../src/sv2/codec.js';
import { type NewMiningJob, SetNewPrevHash } from '../../src/sv2/messages/registry.js';

function decodeError(hex: string): DecodeError {
  try {
    decodeMessage(hexToBytes(hex));
  } catch (error) {
    if (error instanceof DecodeError) return error;
    throw error;
  }
  throw new Error(`${hex} decoded without error`);
}

describe('bad input is a DecodeError naming message, field and payload offset', () => {
  it('payload too short', () => {
    expect(decodeError(`008020140000${'07000000'}${'02000000'}${'aa'.repeat(12)}`).message).toBe(
      'SetNewPrevHash.prev_hash: need 32 bytes, have 12 at offset 8',
    );
  });
  it('trailing bytes after the last field', () => {
    const e = decodeError(`00801a190000${'00'.repeat(25)}`);
    expect([e.messageName, e.field, e.offset]).toEqual(['SubmitSharesStandard', 'payload', 24]);
  });
  it('length prefix past the end of the payload', () => {
    const e = decodeError(`0000112b0000${'00'.repeat(40)}05aabb`);
    expect(e.message).toBe(
      'OpenStandardMiningChannel.Success.extranonce_prefix: need 5 bytes, have 2 at offset 41',
    );
  });
  it('B0_32 longer than 32', () => {
    const e = decodeError(`008019260000${'01000000'}21${'00'.repeat(33)}`);
    expect(e.message).toBe(
      'SetExtranoncePrefix.extranonce_prefix: length 33 exceeds B0_32 maximum 32 at offset 4',
    );
  });
  it('invalid UTF-8 in a string', () => {
    const e = decodeError(`000002070000${'00000000'}02c328`);
    expect(e.message).toBe('SetupConnection.Error.error_code: 2 bytes are not valid UTF-8 at offset 5');
  });
  it('OPTION with count 2', () => {
    const e = decodeError(`008015310000${'01000000'}${'02000000'}02${'00'.repeat(40)}`);
    expect([e.field, e.offset]).toEqual(['min_ntime', 8]);
  });
  it('sequence count larger than the payload can hold', () => {
    const e = decodeError(`000025080000${'01000000'}ffff0000`);
    expect(e.message).toBe(
      'SetGroupChannel.channel_ids: 65535 elements of U32 need at least 262140 bytes, have 2 at offset 4',
    );
  });
  it('header msg_length disagreeing with the frame, and a short header', () => {
    expect(decodeError('008020300000aabb').message).toBe(
      'SetNewPrevHash.msg_length: header says 48 payload bytes, frame has 2 at offset 3',
    );
    expect(decodeError('0000010000000000').message).toMatch(/2 bytes after the 0-byte payload/);
    expect(decodeError('0080').message).toBe('Frame.header: need 6 bytes, have 2 at offset 0');
    expect(() =>
      decodeFrame({
        header: { extensionType: 0, channelMsg: false, msgType: 1, msgLength: 6 },
        payload: new Uint8Array(2),
      }),
    ).toThrow(DecodeError);
  });
});

describe('unknown types and the channel_msg bit are values, not throws', () => {
  it('reserved msg_type 0x1e and unregistered 0x05 are unknown msg_type', () => {
    const r = decodeMessage(hexToBytes('00801e020000abcd'));
    expect(r).toMatchObject({ kind: 'unknown', reason: 'msg_type', header: { msgType: 0x1e, msgLength: 2 } });
    expect(decodeMessage(hexToBytes('000005000000')).kind).toBe('unknown');
  });
  it('a non-zero extension_type is unknown extension_type, with or without channel_msg', () => {
    expect(decodeMessage(hexToBytes('010000000000'))).toMatchObject({
      kind: 'unknown',
      reason: 'extension_type',
    });
    expect(decodeMessage(hexToBytes('0280150000000000'.slice(0, 12)))).toMatchObject({
      kind: 'unknown',
      reason: 'extension_type',
      header: { extensionType: 2, channelMsg: true },
    });
  });
  it('NewMiningJob with channel_msg unset (pre-May-2026 servers) decodes with channelMsgMismatch', () => {
    const good = encodeMessage('NewMiningJob', {
      channel_id: 1,
      job_id: 1,
      min_ntime: null,
      version: 1,
      merkle_root: new Uint8Array(32),
    });
    const old = Uint8Array.from(good);
    old[1] = 0x00;
    const r = decodeMessage(old);
    expect(r).toMatchObject({ kind: 'message', channelMsgMismatch: true, header: { channelMsg: false } });
    expect(decodeMessage(good)).toMatchObject({ channelMsgMismatch: false });
  });
  it('SetGroupChannel is sent with channel_msg 0 despite its leading id (gotcha 12)', () => {
    expect(
      bytesToHex(encodeMessage('SetGroupChannel', { group_channel_id: 9, channel_ids: [1] }).subarray(0, 3)),
    ).toBe('000025');
  });
});

describe('encode refuses values the fields cannot carry', () => {
  it('names message and field', () => {
    expect(() =>
      encodeMessage(SetNewPrevHash, {
        channel_id: 1,
        job_id: 1,
        prev_hash: new Uint8Array(31),
        min_ntime: 0,
        nbits: 0,
      }),
    ).toThrow('SetNewPrevHash.prev_hash: U256 needs exactly 32 bytes, got 31 bytes');
    expect(() =>
      encodeMessage('SubmitSharesStandard', {
        channel_id: -1,
        sequence_number: 0,
        job_id: 0,
        nonce: 0,
        ntime: 0,
        version: 0,
      }),
    ).toThrow(/SubmitSharesStandard.channel_id: value -1 is not an unsigned 32-bit integer/);
    expect(() =>
      encodeMessage('Nope' as 'SetTarget', { channel_id: 1, maximum_target: new Uint8Array(32) }),
    ).toThrow(/unknown SV2 message "Nope"/);
  });

  it('types are inferred from the tables', () => {
    const ok: NewMiningJob = {
      channel_id: 1,
      job_id: 2,
      min_ntime: null,
      version: 3,
      merkle_root: new Uint8Array(32),
    };
    // @ts-expect-error min_ntime is number | null, not a string
    const bad: NewMiningJob = { ...ok, min_ntime: '5' };
    // @ts-expect-error SetTarget has no nonce field
    encodeMessage('SetTarget', { channel_id: 1, maximum_target: new Uint8Array(32), nonce: 1 });
    expect(bad.channel_id).toBe(1);
  });
});
