import { describe, expect, it } from 'vitest';
import { hexToBytes } from '../../src/bytes/hex.js';
import type { CliIo } from '../../src/cli/command.js';
import { command } from '../../src/cli/commands/decode.js';
import { decodeMessage, encodeMessage } from '../../src/sv2/codec.js';
import { messageToJson } from '../../src/sv2/json.js';
import { readVectorJson } from '../helpers/vectors.js';

async function run(...argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l) };
  const code = await command.run(argv, io);
  return { code, out, err };
}

const sri = readVectorJson<Record<string, string>>('sri_noise_handshake_transcript.json');

describe('sv2miner decode', () => {
  it('prints one JSON line for the SRI OpenStandardMiningChannel frame', async () => {
    const r = await run(sri['msg3_open_standard_mining_channel_plain_frame'] ?? '');
    expect(r).toMatchObject({ code: 0, err: [] });
    expect(r.out).toHaveLength(1);
    expect(JSON.parse(r.out[0] ?? '')).toEqual({
      extension_type: 0,
      msg_type: 0x10,
      channel_msg: false,
      message: 'OpenStandardMiningChannel',
      fields: {
        request_id: 7,
        user_identity: 'sri-client.worker',
        nominal_hash_rate: 1000000,
        max_target: 'ff'.repeat(32),
      },
    });
  });

  it('accepts hex split by spaces across arguments', async () => {
    const r = await run('00 00 01 06 00 00', '0200', '0000 0000');
    expect(r.code).toBe(0);
    expect(r.out[0]).toBe(
      '{"extension_type":0,"msg_type":1,"channel_msg":false,"message":"SetupConnection.Success","fields":{"used_version":2,"flags":0}}',
    );
  });

  it('bad input: exit 1 and one line naming message, field and offset', async () => {
    const r = await run(`008020140000 07000000 02000000 ${'aa'.repeat(12)}`);
    expect(r).toEqual({
      code: 1,
      out: [],
      err: ['decode: SetNewPrevHash.prev_hash: need 32 bytes, have 12 at offset 8'],
    });
    expect(await run('00zz')).toMatchObject({
      code: 1,
      out: [],
      err: [expect.stringMatching(/^decode: input is not hex/)],
    });
  });

  it('unknown type: one line, exit 3', async () => {
    const r = await run('00801e000000');
    expect(r).toEqual({
      code: 3,
      out: [],
      err: [
        'decode: unknown message: extension_type 0x0000 msg_type 0x1e (0-byte payload); known: Common and Mining messages of extension_type 0x0000',
      ],
    });
  });

  it('usage errors exit 2; --help documents the U64/U256 representation', async () => {
    expect((await run()).code).toBe(2);
    expect((await run('--bogus')).code).toBe(2);
    const help = await run('--help');
    expect(help.code).toBe(0);
    expect(help.out.join('\n')).toMatch(/U64\s+decimal string/);
    expect(help.out.join('\n')).toMatch(/U256 .*raw wire order/);
  });

  it('a channel_msg bit differing from the table decodes with a warning on stderr', async () => {
    const frame = encodeMessage('SetTarget', { channel_id: 1, maximum_target: new Uint8Array(32) });
    frame[1] = 0;
    const r = await run(Buffer.from(frame).toString('hex'));
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out[0] ?? '')).toMatchObject({ message: 'SetTarget', channel_msg: false });
    expect(r.err).toEqual(['decode: warning: SetTarget has channel_msg 0, the spec table says 1 (accepted)']);
  });
});

describe('JSON representation', () => {
  it('U64 as decimal string, U256/B0 as raw-order hex, OPTION null/value, SEQ as array, BOOL', () => {
    const json = (frame: Uint8Array): unknown => {
      const r = decodeMessage(frame);
      if (r.kind !== 'message') throw new Error('unknown');
      return messageToJson(r).fields;
    };
    expect(json(hexToBytes(`00801c140000 01000000 09000000 0a000000 ${'ffffffffffffffff'}`))).toEqual({
      channel_id: 1,
      last_sequence_number: 9,
      new_submits_accepted_count: 10,
      new_shares_sum: '18446744073709551615',
    });
    const path = hexToBytes(`0001${'00'.repeat(30)}`);
    const ext = encodeMessage('NewExtendedMiningJob', {
      channel_id: 1,
      job_id: 2,
      min_ntime: null,
      version: 3,
      version_rolling_allowed: true,
      merkle_path: [path],
      coinbase_tx_prefix: hexToBytes('abcd'),
      coinbase_tx_suffix: new Uint8Array(0),
    });
    expect(json(ext)).toEqual({
      channel_id: 1,
      job_id: 2,
      min_ntime: null,
      version: 3,
      version_rolling_allowed: true,
      merkle_path: [`0001${'00'.repeat(30)}`],
      coinbase_tx_prefix: 'abcd',
      coinbase_tx_suffix: '',
    });
    const job = encodeMessage('NewMiningJob', {
      channel_id: 1,
      job_id: 2,
      min_ntime: 77,
      version: 3,
      merkle_root: path,
    });
    expect(json(job)).toMatchObject({ min_ntime: 77, merkle_root: `0001${'00'.repeat(30)}` });
    expect(json(encodeMessage('SetGroupChannel', { group_channel_id: 5, channel_ids: [1, 2] }))).toEqual({
      group_channel_id: 5,
      channel_ids: [1, 2],
    });
  });
});
