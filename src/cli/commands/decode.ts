/**
 * `sv2miner decode <hex>`: decodes one plaintext SV2 frame (sv2.md §2.1 header + payload) and prints
 * it as one JSON line (format in src/sv2/json.ts). Bad input gets one line on stderr naming message,
 * field and payload offset. Encrypted (Noise) frames are not accepted here.
 */
import { parseArgs } from 'node:util';
import { hexToBytes } from '../../bytes/hex.js';
import { DecodeError } from '../../errors.js';
import { decodeMessage } from '../../sv2/codec.js';
import { messageToJson } from '../../sv2/json.js';
import type { CliCommand, CliIo } from '../command.js';

const EXIT_OK = 0;
const EXIT_BAD_INPUT = 1;
const EXIT_USAGE = 2;
const EXIT_UNKNOWN_MESSAGE = 3;

const HELP = `Usage: sv2miner decode <hex>

Decodes one plaintext Stratum V2 frame (6-byte header + payload) and prints one JSON line:
  {"extension_type":0,"msg_type":32,"channel_msg":true,"message":"SetNewPrevHash","fields":{...}}
The hex may contain spaces (quoted or as several arguments) and may start with 0x.

Field values:
  U8/U16/U24/U32, F32  number
  U64                  decimal string (values exceed 2^53)
  U256                 64 lowercase hex digits in raw wire order: NOT byte-reversed, so a
                       prev_hash is not in block-explorer order and a target reads little-endian
  B0_*, PUBKEY, SIG.   lowercase hex
  STR0_255             string;  SEQ0_*  array;  OPTION  null or the value;  BOOL  true/false
"channel_msg" is the bit as received; a bit that differs from the spec table is accepted with a
warning on stderr (sv2.md §5.1).

Errors name the message, the field and the byte offset counted from the start of the payload
(after the 6-byte header). Exit codes: 0 decoded, 1 malformed input, 2 usage, 3 unknown
extension_type/msg_type.

Options:
  -h, --help  show this text`;

export const command: CliCommand = {
  name: 'decode',
  summary: 'decode one plaintext SV2 frame given as hex and print it as JSON',
  help: HELP,
  run: async (argv, io) => runDecode(argv, io),
};

function runDecode(argv: readonly string[], io: CliIo): number {
  let positionals: string[];
  let help: boolean | undefined;
  try {
    const parsed = parseArgs({
      args: [...argv],
      options: { help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
    positionals = parsed.positionals;
    help = parsed.values.help;
  } catch (error) {
    io.err(`decode: ${error instanceof Error ? error.message : String(error)} (see sv2miner decode --help)`);
    return EXIT_USAGE;
  }
  if (help === true) {
    io.out(HELP);
    return EXIT_OK;
  }
  const text = positionals.join('');
  if (text.trim() === '') {
    io.err('decode: missing <hex> argument (see sv2miner decode --help)');
    return EXIT_USAGE;
  }

  let bytes: Uint8Array;
  try {
    bytes = hexToBytes(text);
  } catch (error) {
    io.err(`decode: input is not hex: ${error instanceof Error ? error.message : String(error)}`);
    return EXIT_BAD_INPUT;
  }

  try {
    const result = decodeMessage(bytes);
    if (result.kind === 'unknown') {
      const { header } = result;
      io.err(
        `decode: unknown message: extension_type ${hex16(header.extensionType)} msg_type ` +
          `0x${header.msgType.toString(16).padStart(2, '0')} (${header.msgLength}-byte payload); ` +
          'known: Common and Mining messages of extension_type 0x0000',
      );
      return EXIT_UNKNOWN_MESSAGE;
    }
    if (result.channelMsgMismatch) {
      const got = result.header.channelMsg ? 1 : 0;
      io.err(
        `decode: warning: ${result.message.name} has channel_msg ${got}, the spec table says ${1 - got} (accepted)`,
      );
    }
    io.out(JSON.stringify(messageToJson(result)));
    return EXIT_OK;
  } catch (error) {
    if (error instanceof DecodeError) {
      io.err(`decode: ${error.message}`);
      return EXIT_BAD_INPUT;
    }
    throw error;
  }
}

function hex16(n: number): string {
  return `0x${n.toString(16).padStart(4, '0')}`;
}
