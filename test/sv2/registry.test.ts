/**
 * Exhaustiveness: reads the SV2 reference (vendored as test/vectors/sv2-reference.md) and checks
 * the registry against it, so a message added to (or changed in) the reference without a matching
 * table row fails here.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  COMMON_MESSAGES,
  lookupSchema,
  MINING_MESSAGES,
  schemaByName,
} from '../../src/sv2/messages/registry.js';
import type { MessageSchema } from '../../src/sv2/schema.js';
import { VECTORS_DIR } from '../helpers/vectors.js';

const SV2_MD = resolve(VECTORS_DIR, 'sv2-reference.md');

function readReference(): string[] {
  if (!existsSync(SV2_MD)) throw new Error(`reference ${SV2_MD} is missing`);
  return readFileSync(SV2_MD, 'utf8').split(/\r?\n/);
}

interface TypeRow {
  readonly type: number;
  readonly name: string;
  readonly channelMsg: boolean | undefined;
}

/** Rows of every table whose header is `| msg_type | name | dir | channel_msg |` (§4 and §5.1). */
function typeRows(lines: readonly string[]): TypeRow[] {
  const rows: TypeRow[] = [];
  let inTable = false;
  for (const line of lines) {
    const cells = line.split('|').map((c) => c.trim());
    if (/^\|\s*msg_type\s*\|\s*name\s*\|\s*dir\s*\|\s*channel_msg\s*\|$/.test(line.trim())) {
      inTable = true;
      continue;
    }
    if (!line.startsWith('|')) inTable = false;
    if (!inTable || /^\|[\s-|]+$/.test(line)) continue;
    const bit = /^[01]/.exec((cells[4] ?? '').replaceAll('*', ''))?.[0];
    rows.push({
      type: Number.parseInt(cells[1] ?? '', 16),
      name: (cells[2] ?? '').split(' ')[0] ?? '',
      channelMsg: bit === '1' ? true : bit === '0' ? false : undefined,
    });
  }
  return rows;
}

/**
 * Field lists as sv2.md writes them: `Name` (0xNN): `field TYPE`, ... (continuing lines included),
 * **Name**: `field TYPE`, ..., or a `| field | type | ... |` table following such a line.
 * `.Success` names extend the previous message; "= the N fields above +" inherits its fields.
 */
function fieldLists(lines: readonly string[]): Map<string, string[][]> {
  const out = new Map<string, string[][]>();
  let current: string | undefined;
  let base = '';
  let inline = false;
  const pairs = (text: string): string[][] =>
    [...text.matchAll(/`([a-zA-Z_]+) ([A-Z0-9_]+(?:\[[A-Z0-9_]+\])?)`/g)].map((m) => [
      m[1] ?? '',
      m[2] ?? '',
    ]);
  for (const line of lines) {
    if (line.startsWith('#')) {
      current = undefined;
      inline = false;
      continue;
    }
    if (line.trim() === '') {
      inline = false;
      continue;
    }
    const start = /^(?:`([A-Za-z.]+)` \(0x[0-9a-f]{2}\)|\*\*([A-Za-z.]+)\*\*)(.*)$/.exec(line);
    if (start !== null) {
      let name = start[1] ?? start[2] ?? '';
      if (name.startsWith('.')) name = base + name;
      else base = name.split('.')[0] ?? name;
      current = name;
      inline = true;
      const rest = start[3] ?? '';
      const above = /= the (\w+) (?:fields )?above/.exec(rest)?.[1];
      const inherited = above === undefined ? [] : inheritFields(out, above);
      out.set(name, [...inherited, ...pairs(rest)]);
      continue;
    }
    if (current === undefined) continue;
    if (line.startsWith('|')) {
      const cells = line.split('|').map((c) => c.trim());
      const field = cells[1] ?? '';
      const type = (cells[2] ?? '').split(' ')[0] ?? '';
      if (
        /^[a-z_][a-zA-Z_]*$/.test(field) &&
        /^[A-Z][A-Z0-9_]*(\[[A-Z0-9_]+\])?$/.test(type) &&
        field !== 'field'
      ) {
        out.get(current)?.push([field, type]);
      }
    } else if (inline) {
      out.get(current)?.push(...pairs(line));
    }
  }
  return out;
}

/** "the four fields above": the nearest earlier message with that many fields. */
function inheritFields(map: Map<string, string[][]>, countWord: string): string[][] {
  const count = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight'].indexOf(countWord);
  const earlier = [...map.values()].reverse().find((f) => f.length === count);
  if (earlier === undefined) throw new Error(`sv2.md: no earlier message with ${countWord} fields`);
  return [...earlier];
}

const lines = readReference();
const rows = typeRows(lines);
// sv2.md tables Common and Mining in full; its TDP section is a summary without field tables, so the
// Template Distribution rows are checked in template-distribution.test.ts instead.
const schemas = [...COMMON_MESSAGES, ...MINING_MESSAGES] as readonly MessageSchema[];

describe('registry vs the message tables of sv2.md §4 and §5.1', () => {
  it('parses the tables (guards against a silently empty parse)', () => {
    expect(rows.length).toBeGreaterThanOrEqual(5 + 22);
  });

  it.each(rows.filter((r) => r.name !== 'Reserved').map((r) => [r.name, r] as const))(
    '%s has a row with the same msg_type and channel_msg bit',
    (name, row) => {
      const schema = schemaByName(name);
      expect(schema, `${name} is not registered`).toBeDefined();
      expect(schema?.type).toBe(row.type);
      expect(schema?.ext).toBe(0);
      expect(schema?.channelMsg).toBe(row.channelMsg);
      expect(lookupSchema(0, row.type)).toBe(schema);
    },
  );

  it('reserved msg_types have no row', () => {
    for (const row of rows.filter((r) => r.name === 'Reserved'))
      expect(lookupSchema(0, row.type)).toBeUndefined();
  });

  it('every registry row is listed in sv2.md', () => {
    const listed = new Set(rows.map((r) => r.name));
    expect(schemas.map((s) => s.name).filter((n) => !listed.has(n))).toEqual([]);
  });
});

describe('field tables vs the field layouts of sv2.md §4 and §5.2', () => {
  const documented = fieldLists(lines);
  it.each(schemas.map((s) => [s.name, s] as const))('%s fields and types match', (name, schema) => {
    const doc = documented.get(name);
    expect(doc, `no field layout for ${name} found in sv2.md`).toBeDefined();
    expect(schema.fields.map(([field, codec]) => [field, codec.name])).toEqual(doc);
  });
});
