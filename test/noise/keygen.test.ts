/**
 * `sv2miner keygen`: output forms checked against the SRI example key pair
 * (sv2_authority_keys_and_constants.json) via an injected RNG, and fresh pairs that round-trip.
 */
import { describe, expect, it } from 'vitest';
import { hexToBytes } from '../../src/bytes/hex.js';
import { command, describeKeyPair, runKeygen } from '../../src/cli/commands/keygen.js';
import {
  authorityPublicFromSecret,
  decodeAuthorityPublicKey,
  decodeAuthoritySecretKey,
} from '../../src/noise/authority-key.js';
import { readVectorJson } from '../helpers/vectors.js';

const vectors = readVectorJson<{ vectors: { name: string; base58check: string; raw_secret?: string }[] }>(
  'sv2_authority_keys_and_constants.json',
).vectors;
const pub = vectors.find((v) => v.name === 'SRI example authority public key')?.base58check;
const sec = vectors.find((v) => v.name.startsWith('SRI example authority secret key'));

function capture(
  argv: string[],
  random?: (n: number) => Uint8Array,
): { code: number; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  const io = { out: (l: string) => out.push(l), err: (l: string) => err.push(l) };
  const code = random === undefined ? runKeygen(argv, io) : runKeygen(argv, io, random);
  return { code, out, err };
}

describe('keygen', () => {
  const fixed = (): Uint8Array => hexToBytes(sec?.raw_secret ?? '');

  it('prints the SRI example pair in config form for the SRI example secret', () => {
    const r = capture([], fixed);
    expect(r.code).toBe(0);
    expect(r.out[0]).toBe(`authority_public_key = "${pub}"`);
    expect(r.out[1]).toBe(`authority_secret_key = "${sec?.base58check}"`);
    expect(r.out.join('\n')).toContain(sec?.raw_secret);
  });

  it('--json prints one parseable object', () => {
    const r = capture(['--json'], fixed);
    expect(r.out).toHaveLength(1);
    expect(JSON.parse(r.out[0] ?? '')).toEqual({
      authority_public_key: pub,
      authority_public_key_xonly_hex: '24ee3c3804a1aaa4c03b80ea19f7a5863c916e8994b7db94a3bad7ee092b6ce7',
      authority_secret_key: sec?.base58check,
      authority_secret_key_hex: sec?.raw_secret,
    });
  });

  it('fresh pairs are different and consistent', () => {
    const a = JSON.parse(capture(['--json']).out[0] ?? '');
    const b = JSON.parse(capture(['--json']).out[0] ?? '');
    expect(a.authority_secret_key).not.toBe(b.authority_secret_key);
    const secret = decodeAuthoritySecretKey(a.authority_secret_key);
    expect(decodeAuthorityPublicKey(a.authority_public_key)).toEqual(authorityPublicFromSecret(secret));
    expect(describeKeyPair(secret)).toEqual(a);
  });

  it('usage errors exit 2, --help exits 0', () => {
    expect(capture(['--nope']).code).toBe(2);
    const h = capture(['--help']);
    expect(h.code).toBe(0);
    expect(h.out[0]).toBe(command.help);
    expect(command.name).toBe('keygen');
  });
});
