/**
 * Loads the outside-truth vectors vendored in test/vectors (provenance in its README). Fails
 * loudly when one is missing: a test that silently skipped its vectors would prove nothing.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hexToBytes } from '../../src/bytes/hex.js';

const here = dirname(fileURLToPath(import.meta.url));

export const VECTORS_DIR = resolve(here, '..', 'vectors');

function vectorPath(name: string): string {
  const path = join(VECTORS_DIR, name);
  if (!existsSync(path))
    throw new Error(`test vector ${path} is missing (vendored vectors live in test/vectors)`);
  return path;
}

function readVectorText(name: string): string {
  return readFileSync(vectorPath(name), 'utf8');
}

export function readVectorJson<T = unknown>(name: string): T {
  return JSON.parse(readVectorText(name)) as T;
}

/** Parses a simple CSV (no quoted commas inside fields except in a trailing comment column). */
export function readVectorCsv(name: string): Record<string, string>[] {
  const lines = readVectorText(name)
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '' && !l.startsWith('#'));
  const head = (lines.shift() ?? '').split(',');
  return lines.map((line) => {
    const cells = line.split(',');
    const row: Record<string, string> = {};
    head.forEach((key, i) => {
      row[key] = i === head.length - 1 ? cells.slice(i).join(',') : (cells[i] ?? '');
    });
    return row;
  });
}

/** One case of sri_standard_channel_share_validation.json (SRI channels_sv2 client tests). */
export interface SriShareCase {
  readonly sri_test: string;
  readonly expected: string;
  readonly version: number;
  readonly prev_hash_wire: string;
  readonly merkle_root_wire: string;
  readonly ntime: number;
  readonly nbits: number;
  readonly nonce: number;
  readonly channel_target_wire_le: string;
  readonly header_80: string;
  readonly sha256d_wire_order: string;
  readonly hash_display_be: string;
  readonly hash_lt_channel_target: boolean;
  readonly hash_lt_network_target: boolean;
}

export function sriShareCases(): SriShareCase[] {
  return readVectorJson<{ cases: SriShareCase[] }>('sri_standard_channel_share_validation.json').cases;
}

/**
 * The frame of a captured BM13xx command (bm13xx/command_frames.csv) found by the start of its
 * description. Quoted descriptions contain commas the simple CSV reader splits on; the frame
 * column is first, so only the description's leading quote needs stripping.
 */
export function bm13xxCommandVector(description: string): Uint8Array {
  const row = readVectorCsv('bm13xx/command_frames.csv').find((r) =>
    (r['description'] ?? '').replace(/^"/, '').startsWith(description),
  );
  if (row === undefined) throw new Error(`no command vector "${description}"`);
  return hexToBytes(row['frame_hex'] ?? '');
}
