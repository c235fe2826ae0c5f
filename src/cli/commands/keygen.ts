/**
 * `sv2miner keygen`: makes a new pool authority key pair (sv2.md §3.5, §3.6) and prints the public
 * key in the published Base58Check form (01 00 version prefix) and the secret key in the
 * Base58Check form SRI pool configs use, plus hex. `--json` prints one JSON object instead.
 */
import { parseArgs } from 'node:util';
import { bytesToHex } from '../../bytes/hex.js';
import {
  authorityPublicFromSecret,
  encodeAuthorityPublicKey,
  encodeAuthoritySecretKey,
} from '../../noise/authority-key.js';
import { defaultRandom, type RandomSource, randomSecret } from '../../noise/ellswift.js';
import type { CliCommand, CliIo } from '../command.js';

const HELP = `Usage: sv2miner keygen [--json]

Generates a new Stratum V2 authority key pair (secp256k1, BIP340 x-only) for a pool or test server.
  authority_public_key  Base58Check(01 00 || x-only key), 51 characters starting with 9; give it to
                        miners, e.g. stratum2+tcp://host:34254/<authority_public_key>
  authority_secret_key  Base58Check(secret), the form SRI pool configs take; keep it private
The secret is also printed as hex. Nothing is written to disk.

Options:
  --json      print one JSON object with the same fields
  -h, --help  show this text`;

interface KeygenOutput {
  readonly authority_public_key: string;
  readonly authority_public_key_xonly_hex: string;
  readonly authority_secret_key: string;
  readonly authority_secret_key_hex: string;
}

export function describeKeyPair(secret: Uint8Array): KeygenOutput {
  const xonly = authorityPublicFromSecret(secret);
  return {
    authority_public_key: encodeAuthorityPublicKey(xonly),
    authority_public_key_xonly_hex: bytesToHex(xonly),
    authority_secret_key: encodeAuthoritySecretKey(secret),
    authority_secret_key_hex: bytesToHex(secret),
  };
}

export function runKeygen(argv: readonly string[], io: CliIo, random: RandomSource = defaultRandom): number {
  let json: boolean | undefined;
  let help: boolean | undefined;
  try {
    const parsed = parseArgs({
      args: [...argv],
      options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: false,
      strict: true,
    });
    json = parsed.values.json;
    help = parsed.values.help;
  } catch (error) {
    io.err(`sv2miner keygen: ${error instanceof Error ? error.message : String(error)}`);
    io.err('Run `sv2miner keygen --help` for usage.');
    return 2;
  }
  if (help === true) {
    io.out(HELP);
    return 0;
  }
  const k = describeKeyPair(randomSecret(random));
  if (json === true) {
    io.out(JSON.stringify(k));
    return 0;
  }
  io.out(`authority_public_key = "${k.authority_public_key}"`);
  io.out(`authority_secret_key = "${k.authority_secret_key}"`);
  io.out(`# public key x-only hex: ${k.authority_public_key_xonly_hex}`);
  io.out(`# secret key hex:        ${k.authority_secret_key_hex}`);
  io.out('# Keep the secret key private; miners need only authority_public_key.');
  return 0;
}

export const command: CliCommand = {
  name: 'keygen',
  summary: 'generate a pool authority key pair (Base58Check, SRI config form)',
  help: HELP,
  run: async (argv, io) => runKeygen(argv, io),
};
