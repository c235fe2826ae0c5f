/**
 * The codec against outside truth (sv2-tp payloads, SRI and DERIVED transcript frames), against
 * hand-assembled hot-path frames, and round trips of every registered message.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes } from '../../src/bytes/hex.js';
import {
  type DecodeResult,
  decodeFrame,
  decodeMessage,
  encodeAnyMessage,
  encodeMessage,
} from '../../src/sv2/codec.js';
import { FrameSplitter } from '../../src/sv2/frame.js';
import {
  type AnyMessage,
  MESSAGES,
  type NewMiningJob,
  SetupConnection,
  SetupConnectionError,
  SetupConnectionSuccess,
} from '../../src/sv2/messages/registry.js';
import type { MessageSchema } from '../../src/sv2/schema.js';
import { sameValue } from '../helpers/same-value.js';
import { readVectorJson } from '../helpers/vectors.js';
import { arbitraryFields } from './arbitraries.js';

function decoded(result: DecodeResult): AnyMessage {
  if (result.kind !== 'message') throw new Error(`expected a message, got unknown ${result.reason}`);
  return result.message;
}

const FF32 = 'ff'.repeat(32);

describe('sv2-tp fixed-byte vectors (sv2tp_message_serialization.json)', () => {
  const file = readVectorJson<{
    vectors: { name: string; hex: string; decoded?: Record<string, unknown> }[];
  }>('sv2tp_message_serialization.json');
  const vector = (prefix: string): { hex: string; decoded?: Record<string, unknown> } => {
    const v = file.vectors.find((x) => x.name.startsWith(prefix));
    if (v === undefined) throw new Error(`vector "${prefix}" missing`);
    return v;
  };

  it('SetupConnection (protocol 2 = TDP, caveat noted) decodes to the listed values and back', () => {
    const v = vector('SetupConnection payload');
    const fields = SetupConnection.decodePayload(hexToBytes(v.hex));
    expect(fields).toEqual(v.decoded);
    expect(bytesToHex(SetupConnection.encodePayload(fields))).toBe(v.hex);
  });

  it('SetupConnection frame = header vector + payload, channel_msg 0', () => {
    const frame = hexToBytes(
      vector('Frame header for the SetupConnection').hex + vector('SetupConnection payload').hex,
    );
    const result = decodeMessage(frame);
    expect(result.kind === 'message' && result.header).toEqual({
      extensionType: 0,
      channelMsg: false,
      msgType: 0,
      msgLength: 82,
    });
    expect(bytesToHex(encodeAnyMessage(decoded(result)))).toBe(bytesToHex(frame));
  });

  it('SetupConnection.Success used_version=2 flags=3', () => {
    const v = vector('SetupConnection.Success payload');
    expect(SetupConnectionSuccess.decodePayload(hexToBytes(v.hex))).toEqual({ used_version: 2, flags: 3 });
    expect(bytesToHex(SetupConnectionSuccess.encodePayload({ used_version: 2, flags: 3 }))).toBe(v.hex);
  });

  it('SetupConnection.Error flags=0 error_code="protocol-version-mismatch"', () => {
    const v = vector('SetupConnection.Error payload');
    const want = { flags: 0, error_code: 'protocol-version-mismatch' };
    expect(SetupConnectionError.decodePayload(hexToBytes(v.hex))).toEqual(want);
    expect(bytesToHex(SetupConnectionError.encodePayload(want))).toBe(v.hex);
  });
});

describe('plaintext frames of the Noise transcripts', () => {
  const sri = readVectorJson<Record<string, string>>('sri_noise_handshake_transcript.json');
  const derived = readVectorJson<Record<string, unknown>>('sv2_noise_handshake_DERIVED.json');
  const derivedFrame = (prefix: string): string => {
    const entry = Object.entries(derived).find(([k]) => k.startsWith(prefix));
    const frame = (entry?.[1] as { plaintext_frame?: string } | undefined)?.plaintext_frame;
    if (frame === undefined) throw new Error(`${prefix} missing`);
    return frame;
  };

  const cases: [string, string, AnyMessage][] = [
    [
      'SRI msg1 SetupConnection',
      sri['msg1_setup_connection_plain_frame'] ?? '',
      {
        name: 'SetupConnection',
        fields: {
          protocol: 0,
          min_version: 2,
          max_version: 2,
          flags: 0,
          endpoint_host: '127.0.0.1',
          endpoint_port: 34254,
          vendor: 'sri-client',
          hardware_version: 'cpu',
          firmware: '0.1',
          device_id: 'dev0',
        },
      },
    ],
    [
      'SRI msg2 SetupConnection.Success',
      sri['msg2_setup_connection_success_plain_frame'] ?? '',
      { name: 'SetupConnection.Success', fields: { used_version: 2, flags: 0 } },
    ],
    [
      'SRI msg3 OpenStandardMiningChannel',
      sri['msg3_open_standard_mining_channel_plain_frame'] ?? '',
      {
        name: 'OpenStandardMiningChannel',
        fields: {
          request_id: 7,
          user_identity: 'sri-client.worker',
          nominal_hash_rate: 1e6,
          max_target: hexToBytes(FF32),
        },
      },
    ],
    [
      'DERIVED transport_1 SetupConnection',
      derivedFrame('transport_1'),
      {
        name: 'SetupConnection',
        fields: {
          protocol: 0,
          min_version: 2,
          max_version: 2,
          flags: 5,
          endpoint_host: '127.0.0.1',
          endpoint_port: 34254,
          vendor: 'sv2miner',
          hardware_version: 'bm1370-sim',
          firmware: '0.1.0',
          device_id: '',
        },
      },
    ],
    [
      'DERIVED transport_2 SetupConnection.Success(used_version=2,flags=0)',
      derivedFrame('transport_2'),
      { name: 'SetupConnection.Success', fields: { used_version: 2, flags: 0 } },
    ],
    [
      'DERIVED transport_3 OpenStandardMiningChannel(request_id=1,user="sv2miner.worker1",1e12,ff*32)',
      derivedFrame('transport_3'),
      {
        name: 'OpenStandardMiningChannel',
        fields: {
          request_id: 1,
          user_identity: 'sv2miner.worker1',
          nominal_hash_rate: Math.fround(1e12),
          max_target: hexToBytes(FF32),
        },
      },
    ],
  ];

  it.each(cases)('%s decodes to exact values and re-encodes to exact bytes', (_label, hex, want) => {
    expect(hex).not.toBe('');
    const result = decodeMessage(hexToBytes(hex));
    expect(result.kind === 'message' && result.channelMsgMismatch).toBe(false);
    expect(decoded(result)).toEqual(want);
    expect(bytesToHex(encodeMessage(want.name, want.fields as never))).toBe(hex);
  });
});

describe('hot-path messages against hand-assembled bytes (sv2.md §5.2 layouts)', () => {
  const root = '11'.repeat(32);
  it('NewMiningJob future job: 45-byte payload, channel bit set', () => {
    const fields: NewMiningJob = {
      channel_id: 1,
      job_id: 2,
      min_ntime: null,
      version: 0x20000000,
      merkle_root: hexToBytes(root),
    };
    expect(bytesToHex(encodeMessage('NewMiningJob', fields))).toBe(
      `008015${'2d0000'}01000000${'02000000'}00${'00000020'}${root}`,
    );
  });
  it('NewMiningJob active job: 49-byte payload with OPTION 01 + U32', () => {
    const frame = `008015310000010000000200000001${'78563412'}00000020${root}`;
    const m = decoded(decodeMessage(hexToBytes(frame)));
    expect(m).toEqual({
      name: 'NewMiningJob',
      fields: {
        channel_id: 1,
        job_id: 2,
        min_ntime: 0x12345678,
        version: 0x20000000,
        merkle_root: hexToBytes(root),
      },
    });
  });
  it('SetNewPrevHash: 48-byte payload', () => {
    const frame = `008020300000${'07000000'}${'02000000'}${root}${'04d40b68'}${'c0d7001b'}`;
    const m = decoded(decodeMessage(hexToBytes(frame)));
    expect(m).toEqual({
      name: 'SetNewPrevHash',
      fields: {
        channel_id: 7,
        job_id: 2,
        prev_hash: hexToBytes(root),
        min_ntime: 1745605636,
        nbits: 0x1b00d7c0,
      },
    });
    expect(bytesToHex(encodeAnyMessage(m))).toBe(frame);
  });
  it('SubmitSharesStandard: 24-byte payload', () => {
    const fields = {
      channel_id: 1,
      sequence_number: 0,
      job_id: 2,
      nonce: 244405,
      ntime: 1745596932,
      version: 0x20000000,
    };
    expect(bytesToHex(encodeMessage('SubmitSharesStandard', fields))).toBe(
      '00801a180000' + '01000000' + '00000000' + '02000000' + 'b5ba0300' + '04b20b68' + '00000020',
    );
  });
  it('SubmitShares.Success carries U64 new_shares_sum as bigint', () => {
    const m = decoded(
      decodeMessage(hexToBytes(`00801c140000${'01000000'}${'09000000'}${'0a000000'}${'ffffffffffffffff'}`)),
    );
    expect(m.fields).toEqual({
      channel_id: 1,
      last_sequence_number: 9,
      new_submits_accepted_count: 10,
      new_shares_sum: 2n ** 64n - 1n,
    });
  });
});

describe('every registered message round-trips (arbitraries from the field tables)', () => {
  it.each((MESSAGES as readonly MessageSchema[]).map((s) => [s.name, s] as const))('%s', (_name, schema) => {
    fc.assert(
      fc.property(arbitraryFields(schema), (fields) => {
        const frame = encodeMessage(schema, fields as never);
        const result = decodeMessage(frame);
        expect(result.kind).toBe('message');
        if (result.kind !== 'message') return;
        expect(result.header).toEqual({
          extensionType: schema.ext,
          channelMsg: schema.channelMsg,
          msgType: schema.type,
          msgLength: frame.length - 6,
        });
        expect(result.channelMsgMismatch).toBe(false);
        // The same rule as toEqual, at a fraction of its cost inside a property run.
        expect(sameValue(result.message, { name: schema.name, fields })).toBe(true);
        expect(sameValue(encodeAnyMessage(result.message), frame)).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('frames split from a byte stream decode the same as whole frames', () => {
    const a = encodeMessage('SetTarget', { channel_id: 3, maximum_target: hexToBytes(FF32) });
    const b = encodeMessage('CloseChannel', { channel_id: 3, reason_code: 'bye' });
    const frames = new FrameSplitter().push(Uint8Array.from([...a, ...b]));
    expect(frames.map((f) => decoded(decodeFrame(f)).name)).toEqual(['SetTarget', 'CloseChannel']);
  });
});
