/**
 * SV2 codec throughput on the hot-path messages (NewMiningJob, SetNewPrevHash, SubmitSharesStandard):
 * whole-frame encode (header + payload) and decode (header + registry lookup + fields), in msg/s.
 */
import { decodeMessage, encodeMessage } from '../src/sv2/codec.js';
import type { MessageFields, MessageName } from '../src/sv2/messages/registry.js';
import { type BenchLine, opsPerSecond } from './lib.js';

const root = new Uint8Array(32).fill(0xab);

interface Case<N extends MessageName> {
  readonly line: string;
  readonly name: N;
  readonly fields: MessageFields<N>;
}

const CASES = [
  {
    line: 'new_mining_job',
    name: 'NewMiningJob',
    fields: { channel_id: 1, job_id: 42, min_ntime: null, version: 0x20000000, merkle_root: root },
  } satisfies Case<'NewMiningJob'>,
  {
    line: 'set_new_prev_hash',
    name: 'SetNewPrevHash',
    fields: { channel_id: 1, job_id: 42, prev_hash: root, min_ntime: 1745596932, nbits: 0x1b00d7c0 },
  } satisfies Case<'SetNewPrevHash'>,
  {
    line: 'submit_shares_standard',
    name: 'SubmitSharesStandard',
    fields: {
      channel_id: 1,
      sequence_number: 7,
      job_id: 42,
      nonce: 244405,
      ntime: 1745596932,
      version: 0x20000000,
    },
  } satisfies Case<'SubmitSharesStandard'>,
] as const;

export async function run(): Promise<BenchLine[]> {
  const lines: BenchLine[] = [];
  let sink = 0;
  for (const c of CASES) {
    const encode = (): Uint8Array => encodeMessage(c.name, c.fields as never);
    const frame = encode();
    lines.push({
      name: `sv2_decode_${c.line}`,
      value: opsPerSecond(() => {
        if (decodeMessage(frame).kind === 'message') sink++;
      }),
      unit: 'msg/s',
    });
    lines.push({
      name: `sv2_encode_${c.line}`,
      value: opsPerSecond(() => {
        sink += encode().length;
      }),
      unit: 'msg/s',
    });
  }
  // Keeps the optimiser from discarding the measured work.
  if (sink < 0) lines.push({ name: 'sv2_codec_sink', value: sink, unit: '' });
  return lines;
}
