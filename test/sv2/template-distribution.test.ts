/**
 * Template Distribution rows of the codec: sv2-tp's fixed-byte payloads (NewTemplate with one and
 * three outputs, SetNewPrevHash, the empty-payload frame headers that carry TDP's msg_types), the
 * layouts of SRI's template_distribution_sv2 7.0.0 for the messages sv2-tp has no vector for
 * (hand-assembled bytes), and the name split from Mining's SetNewPrevHash.
 */
import { describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes } from '../../src/bytes/hex.js';
import { decodeMessage, encodeMessage } from '../../src/sv2/codec.js';
import {
  CoinbaseOutputConstraints,
  lookupSchema,
  NewTemplate,
  RequestTransactionData,
  RequestTransactionDataError,
  RequestTransactionDataSuccess,
  SubmitSolution,
  schemaByName,
  TemplateSetNewPrevHash,
} from '../../src/sv2/messages/registry.js';
import { readVectorJson } from '../helpers/vectors.js';

const file = readVectorJson<{
  vectors: { name: string; hex: string; decoded?: Record<string, unknown> }[];
}>('sv2tp_message_serialization.json');
function vector(prefix: string): { hex: string; decoded?: Record<string, unknown> } {
  const v = file.vectors.find((x) => x.name.startsWith(prefix));
  if (v === undefined) throw new Error(`vector "${prefix}" missing`);
  return v;
}

describe('sv2-tp vectors', () => {
  it('NewTemplate decodes to the listed values and re-encodes byte for byte', () => {
    const v = vector('TDP NewTemplate payload');
    const d = v.decoded as {
      template_id: number;
      future_template: boolean;
      version: number;
      coinbase_tx_version: number;
      coinbase_prefix: string;
      coinbase_tx_input_sequence: number;
      coinbase_tx_value_remaining: number;
      coinbase_tx_outputs_count: number;
      'coinbase_tx_outputs(B0_64K, 12 bytes)': string;
      coinbase_tx_locktime: number;
      merkle_path: string[];
    };
    const fields = NewTemplate.decodePayload(hexToBytes(v.hex));
    expect(fields.template_id).toBe(BigInt(d.template_id));
    expect(fields.future_template).toBe(d.future_template);
    expect(fields.version).toBe(d.version);
    expect(fields.coinbase_tx_version).toBe(d.coinbase_tx_version);
    expect(bytesToHex(fields.coinbase_prefix)).toBe(d.coinbase_prefix);
    expect(fields.coinbase_tx_input_sequence).toBe(d.coinbase_tx_input_sequence);
    expect(fields.coinbase_tx_value_remaining).toBe(BigInt(d.coinbase_tx_value_remaining));
    expect(fields.coinbase_tx_outputs_count).toBe(d.coinbase_tx_outputs_count);
    // The vector's value starts with the length prefix's high byte (00) before the 12 payload bytes:
    // one output of 1 sat paying OP_RETURN 0x2a.
    expect(`00${bytesToHex(fields.coinbase_tx_outputs)}`).toBe(d['coinbase_tx_outputs(B0_64K, 12 bytes)']);
    expect(fields.coinbase_tx_outputs.length).toBe(12);
    expect(fields.coinbase_tx_locktime).toBe(d.coinbase_tx_locktime);
    expect(fields.merkle_path.map(bytesToHex)).toEqual(d.merkle_path);
    expect(bytesToHex(NewTemplate.encodePayload(fields))).toBe(v.hex);
  });

  it('NewTemplate with three OP_RETURN outputs round-trips and counts them', () => {
    const v = vector('TDP NewTemplate, 3 OP_RETURN outputs');
    const fields = NewTemplate.decodePayload(hexToBytes(v.hex));
    expect(fields.coinbase_tx_outputs_count).toBe(3);
    // 3 x (8-byte value + 1-byte script length + 2-byte script) = 33 bytes.
    expect(fields.coinbase_tx_outputs.length).toBe(33);
    expect(bytesToHex(NewTemplate.encodePayload(fields))).toBe(v.hex);
  });

  it('SetNewPrevHash (TDP flavour) decodes to the listed values and re-encodes byte for byte', () => {
    const v = vector('TDP SetNewPrevHash payload');
    const d = v.decoded as {
      template_id: number;
      prev_hash: string;
      header_timestamp: number;
      nbits: number;
      'target(U256 LE)': string;
    };
    const fields = TemplateSetNewPrevHash.decodePayload(hexToBytes(v.hex));
    expect(fields.template_id).toBe(BigInt(d.template_id));
    expect(bytesToHex(fields.prev_hash)).toBe(d.prev_hash);
    expect(fields.header_timestamp).toBe(d.header_timestamp);
    expect(fields.nbits).toBe(d.nbits);
    expect(bytesToHex(fields.target)).toBe(d['target(U256 LE)']);
    expect(bytesToHex(TemplateSetNewPrevHash.encodePayload(fields))).toBe(v.hex);
  });

  it.each([
    ['Frame header NewTemplate', 'NewTemplate'],
    ['Frame header TDP SetNewPrevHash', 'TemplateDistribution.SetNewPrevHash'],
  ])('the %s vector names the %s row (extension 0, channel_msg 0)', (prefix, name) => {
    const header = hexToBytes(vector(prefix).hex);
    expect(header[0]).toBe(0);
    expect(header[1]).toBe(0);
    expect(lookupSchema(0, header[2] as number)?.name).toBe(name);
    expect(schemaByName(name)?.channelMsg).toBe(false);
  });

  it('a whole TDP SetNewPrevHash frame decodes under its qualified name, not Mining’s', () => {
    const payload = vector('TDP SetNewPrevHash payload').hex;
    const frame = hexToBytes(`000072${(payload.length / 2).toString(16).padStart(2, '0')}0000${payload}`);
    const result = decodeMessage(frame);
    expect(result.kind === 'message' && result.message.name).toBe('TemplateDistribution.SetNewPrevHash');
    expect(schemaByName('SetNewPrevHash')?.type).toBe(0x20);
  });
});

describe('layouts of template_distribution_sv2 7.0.0 (hand-assembled bytes)', () => {
  it('CoinbaseOutputConstraints = U32 size + U16 sigops', () => {
    const fields = {
      coinbase_output_max_additional_size: 0x01020304,
      coinbase_output_max_additional_sigops: 0x0506,
    };
    expect(bytesToHex(encodeMessage(CoinbaseOutputConstraints, fields))).toBe(
      '000070060000' + '04030201' + '0605',
    );
  });

  it('RequestTransactionData = U64 template_id', () => {
    expect(bytesToHex(RequestTransactionData.encodePayload({ template_id: 0x0102030405060708n }))).toBe(
      '0807060504030201',
    );
  });

  it('RequestTransactionData.Success = U64 + B0_64K excess_data + SEQ0_64K[B0_16M]', () => {
    const fields = {
      template_id: 7n,
      excess_data: hexToBytes('aabb'),
      transaction_list: [hexToBytes('01'), hexToBytes('0203')],
    };
    const hex = '0700000000000000' + '0200aabb' + '0200' + '01000001' + '020000' + '0203';
    expect(bytesToHex(RequestTransactionDataSuccess.encodePayload(fields))).toBe(hex);
    expect(RequestTransactionDataSuccess.decodePayload(hexToBytes(hex))).toEqual(fields);
  });

  it('RequestTransactionData.Error = U64 + STR0_255', () => {
    const fields = { template_id: 1n, error_code: 'template-id-not-found' };
    const hex = `0100000000000000${(21).toString(16)}${Buffer.from('template-id-not-found').toString('hex')}`;
    expect(bytesToHex(RequestTransactionDataError.encodePayload(fields))).toBe(hex);
  });

  it('SubmitSolution = U64 + version + timestamp + nonce + B0_64K coinbase', () => {
    const fields = {
      template_id: 2n,
      version: 0x20000000,
      header_timestamp: 0x6553f100,
      header_nonce: 0xdeadbeef,
      coinbase_tx: hexToBytes('01020304'),
    };
    const hex = '0200000000000000' + '00000020' + '00f15365' + 'efbeadde' + '0400' + '01020304';
    expect(bytesToHex(SubmitSolution.encodePayload(fields))).toBe(hex);
    expect(SubmitSolution.decodePayload(hexToBytes(hex))).toEqual(fields);
  });

  it('a truncated NewTemplate is refused with the field named', () => {
    const hex = vector('TDP NewTemplate payload').hex;
    expect(() => NewTemplate.decodePayload(hexToBytes(hex.slice(0, -2)))).toThrow(/NewTemplate.*merkle_path/);
  });
});
